/**
 * The simulated hypervisor: what Xen itself keeps per domain (`struct domain` in
 * `xen/include/xen/sched.h`, the HVM params array of `xen/arch/x86/hvm/hvm.c`, the p2m's
 * guest-physical pages), as a storage interface. It applies no access policy: the xc handle
 * (`xc.ts`, libxc + `do_hvm_op`) checks callers and arguments before it reaches this layer.
 *
 * Implementations: `MemoryHypervisor` (this package) and the SQLite host (`@xen-genid/host`).
 * Every method is synchronous and atomic on its own.
 */

/** `XC_PAGE_SIZE`: guest memory is kept in 4 KiB pages. */
export const XC_PAGE_SIZE = 4096;
/** `XC_PAGE_SHIFT`. */
export const XC_PAGE_SHIFT = 12;
/** `DOMID_SELF` (`xen/include/public/xen.h`): "the calling domain". */
export const DOMID_SELF = 0x7ff0;
/** `DOMID_FIRST_RESERVED`: domids from here up are never allocated to domains. */
export const DOMID_FIRST_RESERVED = 0x7ff0;

/**
 * A domain's parameters under the credit2 scheduler (`struct xen_domctl_sched_credit2`,
 * `xen/include/public/domctl.h`): its weight, and its cap in percent of one CPU (0 is no cap).
 */
export interface SchedCredit2 {
  readonly weight: number;
  readonly cap: number;
}

/** What credit2 gives a new domain (`CSCHED2_DEFAULT_WEIGHT`, no cap). */
export const SCHED_CREDIT2_DEFAULTS: SchedCredit2 = Object.freeze({ weight: 256, cap: 0 });

/** Guest types as libxl names them (`libxl_domain_type`). PVH is an HVM container to the hypervisor. */
export type DomainType = 'hvm' | 'pvh' | 'pv';

/** `SHUTDOWN_*` reasons (`xen/include/public/sched.h`). */
export type ShutdownReason = 'poweroff' | 'reboot' | 'suspend' | 'crash' | 'watchdog' | 'soft_reset';

/**
 * What the guest does the next time the domain is unpaused: `boot` runs the firmware then the OS
 * (a new or rebooted domain), `resume` continues a restored or migrated guest, `null` just runs on.
 */
export type PendingStart = 'boot' | 'resume' | null;

export interface DomainInfo {
  readonly domid: number;
  readonly type: DomainType;
  /** The domain handle (`xen_domain_handle_t`), as libxl writes a uuid: lower-case 8-4-4-4-12. */
  readonly uuid: string;
  readonly maxMemKb: number;
  readonly vcpus: number;
  readonly paused: boolean;
  /** Set once the domain has shut down (and is waiting for the toolstack to destroy it). */
  readonly shutdown: ShutdownReason | null;
  readonly pendingStart: PendingStart;
  /** Creation time, milliseconds since the epoch (`xl uptime`). */
  readonly createdAt: number;
  /**
   * CPU time the domain has used, in nanoseconds (`cpu_time` of `XEN_DOMCTL_getdomaininfo`, `xl
   * list`'s Time column): the time its guest software took to run (the guest model's boot, resume
   * and event handling), so about 0 while a guest idles and frozen while it is paused.
   */
  readonly cpuTimeNs: number;
  /** Pages claimed but not yet allocated (`outstanding_pages`); absent is 0 (builds allocate at once). */
  readonly outstandingPages?: number;
  /** Set while the domain is being destroyed (`XEN_DOMINF_dying`); absent is false. */
  readonly dying?: boolean;
}

/** What `Hypervisor.pagesHeld` answers. */
export interface PagesHeld {
  readonly held: number;
  readonly outstanding: number;
}

/**
 * Runs `work` (the guest's software on its vCPUs) and charges the time it took, in whole
 * nanoseconds, to `charge`: also when the guest's code throws.
 */
export function runGuestWork(work: () => void, charge: (nanoseconds: number) => void): void {
  // The process's monotonic clock (the global `performance` would load node:perf_hooks first).
  const start = process.hrtime.bigint();
  try {
    work();
  } finally {
    charge(Number(process.hrtime.bigint() - start));
  }
}

/**
 * How many bytes of a domain's console output are kept (the oldest are dropped beyond it), as
 * xenconsoled keeps a bounded buffer of what no client has read yet.
 */
export const CONSOLE_LOG_LIMIT = 64 * 1024;

/** `_CONRING_SIZE` (`xen/drivers/char/console.c`): the bytes of Xen's own console ring. */
export const XEN_CONSOLE_RING_SIZE = 16384;

/** Console output read back: `data` starts at byte `start` of everything the domain ever wrote. */
export interface ConsoleOutput {
  /** Where `data` begins; above the offset asked for when older output was dropped. */
  readonly start: number;
  readonly data: Uint8Array;
}

/**
 * `XEN_DOMCTL_SENDTRIGGER_*` (`xen/include/public/domctl.h`): an NMI, the ACPI power and sleep
 * buttons, and INIT and RESET (which x86 Xen 4.17 does not implement: `ENOSYS`).
 */
export type DomainTrigger = 'nmi' | 'power' | 'sleep' | 'init' | 'reset';

export interface CreateDomainOptions {
  readonly type: DomainType;
  readonly uuid?: string;
  readonly maxMemKb?: number;
  readonly vcpus?: number;
}

/**
 * The software that runs inside a domain, registered by the toolstack (xl-lib registers
 * hvmloader-sim's firmware and guest-OS model). The hypervisor only calls it; it never looks inside.
 * Each call receives the domid and acts with that guest's powers only.
 */
export interface GuestModel {
  /** Power-on: firmware, then the OS. Called by the first unpause of a new or reset domain. */
  boot(domid: number): void;
  /** Continue after a restore or migration. Called by the first unpause of a restored domain. */
  resume(domid: number): void;
  /** An ACPI general-purpose event raised by the hypervisor for this domain. */
  gpe(domid: number, gpe: number): void;
  /** A trigger sent to the running guest (`sendTrigger`): an NMI on `vcpu`, or an ACPI button. */
  trigger?(domid: number, trigger: DomainTrigger, vcpu: number): void;
}

/**
 * The guest software a hypervisor runs, bound once when the hypervisor is made or opened: the model,
 * or a function that makes it for that hypervisor (the model reads and writes the guest through it).
 */
export type GuestModelBinding = GuestModel | ((hypervisor: Hypervisor) => GuestModel);

/**
 * Storage of hypervisor state. Errors are `XcError`s: `ESRCH` for an unknown domid, `EINVAL` for a
 * malformed argument (a domid that is no `domid_t`, a param index outside `0..HVM_NR_PARAMS-1`, a
 * value outside uint64, a page that is not exactly 4 KiB, a negative or fractional frame number).
 * Domain-0 cannot be destroyed, paused, unpaused, shut down or reset (`EINVAL`, as Xen refuses a
 * domain pausing itself). `@xen-genid/xc-params/testing` holds the conformance suite.
 */
export interface Hypervisor {
  /** Domain-0 always exists (domid 0, type `pv`, running). */
  listDomains(): DomainInfo[];
  getDomain(domid: number): DomainInfo | undefined;
  /**
   * Optional fast path for the xc handle's per-call checks: the type of `domid`, `undefined` if there
   * is no such domain. Without it the handle uses `getDomain(domid)?.type`.
   */
  domainType?(domid: number): DomainType | undefined;
  /**
   * Optional fast path: the domids whose handle is `uuid`, in increasing order. Without it a caller
   * filters `listDomains()`.
   */
  domainsWithUuid?(uuid: string): number[];
  /**
   * Optional fast path: the pages every domain holds (its maximum, rounded up to whole pages), and
   * of them the pages claimed but not yet allocated. Without it a caller sums `listDomains()`.
   */
  pagesHeld?(): PagesHeld;
  /**
   * A new domain, paused, with `pendingStart` `boot`, zeroed params and no memory. Domids increase
   * from 1 and never reuse a live one (`xen/common/domain.c` domain_create's allocator).
   */
  createDomain(options: CreateDomainOptions): DomainInfo;
  destroyDomain(domid: number): void;

  /** Pauses (a flag: pausing a paused domain changes nothing). */
  pauseDomain(domid: number): void;
  /**
   * Unpauses; `EINVAL` if the domain is not paused (`domain_unpause_by_systemcontroller`). If a start
   * is pending and the domain has not shut down, clears it, then runs the registered guest model's
   * boot/resume (the domain already shows as running to the model); with no model, just clears it.
   */
  unpauseDomain(domid: number): void;
  /** Records why the domain shut down; the first reason stays (`domain_shutdown`). */
  shutdownDomain(domid: number, reason: ShutdownReason): void;
  setPendingStart(domid: number, start: PendingStart): void;
  /** Back to power-on state for a reboot: memory, params and guest record cleared, `pendingStart` `boot`, paused. */
  resetDomain(domid: number): void;

  /** Raw param storage: no policy here (the xc handle applies it). Zero if never set. */
  readParam(domid: number, index: number): bigint;
  writeParam(domid: number, index: number, value: bigint): void;

  /** One 4 KiB guest page by frame number; `undefined` for a page never written (reads as zeros). */
  readPage(domid: number, pfn: number): Uint8Array | undefined;
  writePage(domid: number, pfn: number, data: Uint8Array): void;
  /**
   * `readPage` of each frame of `pfns`, in one call (a save reads a batch of frames so). With `into`
   * (room for `pfns.length` pages), a frame read may be placed there at `index * XC_PAGE_SIZE` and
   * returned as a view of it: a caller reading batch after batch into one buffer allocates nothing
   * per batch, and keeps no frame past its next use of the buffer.
   */
  readPages(domid: number, pfns: readonly number[], into?: Uint8Array): (Uint8Array | undefined)[];
  /** `writePage` of each `[pfn, data]`, in one call and all or none (a restore loads memory so). */
  writePages(domid: number, pages: Iterable<readonly [pfn: number, data: Uint8Array]>): void;
  /** Frame numbers of every page ever written, ascending. */
  touchedPages(domid: number): number[];

  /** The guest model's own record of what the guest saw (opaque JSON text), kept with the domain. */
  getGuestRecord(domid: number): string | undefined;
  setGuestRecord(domid: number, json: string): void;

  /**
   * Appends what the guest's software wrote to its console (the serial port of an HVM guest, the
   * PV console of a PV one). Offsets count every byte written since the domain was created; only
   * the last `CONSOLE_LOG_LIMIT` bytes are kept. The log stays across a reset (the console outlives
   * a reboot) and goes with the domain.
   */
  appendConsole(domid: number, data: Uint8Array): void;
  /** The console output from byte `offset` on (empty `data` when nothing is newer). */
  readConsole(domid: number, offset: number): ConsoleOutput;

  /**
   * Xen's own console ring (`conring`, `xen/drivers/char/console.c`): what the hypervisor printed
   * since the machine booted (`machine.ts` `xenBootLog`), its last `XEN_CONSOLE_RING_SIZE` bytes.
   * As `XEN_SYSCTL_readconsole` reads it incrementally: everything from byte `offset` on (offsets
   * count every byte printed); with `clear`, nothing printed until now is left to read afterwards.
   */
  readXenConsole(offset: number, clear: boolean): ConsoleOutput;

  /**
   * `XEN_DOMCTL_sendtrigger` (`xen/arch/x86/domctl.c`): `ESRCH` for a vCPU the domain does not
   * have, `EINVAL` for a button of a PV domain, `ENOSYS` for `init` and `reset`. A running guest's
   * model handles it (`GuestModel.trigger`); a paused or shut-down guest runs nothing, and the
   * trigger is lost.
   */
  sendTrigger(domid: number, trigger: DomainTrigger, vcpu: number): void;

  /**
   * `XEN_DOMCTL_SCHEDOP_getinfo` under credit2 (`csched2_dom_cntl`, `xen/common/sched/credit2.c`):
   * `SCHED_CREDIT2_DEFAULTS` from creation on, until set.
   */
  getSchedCredit2(domid: number): SchedCredit2;
  /**
   * `XEN_DOMCTL_SCHEDOP_putinfo` under credit2: a weight of 0 keeps the current one; a cap above 100
   * per vCPU is `EINVAL` (and nothing changes); a cap of 0 removes the cap. Weights above 65535 or
   * below 0, and negative caps, are `EINVAL` (the fields are `uint16_t`).
   */
  setSchedCredit2(domid: number, params: SchedCredit2): void;

  /**
   * Raises ACPI GPE `gpe` (0..255) in a running domain: calls the guest model's `gpe` (nothing
   * happens on a hypervisor made without one). `EINVAL` if the domain is PV (no ACPI), paused or shut down.
   */
  raiseGpe(domid: number, gpe: number): void;
}
