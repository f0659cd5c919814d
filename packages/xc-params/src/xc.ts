/**
 * The xc handle: libxc's HVM-param and foreign-mapping calls (`tools/libs/ctrl/xc_domain.c`
 * xc_hvm_param_get/set and the deprecated xc_get/set_hvm_param, `tools/libs/foreignmemory`
 * xc_map_foreign_range), with the checks the hypervisor makes in `do_hvm_op`
 * (`xen/arch/x86/hvm/hvm.c` hvmop_get_param/hvmop_set_param, hvm_allow_get_param/hvm_allow_set_param).
 */
import type { Hypervisor } from './hypervisor.ts';

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
  /** `xc_map_foreign_range`: `pages` pages of `domid` from frame `pfn`, read and write. */
  mapForeignRange(domid: number, pfn: number, pages: number): ForeignMapping;
}

export interface XcOptions {
  /** The calling domain (default 0, Domain-0). */
  readonly caller?: number;
}

export declare function createXc(hypervisor: Hypervisor, options?: XcOptions): XcInterface;
