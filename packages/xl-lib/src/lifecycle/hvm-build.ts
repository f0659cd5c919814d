/**
 * The HVM params libxc's domain builder sets for the special pages below the end of an HVM guest's
 * special region (`alloc_magic_pages_hvm` and `bootlate_hvm` in `tools/libs/guest/xg_dom_x86.c`,
 * Xen 4.17): the xenstore and console rings, the ioreq pages, the paging, monitor and sharing rings,
 * the identity page table, the ioreq servers' pages, and the two event channels. The pages
 * themselves are not modelled; a save image carries these params as real libxc's does.
 */
import {
  HVM_PARAM_BUFIOREQ_PFN,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_IDENT_PT,
  HVM_PARAM_IOREQ_PFN,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_MONITOR_RING_PFN,
  HVM_PARAM_NR_IOREQ_SERVER_PAGES,
  HVM_PARAM_PAGING_RING_PFN,
  HVM_PARAM_SHARING_RING_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  XC_PAGE_SHIFT,
  type XcInterface,
} from '@xen-genid/xc-params';

/** `X86_HVM_END_SPECIAL_REGION` and `X86_HVM_NR_SPECIAL_PAGES`. */
const END_SPECIAL_REGION = 0xff000n;
const NR_SPECIAL_PAGES = 8n;
const NR_IOREQ_SERVER_PAGES = 8n;
const SPECIALPAGE = { PAGING: 0n, ACCESS: 1n, SHARING: 2n, BUFIOREQ: 3n, XENSTORE: 4n, IOREQ: 5n, IDENT_PT: 6n, CONSOLE: 7n } as const;

const specialPfn = (page: bigint): bigint => END_SPECIAL_REGION - NR_SPECIAL_PAGES + page;

/** The xenstore and console rings of an HVM guest: the `ring-ref`s libxl writes. */
export const HVM_STORE_PFN = specialPfn(SPECIALPAGE.XENSTORE);
export const HVM_CONSOLE_PFN = specialPfn(SPECIALPAGE.CONSOLE);

/**
 * The event channels libxl allocates for a guest's xenstore and console (not modelled: the first two
 * ports of a new domain, as `xc_evtchn_alloc_unbound` gives them).
 */
export const STORE_EVTCHN = 1;
export const CONSOLE_EVTCHN = 2;

/** Sets the special pages' params of a new HVM domain (not on restore: the image carries them). */
export function setSpecialPageParams(xc: XcInterface, domid: number): void {
  const params: readonly (readonly [number, bigint])[] = [
    [HVM_PARAM_STORE_PFN, HVM_STORE_PFN],
    [HVM_PARAM_BUFIOREQ_PFN, specialPfn(SPECIALPAGE.BUFIOREQ)],
    [HVM_PARAM_IOREQ_PFN, specialPfn(SPECIALPAGE.IOREQ)],
    [HVM_PARAM_CONSOLE_PFN, HVM_CONSOLE_PFN],
    [HVM_PARAM_PAGING_RING_PFN, specialPfn(SPECIALPAGE.PAGING)],
    [HVM_PARAM_MONITOR_RING_PFN, specialPfn(SPECIALPAGE.ACCESS)],
    [HVM_PARAM_SHARING_RING_PFN, specialPfn(SPECIALPAGE.SHARING)],
    [HVM_PARAM_IOREQ_SERVER_PFN, specialPfn(0n) - NR_IOREQ_SERVER_PAGES],
    [HVM_PARAM_NR_IOREQ_SERVER_PAGES, NR_IOREQ_SERVER_PAGES],
    [HVM_PARAM_IDENT_PT, specialPfn(SPECIALPAGE.IDENT_PT) << BigInt(XC_PAGE_SHIFT)],
    [HVM_PARAM_CONSOLE_EVTCHN, BigInt(CONSOLE_EVTCHN)],
    [HVM_PARAM_STORE_EVTCHN, BigInt(STORE_EVTCHN)],
  ];
  for (const [param, value] of params) xc.hvmParamSet(domid, param, value);
}
