/**
 * Checks on a read save image that Xen's `verify-stream-v2` does not make (it checks structure
 * only: an image with no pages passes). They hold for every image 4.17's libxc writes for an x86
 * HVM guest, and they tie the generation ID in the image's own config to guest memory:
 *
 * 1. the record set and order of `xc_domain_save` for x86 HVM: CPU policy records, STATIC_DATA_END,
 *    PAGE_DATA, then one X86_TSC_INFO, one HVM_CONTEXT and at most one HVM_PARAMS, then END, and
 *    nothing else (no PV records, no VERIFY/CHECKPOINT in a saved file);
 * 2. PAGE_DATA for every page the domain touched (when that list is known) and data for every pfn
 *    described (XTAB, "no page here", apart);
 * 3. HVM param 34 (`HVM_PARAM_VM_GENERATION_ID_ADDR`) present exactly when the config has an ID
 *    (unless the domain never ran: no memory, no firmware yet);
 * 4. the 16 bytes at param 34's address equal the ID in the image's own config.
 */
import { XlError } from '../errors.ts';
import { checkSavedGenid } from '../genid/saved-image.ts';
import { PFINFO, REC_TYPE, libxcRecordName } from './format.ts';
import type { SaveImage } from './save-image.ts';

export interface CheckSaveImageOptions {
  /** Frames the saved domain had touched (`Hypervisor.touchedPages`), when known. */
  readonly touchedPages?: readonly number[];
}

/** One failed check: `records` (record set/order), `pages` (memory) or `genid` (the ID vs memory). */
export interface SaveImageProblem {
  readonly kind: 'records' | 'pages' | 'genid';
  readonly message: string;
}

function checkRecordSet(types: readonly number[], push: (message: string) => void): void {
  const allowed: ReadonlySet<number> = new Set([
    REC_TYPE.X86_CPUID_POLICY,
    REC_TYPE.X86_MSR_POLICY,
    REC_TYPE.STATIC_DATA_END,
    REC_TYPE.PAGE_DATA,
    REC_TYPE.X86_TSC_INFO,
    REC_TYPE.HVM_CONTEXT,
    REC_TYPE.HVM_PARAMS,
    REC_TYPE.END,
  ]);
  for (const type of new Set(types)) {
    if (!allowed.has(type)) push(`record ${libxcRecordName(type)} does not belong in a saved x86 HVM image`);
  }
  const count = (type: number) => types.filter((t) => t === type).length;
  const staticEnd = types.indexOf(REC_TYPE.STATIC_DATA_END);
  if (count(REC_TYPE.STATIC_DATA_END) !== 1) push(`expected one STATIC_DATA_END record, found ${count(REC_TYPE.STATIC_DATA_END)}`);
  for (const policy of [REC_TYPE.X86_CPUID_POLICY, REC_TYPE.X86_MSR_POLICY]) {
    if (count(policy) !== 1) push(`expected one ${libxcRecordName(policy)} record, found ${count(policy)}`);
    else if (staticEnd >= 0 && types.indexOf(policy) > staticEnd) push(`${libxcRecordName(policy)} comes after STATIC_DATA_END`);
  }
  const firstPage = types.indexOf(REC_TYPE.PAGE_DATA);
  const lastPage = types.lastIndexOf(REC_TYPE.PAGE_DATA);
  if (firstPage < 0) push('no PAGE_DATA record: the image holds no guest memory');
  for (const single of [REC_TYPE.X86_TSC_INFO, REC_TYPE.HVM_CONTEXT]) {
    if (count(single) !== 1) push(`expected one ${libxcRecordName(single)} record, found ${count(single)}`);
  }
  if (count(REC_TYPE.HVM_PARAMS) > 1) push(`expected at most one HVM_PARAMS record, found ${count(REC_TYPE.HVM_PARAMS)}`);
  for (const tail of [REC_TYPE.X86_TSC_INFO, REC_TYPE.HVM_CONTEXT, REC_TYPE.HVM_PARAMS]) {
    const at = types.indexOf(tail);
    if (at >= 0 && at < lastPage) push(`${libxcRecordName(tail)} comes before the last PAGE_DATA record`);
  }
  if (types[types.length - 1] !== REC_TYPE.END) push('the image does not end with END');
}

/** Every problem found; empty when the image passes. */
export function checkSaveImage(image: SaveImage, options: CheckSaveImageOptions = {}): SaveImageProblem[] {
  const problems: SaveImageProblem[] = [];
  const records = (message: string) => problems.push({ kind: 'records', message });
  const pages = (message: string) => problems.push({ kind: 'pages', message });
  const ids = (message: string) => problems.push({ kind: 'genid', message });
  const { libxc } = image;
  checkRecordSet(libxc.recordTypes, records);

  libxc.pageTypes.forEach((type, pfn) => {
    if (type !== PFINFO.XTAB && !libxc.pages.has(pfn)) pages(`pfn 0x${pfn.toString(16)} is described (type 0x${type.toString(16)}) but has no data`);
  });
  if (options.touchedPages) {
    const missing = options.touchedPages.filter((pfn) => !libxc.pages.has(pfn));
    if (missing.length > 0) {
      pages(`${missing.length} touched page(s) without PAGE_DATA, first pfn 0x${missing[0]!.toString(16)}`);
    }
    const extra = libxc.pages.size - (options.touchedPages.length - missing.length);
    if (extra > 0) pages(`${extra} page(s) in the image that the domain never touched`);
  }

  if (image.xl.config === undefined || !image.xl.configIsJson) {
    ids('the image carries no libxl JSON config, so its generation ID cannot be checked');
    return problems;
  }
  for (const message of checkSavedGenid(image.xl.config, libxc)) ids(message);
  return problems;
}

/** `checkSaveImage`, throwing one `INVAL` `XlError` listing every problem. */
export function assertSaveImage(image: SaveImage, options: CheckSaveImageOptions = {}): void {
  const problems = checkSaveImage(image, options);
  if (problems.length > 0) throw new XlError('INVAL', `save image check failed: ${problems.map((problem) => problem.message).join('; ')}`);
}
