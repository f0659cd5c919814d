/**
 * The xc handle: libxc's HVM-param and foreign-mapping calls (`tools/libs/ctrl/xc_domain.c`
 * xc_hvm_param_get/set and the deprecated xc_get/set_hvm_param, `tools/libs/foreignmemory`
 * xc_map_foreign_range), with the checks the hypervisor makes in `do_hvm_op`
 * (`xen/arch/x86/hvm/hvm.c` hvmop_get_param/hvmop_set_param, hvm_allow_get_param/hvm_allow_set_param).
 */
import { XcError, XC_ERRNO } from './errors.ts';
import { DOMID_SELF, XC_PAGE_SIZE, type Hypervisor } from './hypervisor.ts';
import { checkDomidArgument, checkParamIndex, checkPfn, checkUint64 } from './memory-hypervisor.ts';
import {
  HVM_NR_PARAMS,
  HVM_PARAMS_DEPRECATED,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_ALTP2M,
  HVM_PARAM_BUFIOREQ_PFN,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_IOREQ_PFN,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_MCA_CAP,
  HVM_PARAM_NR_IOREQ_SERVER_PAGES,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_TIMER_MODE,
  HVM_PARAM_VIRIDIAN,
  HVM_PARAM_VM86_TSS,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_X87_FIP_WIDTH,
  hvmParamName,
} from './public/hvm-params.ts';

/** Options of the deprecated `unsigned long` calls: the width of `unsigned long` on the toolstack. */
export interface UnsignedLongOptions {
  /** 64 (default, an x86-64 toolstack) or 32 (a 32-bit toolstack: gets truncate). */
  readonly longBits?: 32 | 64;
}

/** A mapping of guest pages into the caller (`xc_map_foreign_range`); writes land on `unmap()`/dispose. */
export interface ForeignMapping extends Disposable {
  readonly bytes: Uint8Array;
  readonly pfn: number;
  readonly pages: number;
  unmap(): void;
}

export interface XcInterface {
  /** The domain this handle acts as: 0 for the toolstack in Domain-0, the guest's own domid for firmware. */
  readonly caller: number;
  /** `xc_hvm_param_get`: the 64-bit value of param `param` of `domid` (DOMID_SELF = the caller). */
  hvmParamGet(domid: number, param: number): bigint;
  /** `xc_hvm_param_set`: `value` must be a uint64. */
  hvmParamSet(domid: number, param: number, value: bigint): void;
  /** @deprecated `xc_get_hvm_param`: use `hvmParamGet`. */
  getHvmParam(domid: number, param: number, options?: UnsignedLongOptions): bigint;
  /** @deprecated `xc_set_hvm_param`: use `hvmParamSet`. */
  setHvmParam(domid: number, param: number, value: bigint, options?: UnsignedLongOptions): void;
  /**
   * `xc_hvm_param_get` as C callers see it, without throwing: `rc` 0 or -1, `errno` 0 or the
   * failure's errno, and `value`, which on failure is 0n (in C it is whatever the hypercall buffer
   * held; callers that ignore rc, as libxl__ms_vm_genid_set does, rely on it being 0).
   */
  tryHvmParamGet(domid: number, param: number): HvmParamGetResult;
  /** `xc_map_foreign_range`: `pages` pages of `domid` from frame `pfn`, read and write. */
  mapForeignRange(domid: number, pfn: number, pages: number): ForeignMapping;
}

/** What `tryHvmParamGet` returns. */
export interface HvmParamGetResult {
  readonly rc: 0 | -1;
  readonly errno: number;
  readonly value: bigint;
}

export interface XcOptions {
  /** The calling domain (default 0, Domain-0). */
  readonly caller?: number;
}


/** The largest mapping `mapForeignRange` accepts in one call: 1 GiB of guest memory. */
export const MAX_FOREIGN_MAP_PAGES = 262_144;

/** Params a guest may set on itself (`hvm_allow_set_param`, 4.17). */
const GUEST_SETTABLE: ReadonlySet<number> = new Set([
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_VM86_TSS,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_X87_FIP_WIDTH,
]);

/** Params a guest may read from itself (`hvm_allow_get_param`, 4.17). */
const GUEST_READABLE: ReadonlySet<number> = new Set([
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_VM86_TSS,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_ALTP2M,
  HVM_PARAM_X87_FIP_WIDTH,
]);

/** "The following parameters should only be changed once" (`hvm_allow_set_param`). */
const SET_ONCE: ReadonlySet<number> = new Set([
  HVM_PARAM_VIRIDIAN,
  HVM_PARAM_IOREQ_PFN,
  HVM_PARAM_BUFIOREQ_PFN,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_NR_IOREQ_SERVER_PAGES,
  HVM_PARAM_ALTP2M,
  HVM_PARAM_MCA_CAP,
]);

/** The rules above as one flag byte per param, so the per-call checks are array lookups. */
const GUEST_MAY_GET = 1;
const GUEST_MAY_SET = 2;
const IS_DEPRECATED = 4;
const CHANGE_ONCE = 8;
const POLICY = new Uint8Array(HVM_NR_PARAMS);
for (const index of GUEST_READABLE) POLICY[index] = (POLICY[index] ?? 0) | GUEST_MAY_GET;
for (const index of GUEST_SETTABLE) POLICY[index] = (POLICY[index] ?? 0) | GUEST_MAY_SET;
for (const index of HVM_PARAMS_DEPRECATED) POLICY[index] = (POLICY[index] ?? 0) | IS_DEPRECATED;
for (const index of SET_ONCE) POLICY[index] = (POLICY[index] ?? 0) | CHANGE_ONCE;

/** `HVMPTM_one_missed_tick_pending`, the largest timer mode. */
const MAX_TIMER_MODE = 3n;
/** `XEN_ALTP2M_limited`, the largest altp2m mode. */
const MAX_ALTP2M_MODE = 3n;
/** `XEN_HVM_MCA_CAP_MASK`. */
const MCA_CAP_MASK = 1n;

function describeParam(param: number): string {
  const name = hvmParamName(param);
  return name ? `${name} (${param})` : `HVM param ${param}`;
}

/** The value checks `hvm_set_param` makes for the params whose values it interprets. */
function checkParamValue(param: number, value: bigint): void {
  const bad = (why: string): never => {
    throw new XcError('EINVAL', `${describeParam(param)}: ${why}`);
  };
  switch (param) {
    case HVM_PARAM_TIMER_MODE:
      if (value > MAX_TIMER_MODE) bad(`timer mode ${value} is above ${MAX_TIMER_MODE}`);
      break;
    case HVM_PARAM_ALTP2M:
      if (value > MAX_ALTP2M_MODE) bad(`altp2m mode ${value} is above ${MAX_ALTP2M_MODE}`);
      break;
    case HVM_PARAM_X87_FIP_WIDTH:
      if (value !== 0n && value !== 4n && value !== 8n) bad(`FIP width ${value} is not 0, 4 or 8`);
      break;
    case HVM_PARAM_MCA_CAP:
      if ((value & ~MCA_CAP_MASK) !== 0n) bad(`MCA capabilities ${value} have unknown bits`);
      break;
    default:
      break;
  }
}

/** Copies bytes of guest memory into a mapping and writes the changed bytes back on unmap. */
class ForeignRangeMapping implements ForeignMapping {
  readonly bytes: Uint8Array;
  readonly pfn: number;
  readonly pages: number;
  readonly #hypervisor: Hypervisor;
  readonly #domid: number;
  readonly #snapshot: Uint8Array;
  #mapped = true;

  constructor(hypervisor: Hypervisor, domid: number, pfn: number, pages: number) {
    this.#hypervisor = hypervisor;
    this.#domid = domid;
    this.pfn = pfn;
    this.pages = pages;
    this.bytes = new Uint8Array(pages * XC_PAGE_SIZE);
    for (let index = 0; index < pages; index += 1) {
      const page = hypervisor.readPage(domid, pfn + index);
      if (page) this.bytes.set(page, index * XC_PAGE_SIZE);
    }
    this.#snapshot = this.bytes.slice();
  }

  /**
   * `munmap`: the bytes changed through this mapping reach guest memory, merged byte by byte into
   * the pages as they are now (so the guest's own writes to other bytes meanwhile survive). A second
   * unmap does nothing; if the domain is gone, the writes go nowhere, as with a real mapping.
   */
  unmap(): void {
    if (!this.#mapped) return;
    this.#mapped = false;
    if (!this.#hypervisor.getDomain(this.#domid)) return;
    for (let index = 0; index < this.pages; index += 1) {
      const start = index * XC_PAGE_SIZE;
      const mine = this.bytes.subarray(start, start + XC_PAGE_SIZE);
      const before = this.#snapshot.subarray(start, start + XC_PAGE_SIZE);
      let page: Uint8Array | undefined;
      for (let offset = 0; offset < XC_PAGE_SIZE; offset += 1) {
        if (mine[offset] === before[offset]) continue;
        page ??= this.#hypervisor.readPage(this.#domid, this.pfn + index) ?? new Uint8Array(XC_PAGE_SIZE);
        page[offset] = mine[offset] ?? 0;
      }
      if (page) this.#hypervisor.writePage(this.#domid, this.pfn + index, page);
    }
  }

  [Symbol.dispose](): void {
    this.unmap();
  }
}

/**
 * An xc handle acting as domain `options.caller` (default 0, the toolstack in Domain-0; firmware
 * passes its own domid). Each call applies the hypervisor's checks in Xen's order:
 *
 * 1. `param >= HVM_NR_PARAMS` (or not an integer) → `EINVAL`, before anything else;
 *    a value outside uint64 → `EINVAL` (C's `uint64_t` cannot hold one);
 * 2. the domain (`DOMID_SELF` = the caller) does not exist → `ESRCH`;
 * 3. the domain is PV → `EINVAL` (PVH is an HVM container in 4.17 and passes);
 * 4. XSM_TARGET: a guest acting on another domain → `EPERM`;
 * 5. deprecated params → `EOPNOTSUPP`; a guest acting on itself outside 4.17's whitelists → `EPERM`;
 * 6. set only: a param that "should only be changed once" already non-zero, set to another value → `EEXIST`;
 *    values `hvm_set_param` interprets (timer mode, altp2m, FIP width, MCA caps) out of range → `EINVAL`.
 *
 * @see xc_hvm_param_get, xc_hvm_param_set (tools/libs/ctrl/xc_domain.c)
 */
export function createXc(hypervisor: Hypervisor, options: XcOptions = {}): XcInterface {
  const caller = options.caller ?? 0;
  checkDomidArgument(caller);
  if (caller === DOMID_SELF) {
    throw new XcError('EINVAL', 'the caller is a real domid, not DOMID_SELF');
  }

  /** `rcu_lock_domain_by_any_id` then `is_hvm_domain` and XSM_TARGET. */
  const target = (domid: number, param: number, operation: 'get' | 'set'): number => {
    checkDomidArgument(domid);
    const resolved = domid === DOMID_SELF ? caller : domid;
    const type = hypervisor.domainType ? hypervisor.domainType(resolved) : hypervisor.getDomain(resolved)?.type;
    if (type === undefined) {
      throw new XcError('ESRCH', `no domain ${domid === DOMID_SELF ? `${resolved} (DOMID_SELF)` : domid}`);
    }
    if (type === 'pv') {
      throw new XcError('EINVAL', `domain ${resolved} is PV: HVM params apply to HVM and PVH domains only`);
    }
    if (caller !== 0 && resolved !== caller) {
      throw new XcError('EPERM', `domain ${caller} may not ${operation} params of domain ${resolved}`);
    }
    const policy = POLICY[param] ?? 0;
    if (policy & IS_DEPRECATED) {
      throw new XcError('EOPNOTSUPP', `${describeParam(param)} is deprecated`);
    }
    if (resolved === caller) {
      if (!(policy & (operation === 'get' ? GUEST_MAY_GET : GUEST_MAY_SET))) {
        throw new XcError('EPERM', `a guest may not ${operation} ${describeParam(param)} on itself`);
      }
    }
    return resolved;
  };

  const hvmParamGet = (domid: number, param: number): bigint => {
    checkParamIndex(param);
    const resolved = target(domid, param, 'get');
    return hypervisor.readParam(resolved, param);
  };

  const hvmParamSet = (domid: number, param: number, value: bigint): void => {
    checkParamIndex(param);
    checkUint64(value);
    const resolved = target(domid, param, 'set');
    if ((POLICY[param] ?? 0) & CHANGE_ONCE) {
      const current = hypervisor.readParam(resolved, param);
      if (current !== 0n && current !== value) {
        throw new XcError('EEXIST', `${describeParam(param)} is already ${current} and may only be set once`);
      }
    }
    checkParamValue(param, value);
    hypervisor.writeParam(resolved, param, value);
  };

  const longMask = (unsignedLong?: UnsignedLongOptions): bigint => {
    const bits = unsignedLong?.longBits ?? 64;
    if (bits !== 32 && bits !== 64) {
      throw new XcError('EINVAL', `longBits ${String(bits)} is not 32 or 64`);
    }
    return (1n << BigInt(bits)) - 1n;
  };

  return Object.freeze({
    caller,
    hvmParamGet,
    hvmParamSet,
    getHvmParam(domid: number, param: number, unsignedLong?: UnsignedLongOptions): bigint {
      const mask = longMask(unsignedLong);
      return hvmParamGet(domid, param) & mask;
    },
    setHvmParam(domid: number, param: number, value: bigint, unsignedLong?: UnsignedLongOptions): void {
      checkParamIndex(param);
      const mask = longMask(unsignedLong);
      if (typeof value === 'bigint' && value >= 0n && value > mask) {
        throw new XcError('EINVAL', `value ${value} does not fit an unsigned long of ${mask === 0xffffffffn ? 32 : 64} bits`);
      }
      hvmParamSet(domid, param, value);
    },
    tryHvmParamGet(domid: number, param: number): HvmParamGetResult {
      try {
        return { rc: 0, errno: 0, value: hvmParamGet(domid, param) };
      } catch (error) {
        if (!XcError.is(error)) throw error;
        return { rc: -1, errno: XC_ERRNO[error.code], value: 0n };
      }
    },
    mapForeignRange(domid: number, pfn: number, pages: number): ForeignMapping {
      if (caller !== 0) {
        throw new XcError('EPERM', `domain ${caller} may not map another domain's memory`);
      }
      checkDomidArgument(domid);
      checkPfn(pfn);
      if (!Number.isInteger(pages) || pages < 1 || pages > MAX_FOREIGN_MAP_PAGES) {
        throw new XcError('EINVAL', `page count ${String(pages)} is not an integer in 1..${MAX_FOREIGN_MAP_PAGES}`);
      }
      checkPfn(pfn + pages - 1);
      const resolved = domid === DOMID_SELF ? caller : domid;
      if (!hypervisor.getDomain(resolved)) {
        throw new XcError('ESRCH', `no domain ${resolved}`);
      }
      return new ForeignRangeMapping(hypervisor, resolved, pfn, pages);
    },
  });
}
