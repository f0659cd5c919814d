/**
 * What the parts of a libxl context share (`libxl__gc` and `libxl_ctx` as `libxl_internal.h`
 * declares them): the machine's parts, the toolstack's xc handle and xenstore connection, the
 * random source and clock, and the name index. `Libxl` (`./libxl.ts`) builds one and hands it to
 * create, destroy and run state (`./create.ts`, `./destroy.ts`, `./run-state.ts`).
 */
import type { Hypervisor, XcInterface } from '@xen-genid/xc-params';
import type { XenStore, XsConnection } from '@xen-genid/xenstore';
import type { RandomSource } from '../random-bytes.ts';
import type { UserdataStore } from '../userdata.ts';

/** The name index (`./name-index.ts`) as the other parts use it. */
export interface DomainNames {
  /** The live domains named `name`. */
  domidsNamed(name: string): number[];
  /** Re-reads the name of `domid` (after it was created, renamed or destroyed). */
  refresh(domid: number): void;
}

export interface LibxlInternals {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
  readonly random: RandomSource;
  /** The toolstack's xc handle (Domain-0). */
  readonly xc: XcInterface;
  /** The toolstack's xenstore connection (Domain-0, privileged). */
  readonly xs: XsConnection;
  readonly names: DomainNames;
  /** The clock for `start_time` (milliseconds since the epoch). */
  readonly now: () => number;
  /** Runs `body` as one transaction of the machine (the context's `atomically` option). */
  atomically<T>(body: () => T): T;
}

/**
 * libxl's transaction loops (`libxl__xs_transaction_commit` and its callers) start again on every
 * EAGAIN, however many: a conflict means another commit went through, so the host as a whole moves on.
 */
export const UNTIL_COMMITTED = { attempts: Number.POSITIVE_INFINITY };
