/**
 * What the generation ID's toolstack logic needs from a libxl context, and nothing more: the
 * toolstack's xenstore connection and xc handle, libxl's userdata store (where the stored config
 * and a pending notify live) and the hypervisor (domain state, the guest's own record, GPEs).
 * A `Libxl` context is one; tests may pass any object with these members.
 */
import type { Hypervisor, XcInterface } from '@xen-genid/xc-params';
import type { XsOperations } from '@xen-genid/xenstore';
import type { RandomSource } from '../random-bytes.ts';
import type { UserdataStore } from '../userdata.ts';

export interface GenidPort {
  /** The toolstack's xenstore connection (Domain-0). */
  readonly xs: XsOperations;
  /** The toolstack's xc handle (Domain-0). */
  readonly xc: XcInterface;
  readonly userdata: UserdataStore;
  readonly hypervisor: Hypervisor;
  /** Where new random IDs come from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /**
   * Runs `body` as one transaction of the machine, so the stored config, xenstore and guest memory
   * change together or not at all (default: just runs it).
   */
  atomically?<T>(body: () => T): T;
}
