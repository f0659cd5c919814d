/**
 * A libxl context (`libxl_ctx`, `tools/libs/light/libxl.c` libxl_ctx_alloc) over a simulated
 * hypervisor, a xenstore and a userdata store. Its operations live where libxl's C has them:
 * - `./create.ts`: `libxl_domain_create_new` / `libxl_domain_create_restore` (`libxl_create.c`);
 * - `./destroy.ts`: `libxl_domain_destroy` (`libxl_domain.c`);
 * - `./run-state.ts`: `libxl_domain_pause` / `_unpause` / `_shutdown` / `_reboot` (`libxl_domain.c`);
 * - `./name-index.ts`: `libxl_name_to_domid`, `libxl_domid_to_name` (`libxl_utils.c`), `libxl_domain_rename`;
 * - `../console/`: the consoles `xl console` reads (`libxl_console.c`);
 * - `../genid/`: the generation ID (`libxl_genid.c`, and beyond Xen its query and renewal);
 * - here: `libxl_domain_info`, `libxl_list_domain`, `libxl_retrieve_domain_configuration`.
 * Every operation is synchronous (the simulated guest runs inside `unpause`).
 */
import {
  createXc,
  domainPath,
  type DomainInfo,
  type Hypervisor,
  type ShutdownReason,
  type ConsoleOutput,
  type XcInterface,
} from '@xen-genid/xc-params';
import type { XenStore, XsConnection } from '@xen-genid/xenstore';
import { consoleChain, hypervisorConsoles, type ConsoleRef, type ConsoleSource } from '../console/console-source.ts';
import { XlError, wrapFailure } from '../errors.ts';
import { msVmGenidSet, type GenidSetResult } from '../genid/genid-set.ts';
import type { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { notifyGenidChange } from '../genid/notify.ts';
import { applyGenid } from '../genid/renewal.ts';
import { osRandomSource, type RandomSource } from '../random-bytes.ts';
import { existingDomain, storeDomainConfiguration } from '../stored-config.ts';
import type { DomainConfig } from '../types/domain-config.ts';
import type { UserdataStore } from '../userdata.ts';
import { createDomain, type CreateDomainOptions } from './create.ts';
import type { DeviceModelPort } from './device-model.ts';
import { destroyDomain } from './destroy.ts';
import { readXenConsole } from '../console/xen-console.ts';
import { initDomain0 } from './init-dom0.ts';
import { retrieveDomainConfiguration } from './retrieve.ts';
import type { LibxlInternals } from './internal.ts';
import { NameIndex, renameDomain, type DomainNameIndex } from './name-index.ts';
import {
  guestDomain,
  pauseDomain,
  pvControlAvailable,
  sendTrigger,
  shutdownDomain,
  unpauseDomain,
  type LibxlTrigger,
  type ShutdownOutcome,
} from './run-state.ts';

export interface LibxlOptions {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
  /** Where generated uuids and IDs come from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /** The clock for `start_time` (milliseconds since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /**
   * Domain names as the store indexes them (the host file does): then a lookup by name or a
   * listing reads only what it needs, instead of this context reading every domain's name once.
   */
  readonly names?: DomainNameIndex;
  /**
   * Runs a body as one transaction of the machine (hypervisor, xenstore and userdata together), so
   * that a change made in several of them is never seen, or left, half made. Default: runs it.
   */
  readonly atomically?: <T>(body: () => T) => T;
  /**
   * Consoles served by a device model (a real guest's serial port), asked before the hypervisor's
   * console logs of simulated guests (`../console/console-source.ts`).
   */
  readonly consoles?: ConsoleSource;
  /** The device models of domains that have one (qemu-dm's): their state is saved and restored with the domain. */
  readonly deviceModel?: DeviceModelPort;
}

/** A domain as `libxl_list_domain` reports it, with its name (`libxl_domid_to_name`). */
export interface LibxlDomainInfo extends DomainInfo {
  readonly name: string | undefined;
}

/** A libxl context. Close it (or `using`) to drop its xenstore connection and watch. */
export class Libxl implements Disposable {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
  readonly random: RandomSource;
  /** The toolstack's xc handle (Domain-0). */
  readonly xc: XcInterface;
  /** The toolstack's xenstore connection (Domain-0, privileged). */
  readonly xs: XsConnection;
  readonly deviceModel: DeviceModelPort | undefined;
  readonly #names: NameIndex;
  readonly #internals: LibxlInternals;
  readonly #atomically: <T>(body: () => T) => T;
  readonly #consoles: ConsoleSource;

  constructor(options: LibxlOptions) {
    this.hypervisor = options.hypervisor;
    this.xenstore = options.xenstore;
    this.userdata = options.userdata;
    this.random = options.random ?? osRandomSource;
    this.deviceModel = options.deviceModel;
    this.#atomically = options.atomically ?? ((body) => body());
    const simulated = hypervisorConsoles(options.hypervisor);
    this.#consoles = options.consoles ? consoleChain([options.consoles, simulated]) : simulated;
    this.xc = createXc(this.hypervisor);
    this.xs = this.xenstore.connect(0);
    try {
      initDomain0({ xs: this.xs, hypervisor: this.hypervisor, userdata: this.userdata });
      this.#names = new NameIndex(this.xenstore, this.xs, this.hypervisor, options.names);
    } catch (error) {
      this.xs.close();
      throw wrapFailure('libxl context', error);
    }
    this.#internals = {
      hypervisor: this.hypervisor,
      xenstore: this.xenstore,
      userdata: this.userdata,
      random: this.random,
      xc: this.xc,
      xs: this.xs,
      names: this.#names,
      now: options.now ?? Date.now,
      atomically: this.#atomically,
    };
  }

  // ---- names ---------------------------------------------------------------------------------

  /** `libxl_name_to_domid`: `XlError('INVAL')` when no domain has that name (as libxl). */
  nameToDomid(name: string): number {
    return this.#names.nameToDomid(name);
  }

  /** `libxl_domid_to_name`: the name in xenstore, or undefined. */
  domidToName(domid: number): string | undefined {
    return this.#names.domidToName(domid);
  }

  /** A domid, or a name (xl's `find_domain`: all digits = a domid). */
  resolveDomain(domainOrName: string | number): number {
    if (typeof domainOrName === 'number' || /^\d+$/.test(domainOrName)) {
      const domid = Number(domainOrName);
      this.domainInfo(domid);
      return domid;
    }
    return this.nameToDomid(domainOrName);
  }

  /**
   * `libxl_domain_rename`: `oldName` (when given) must be the current name; a non-empty new name
   * must be unique (`XlError('INVAL')`).
   */
  renameDomain(domid: number, oldName: string | undefined, newName: string): void {
    renameDomain(this.#internals, domid, oldName, newName);
  }

  // ---- info ----------------------------------------------------------------------------------

  /** `libxl_domain_info`: `XlError('DOMAIN_NOTFOUND')` for an unknown domid. */
  domainInfo(domid: number): LibxlDomainInfo {
    const info = existingDomain(this.hypervisor, domid);
    return { ...info, name: this.domidToName(domid) };
  }

  /**
   * `libxl_vm_get_start_time` (`libxl_domain.c`): the whole seconds of `<vm>/start_time`, where the
   * domain's `vm` entry points. `XlError('FAIL')` with libxl's logged line when either is missing
   * (a domain libxl did not build).
   */
  vmStartTime(domid: number): number {
    const vm = this.xs.tryReadString(`${domainPath(domid)}/vm`);
    const start = vm === undefined ? undefined : this.xs.tryReadString(`${vm}/start_time`);
    if (start === undefined) throw new XlError('FAIL', `libxl_domain.c:2231:libxl_vm_get_start_time: Domain ${domid}:Can't get start time of domain`);
    // strtoul: the leading digits (`<seconds>.<hundredths>`), as uint32.
    return Number(/^\s*\d*/.exec(start)![0].trim() || '0') >>> 0;
  }

  /** `libxl_list_domain` (Domain-0 first). */
  listDomains(): LibxlDomainInfo[] {
    const names = this.#names.names();
    return this.hypervisor.listDomains().map((info) => ({ ...info, name: names.get(info.domid) }));
  }

  /**
   * `libxl_retrieve_domain_configuration`: the stored `libxl-json` config with what the live domain
   * says of its name, handle, vCPUs, memory and scheduler (`./retrieve.ts`).
   * `XlError('DOMAIN_NOTFOUND')` for an unknown domain, `XlError('FAIL')` when none is stored (a
   * domain libxl did not create) or the domain's memory entries are missing.
   */
  retrieveDomainConfiguration(domid: number): DomainConfig {
    return retrieveDomainConfiguration(this.#internals, domid);
  }

  /** `libxl__set_domain_configuration`: replaces the stored config (e.g. after the ID changed). */
  storeDomainConfiguration(domid: number, config: DomainConfig): void {
    storeDomainConfiguration(this.userdata, domid, config);
  }

  // ---- generation ID -------------------------------------------------------------------------

  /** `libxl__ms_vm_genid_set` on this context: the xenstore key, and guest memory if param 34 is set. */
  msVmGenidSet(domid: number, genid: MsVmGenid): GenidSetResult {
    return msVmGenidSet(this, domid, genid);
  }

  /**
   * Gives a live HVM domain a new ID everywhere at once: the stored config, the xenstore key and
   * guest memory (when the firmware has placed the ID). The guest is not notified here: see
   * `notifyGenidChange`.
   */
  applyGenid(domid: number, genid: MsVmGenid): GenidSetResult {
    return applyGenid(this, domid, genid);
  }

  /** Runs `body` as one transaction of the machine (the `atomically` option; default: just runs it). */
  atomically<T>(body: () => T): T {
    return this.#atomically(body);
  }

  /** Raises ACPI GPE `gpe` in a running domain, which its guest model handles (beyond Xen: see `renewVmGenid`). */
  raiseGpe(domid: number, gpe: number): void {
    guestDomain(this.#internals, domid, 'raise a GPE in');
    try {
      this.hypervisor.raiseGpe(domid, gpe);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: raising GPE ${gpe} failed`, error);
    }
  }

  /**
   * Tells the guest its ID changed (beyond Xen): the notify GPE now if it runs, else when it is
   * next unpaused.
   */
  notifyGenidChange(domid: number): 'delivered' | 'pending' {
    return notifyGenidChange(this, domid);
  }

  // ---- consoles ------------------------------------------------------------------------------

  /** Xen's console ring, as `xl dmesg [-c]` reads it (`../console/xen-console.ts`). */
  readXenConsole(clear: boolean): Uint8Array[] {
    return readXenConsole(this.hypervisor, clear);
  }

  /**
   * `libxl__primary_console_find` (`libxl_console.c`): serial 0 of an HVM guest, the PV console of
   * a PV or PVH one. A domid with no domain fails as `libxl__domain_type` does (`ERROR_INVAL`).
   */
  primaryConsole(domid: number): ConsoleRef {
    const type = domid > 0xffff ? undefined : this.hypervisor.getDomain(domid)?.type;
    if (type === undefined) {
      throw new XlError('INVAL', `libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=${domid}`);
    }
    return { domid, type: type === 'hvm' ? 'serial' : 'pv', num: 0 };
  }

  /** The console's output from byte `offset` on, or `undefined` when the domain has no such console. */
  readConsole(console: ConsoleRef, offset: number): ConsoleOutput | undefined {
    return this.#consoles.read(console, offset);
  }

  /** Keyboard input for a console; `false` when the domain has no such console. */
  writeConsole(console: ConsoleRef, data: Uint8Array): boolean {
    return this.#consoles.write(console, data);
  }

  // ---- create, destroy, run state ------------------------------------------------------------

  /** `libxl_domain_create_new` (or `_restore` with `options.restore`): returns the new domid (`./create.ts`). */
  createDomain(config: DomainConfig, options: CreateDomainOptions = {}): number {
    return createDomain(this.#internals, config, options);
  }

  /** `libxl_domain_destroy` (`./destroy.ts`). */
  destroyDomain(domid: number): void {
    destroyDomain(this.#internals, domid);
  }

  /** `libxl_domain_pause`. */
  pauseDomain(domid: number): void {
    pauseDomain(this.#internals, domid);
  }

  /** `libxl_domain_unpause`: a new domain's firmware runs now; a restored guest resumes. */
  unpauseDomain(domid: number): void {
    unpauseDomain(this.#internals, domid);
  }

  /** The guest shuts down with `reason`, then the config's `on_*` action applies (`./run-state.ts`). */
  shutdownDomain(domid: number, reason: ShutdownReason = 'poweroff'): ShutdownOutcome {
    return shutdownDomain(this.#internals, domid, reason);
  }

  /** `libxl_domain_reboot`: the guest reboots; with `on_reboot = "restart"` it boots again. */
  rebootDomain(domid: number): ShutdownOutcome {
    return shutdownDomain(this.#internals, domid, 'reboot');
  }

  /** `libxl__domain_pvcontrol_available`: whether `xl shutdown` / `xl reboot` can reach the guest. */
  pvControlAvailable(domid: number): boolean {
    return pvControlAvailable(this.#internals, domid);
  }

  /**
   * `libxl_send_trigger` on vCPU `vcpu`; when the guest shut down in answer, the config's action
   * applied and its outcome (`./run-state.ts`).
   */
  sendTrigger(domid: number, trigger: LibxlTrigger, vcpu = 0): ShutdownOutcome | null {
    return sendTrigger(this.#internals, domid, trigger, vcpu);
  }

  /** Closes the xenstore connection (the hypervisor, store and userdata belong to the caller). */
  close(): void {
    if (!this.xs.closed) this.xs.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** `libxl_ctx_alloc`: a context over the given machine. */
export function createLibxl(options: LibxlOptions): Libxl {
  return new Libxl(options);
}
