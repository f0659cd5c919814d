/**
 * An in-memory `Hypervisor`: the per-domain state Xen keeps (`struct domain`, `xen/common/domain.c`),
 * the HVM params array (`d->arch.hvm.params`, `xzalloc_array(uint64_t, HVM_NR_PARAMS)` in
 * `hvm_domain_initialise`, `xen/arch/x86/hvm/hvm.c`) and the p2m's guest pages, held in plain maps.
 *
 * Domids are allocated as `XEN_DOMCTL_createdomain` does (`xen/common/domctl.c`): a rover starts
 * after the last domid handed out, skips live domains and wraps from `DOMID_FIRST_RESERVED - 1` to 1.
 */
import { XcError } from './errors.ts';
import {
  SCHED_CREDIT2_DEFAULTS,
  XC_PAGE_SIZE,
  XEN_CONSOLE_RING_SIZE,
  runGuestWork,
  type ConsoleOutput,
  type CreateDomainOptions,
  type DomainInfo,
  type DomainTrigger,
  type DomainType,
  type GuestModel,
  type GuestModelBinding,
  type Hypervisor,
  type PendingStart,
  type SchedCredit2,
  type ShutdownReason,
} from './hypervisor.ts';
import {
  allocateDomid,
  appendConsoleLog,
  applySchedCredit2,
  clearConsoleLog,
  checkCreateDomainOptions,
  checkGpe,
  checkPagesBuffer,
  checkPendingStart,
  checkShutdownReason,
  checkTrigger,
  readConsoleLog,
} from './domain-rules.ts';
import { HVM_NR_PARAMS } from './public/hvm-params.ts';
import { DOMAIN0_MAX_MEM_KB, DOMAIN0_VCPUS, xenBootLog } from './machine.ts';

/** The largest uint64. */
export const UINT64_MAX = (1n << 64n) - 1n;

const EMPTY_CONSOLE: ConsoleOutput = { start: 0, data: new Uint8Array(0) };

/** Xen's Domain-0 handle is all zeros. */
const DOMAIN0_UUID = '00000000-0000-0000-0000-000000000000';

interface DomainState {
  readonly domid: number;
  readonly type: DomainType;
  readonly uuid: string;
  readonly maxMemKb: number;
  readonly vcpus: number;
  readonly createdAt: number;
  cpuTimeNs: number;
  paused: boolean;
  shutdown: ShutdownReason | null;
  pendingStart: PendingStart;
  sched: SchedCredit2;
  /** A plain array: reads hand back the stored bigint without allocating a new one. */
  params: bigint[];
  pages: Map<number, Uint8Array>;
  guestRecord: string | undefined;
  console: ConsoleOutput;
}

/** Checks a domid argument's shape (any number a `domid_t` could hold); existence is checked apart. */
export function checkDomidArgument(domid: number): void {
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) {
    throw new XcError('EINVAL', `domid ${String(domid)} is not a valid domid_t`);
  }
}

/** Checks an HVM param index: an integer below `HVM_NR_PARAMS`. */
export function checkParamIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= HVM_NR_PARAMS) {
    throw new XcError('EINVAL', `HVM param ${String(index)} is not an integer below HVM_NR_PARAMS (${HVM_NR_PARAMS})`);
  }
}

/** Checks that `value` is a bigint in the uint64 range. */
export function checkUint64(value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
    throw new XcError('EINVAL', `value ${String(value)} is not a uint64 (a bigint in 0..2^64-1)`);
  }
}

/** Checks a guest frame number: a non-negative safe integer. */
export function checkPfn(pfn: number): void {
  if (!Number.isSafeInteger(pfn) || pfn < 0) {
    throw new XcError('EINVAL', `page frame number ${String(pfn)} is not a non-negative integer`);
  }
}

function zeroParams(): bigint[] {
  return new Array<bigint>(HVM_NR_PARAMS).fill(0n);
}

function info(state: DomainState): DomainInfo {
  return Object.freeze({
    domid: state.domid,
    type: state.type,
    uuid: state.uuid,
    maxMemKb: state.maxMemKb,
    vcpus: state.vcpus,
    paused: state.paused,
    shutdown: state.shutdown,
    pendingStart: state.pendingStart,
    createdAt: state.createdAt,
    cpuTimeNs: state.cpuTimeNs,
  });
}

export interface MemoryHypervisorOptions {
  /** The clock for `createdAt` (milliseconds since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /** The software its domains run at unpause, `raiseGpe` and `sendTrigger`; none runs without one. */
  readonly guestModel?: GuestModelBinding;
}

/**
 * The whole simulated machine in one process's memory. State lives as long as the object; nothing
 * is written anywhere else. See `Hypervisor` for the contract of each method.
 */
export class MemoryHypervisor implements Hypervisor {
  readonly #domains = new Map<number, DomainState>();
  /** The domids of each handle (a domain's uuid never changes). */
  readonly #byUuid = new Map<string, Set<number>>();
  readonly #now: () => number;
  /** The last domid handed out (`rover` in domctl.c). */
  #rover = 0;
  readonly #binding: GuestModelBinding | undefined;
  #bound: GuestModel | undefined;
  #xenConsole: ConsoleOutput;

  constructor(options: MemoryHypervisorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#binding = options.guestModel;
    this.#xenConsole = appendConsoleLog(EMPTY_CONSOLE, new TextEncoder().encode(xenBootLog()), XEN_CONSOLE_RING_SIZE);
    this.#domains.set(0, {
      domid: 0,
      type: 'pv',
      uuid: DOMAIN0_UUID,
      maxMemKb: DOMAIN0_MAX_MEM_KB,
      vcpus: DOMAIN0_VCPUS,
      createdAt: this.#now(),
      cpuTimeNs: 0,
      paused: false,
      shutdown: null,
      pendingStart: null,
      sched: SCHED_CREDIT2_DEFAULTS,
      params: zeroParams(),
      pages: new Map(),
      guestRecord: undefined,
      console: EMPTY_CONSOLE,
    });
    this.#byUuid.set(DOMAIN0_UUID, new Set([0]));
  }

  listDomains(): DomainInfo[] {
    return [...this.#domains.values()].sort((a, b) => a.domid - b.domid).map(info);
  }

  domainsWithUuid(uuid: string): number[] {
    return [...(this.#byUuid.get(uuid) ?? [])].sort((a, b) => a - b);
  }

  getDomain(domid: number): DomainInfo | undefined {
    const state = this.#domains.get(domid);
    return state ? info(state) : undefined;
  }

  domainType(domid: number): DomainType | undefined {
    return this.#domains.get(domid)?.type;
  }

  createDomain(options: CreateDomainOptions): DomainInfo {
    const { type, uuid, maxMemKb, vcpus } = checkCreateDomainOptions(options);
    const domid = allocateDomid(this.#rover, (candidate) => this.#domains.has(candidate));
    const state: DomainState = {
      domid,
      type,
      uuid,
      maxMemKb,
      vcpus,
      createdAt: this.#now(),
      cpuTimeNs: 0,
      paused: true,
      shutdown: null,
      pendingStart: 'boot',
      sched: SCHED_CREDIT2_DEFAULTS,
      params: zeroParams(),
      pages: new Map(),
      guestRecord: undefined,
      console: EMPTY_CONSOLE,
    };
    this.#domains.set(domid, state);
    const sharing = this.#byUuid.get(uuid);
    if (sharing) sharing.add(domid);
    else this.#byUuid.set(uuid, new Set([domid]));
    this.#rover = domid;
    return info(state);
  }

  destroyDomain(domid: number): void {
    const { uuid } = this.#guestDomain(domid, 'destroy');
    this.#domains.delete(domid);
    const sharing = this.#byUuid.get(uuid);
    sharing?.delete(domid);
    if (sharing?.size === 0) this.#byUuid.delete(uuid);
  }

  pauseDomain(domid: number): void {
    this.#guestDomain(domid, 'pause').paused = true;
  }

  unpauseDomain(domid: number): void {
    const state = this.#guestDomain(domid, 'unpause');
    if (!state.paused) {
      throw new XcError('EINVAL', `domain ${domid} is not paused`);
    }
    state.paused = false;
    if (state.shutdown !== null) return; // a shut-down guest runs nothing until it is reset
    const start = state.pendingStart;
    if (start === null) return;
    state.pendingStart = null;
    const model = this.#model();
    if (model) this.#runGuest(state, () => (start === 'boot' ? model.boot(domid) : model.resume(domid)));
  }

  shutdownDomain(domid: number, reason: ShutdownReason): void {
    const state = this.#guestDomain(domid, 'shut down');
    checkShutdownReason(reason);
    // Xen records the first reason only (domain_shutdown ignores a domain already shutting down).
    if (state.shutdown === null) state.shutdown = reason;
  }

  setPendingStart(domid: number, start: PendingStart): void {
    const state = this.#guestDomain(domid, 'set the pending start of');
    checkPendingStart(start);
    state.pendingStart = start;
  }

  resetDomain(domid: number): void {
    const state = this.#guestDomain(domid, 'reset');
    state.params = zeroParams();
    state.pages = new Map();
    state.guestRecord = undefined;
    state.shutdown = null;
    state.pendingStart = 'boot';
    state.paused = true;
    state.cpuTimeNs = 0; // a reboot is a new domain to Xen, whose CPU time starts at 0
  }

  readParam(domid: number, index: number): bigint {
    checkParamIndex(index);
    return this.#domain(domid).params[index] ?? 0n;
  }

  writeParam(domid: number, index: number, value: bigint): void {
    checkParamIndex(index);
    checkUint64(value);
    this.#domain(domid).params[index] = value;
  }

  readPage(domid: number, pfn: number): Uint8Array | undefined {
    checkPfn(pfn);
    const page = this.#domain(domid).pages.get(pfn);
    return page ? page.slice() : undefined;
  }

  writePage(domid: number, pfn: number, data: Uint8Array): void {
    checkPfn(pfn);
    if (!(data instanceof Uint8Array) || data.length !== XC_PAGE_SIZE) {
      throw new XcError('EINVAL', `a page write takes exactly ${XC_PAGE_SIZE} bytes`);
    }
    this.#domain(domid).pages.set(pfn, data.slice());
  }

  readPages(domid: number, pfns: readonly number[], into?: Uint8Array): (Uint8Array | undefined)[] {
    const { pages } = this.#domain(domid);
    pfns.forEach(checkPfn);
    checkPagesBuffer(pfns.length, into);
    return pfns.map((pfn, index) => {
      const page = pages.get(pfn);
      if (page === undefined || into === undefined) return page?.slice();
      const target = into.subarray(index * XC_PAGE_SIZE, (index + 1) * XC_PAGE_SIZE);
      target.set(page);
      return target;
    });
  }

  writePages(domid: number, pages: Iterable<readonly [pfn: number, data: Uint8Array]>): void {
    const state = this.#domain(domid);
    const writes = [...pages];
    // Every write checked before any is made: all or none.
    for (const [pfn, data] of writes) {
      checkPfn(pfn);
      if (!(data instanceof Uint8Array) || data.length !== XC_PAGE_SIZE) {
        throw new XcError('EINVAL', `a page write takes exactly ${XC_PAGE_SIZE} bytes`);
      }
    }
    for (const [pfn, data] of writes) state.pages.set(pfn, data.slice());
  }

  touchedPages(domid: number): number[] {
    return [...this.#domain(domid).pages.keys()].sort((a, b) => a - b);
  }

  getGuestRecord(domid: number): string | undefined {
    return this.#domain(domid).guestRecord;
  }

  setGuestRecord(domid: number, json: string): void {
    const state = this.#domain(domid);
    if (typeof json !== 'string') {
      throw new XcError('EINVAL', 'a guest record is JSON text');
    }
    try {
      JSON.parse(json);
    } catch (error) {
      throw new XcError('EINVAL', `guest record of domain ${domid} is not JSON text`, { cause: error });
    }
    state.guestRecord = json;
  }

  appendConsole(domid: number, data: Uint8Array): void {
    const state = this.#domain(domid);
    state.console = appendConsoleLog(state.console, data);
  }

  readConsole(domid: number, offset: number): ConsoleOutput {
    return readConsoleLog(this.#domain(domid).console, offset);
  }

  readXenConsole(offset: number, clear: boolean): ConsoleOutput {
    const read = readConsoleLog(this.#xenConsole, offset);
    if (clear) this.#xenConsole = clearConsoleLog(this.#xenConsole);
    return read;
  }

  getSchedCredit2(domid: number): SchedCredit2 {
    return this.#domain(domid).sched;
  }

  setSchedCredit2(domid: number, params: SchedCredit2): void {
    const state = this.#domain(domid);
    state.sched = applySchedCredit2(state.sched, params, state.vcpus);
  }

  raiseGpe(domid: number, gpe: number): void {
    const state = this.#domain(domid);
    checkGpe(gpe);
    if (state.type === 'pv') {
      throw new XcError('EINVAL', `domain ${domid} is PV and has no ACPI`);
    }
    if (state.paused || state.shutdown !== null) {
      throw new XcError('EINVAL', `domain ${domid} is not running`);
    }
    const model = this.#model();
    if (model) this.#runGuest(state, () => model.gpe(domid, gpe));
  }

  /** The guest's software runs: its time is the domain's CPU time. */
  sendTrigger(domid: number, trigger: DomainTrigger, vcpu: number): void {
    const state = this.#domain(domid);
    checkTrigger(info(state), trigger, vcpu);
    const model = this.#model();
    if (model?.trigger && !state.paused && state.shutdown === null) this.#runGuest(state, () => model.trigger?.(domid, trigger, vcpu));
  }

  /** The guest model this hypervisor was made with, made on first use when given as a function. */
  #model(): GuestModel | undefined {
    if (this.#bound === undefined && this.#binding !== undefined) {
      this.#bound = typeof this.#binding === 'function' ? this.#binding(this) : this.#binding;
    }
    return this.#bound;
  }

  #runGuest(state: DomainState, work: () => void): void {
    runGuestWork(work, (nanoseconds) => {
      state.cpuTimeNs += nanoseconds;
    });
  }

  #domain(domid: number): DomainState {
    checkDomidArgument(domid);
    const state = this.#domains.get(domid);
    if (!state) throw new XcError('ESRCH', `no domain ${domid}`);
    return state;
  }

  /** A domain other than Domain-0, which cannot pause, reset or destroy itself. */
  #guestDomain(domid: number, action: string): DomainState {
    const state = this.#domain(domid);
    if (domid === 0) throw new XcError('EINVAL', `cannot ${action} Domain-0`);
    return state;
  }
}
