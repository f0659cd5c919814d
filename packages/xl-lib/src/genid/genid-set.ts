/**
 * `libxl__ms_vm_genid_set` (`tools/libs/light/libxl_genid.c`): gives a domain its generation ID.
 * 1. writes `/local/domain/<domid>/platform/generation-id` = `"<lo>:<hi>"` (unsigned decimal
 *    words, outside any transaction), which hvmloader reads when it builds the ACPI tables;
 * 2. reads HVM param 34 (`HVM_PARAM_VM_GENERATION_ID_ADDR`), ignoring a failure as libxl does (the
 *    value is then 0); if it is non-zero (a restored domain whose hvmloader already ran), maps that
 *    guest page and writes the 16 bytes at the address.
 * No ACPI Notify is sent: libxl only calls this for new or suspended domains.
 */
import {
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  PLATFORM_GENERATION_ID_KEY,
  XC_PAGE_SIZE,
  addressToPfn,
  domainPath,
  pageOffset,
  type XcInterface,
} from '@xen-genid/xc-params';
import type { XsOperations } from '@xen-genid/xenstore';
import { XlError } from '../errors.ts';
import type { MsVmGenid } from './ms-vm-genid.ts';
import { LIBXL_MS_VM_GENID_LEN } from './text-forms.ts';

/** `<dom_path>/platform/generation-id`. */
export function generationIdPath(domid: number): string {
  return `${domainPath(domid)}/${PLATFORM_GENERATION_ID_KEY}`;
}

/** What `msVmGenidSet` did, for callers and tests. */
export interface GenidSetResult {
  /** Param 34 as read: 0 for a domain whose firmware has not run yet. */
  readonly address: bigint;
  /** True when the 16 bytes were written into guest memory. */
  readonly wroteMemory: boolean;
}

/** `libxl__ms_vm_genid_set`: the xenstore key, then guest memory at param 34's address if set. */
export function msVmGenidSet(
  io: { readonly xs: XsOperations; readonly xc: XcInterface },
  domid: number,
  genid: MsVmGenid,
): GenidSetResult {
  try {
    io.xs.write(generationIdPath(domid), genid.toXenstore());
  } catch (error) {
    throw new XlError('FAIL', `domain ${domid}: failed to write ${generationIdPath(domid)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const address = io.xc.tryHvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR).value;
  if (address === 0n) return { address, wroteMemory: false };

  const offset = pageOffset(address);
  if (offset + LIBXL_MS_VM_GENID_LEN > XC_PAGE_SIZE) {
    // libxl maps one page and would write past it; hvmloader's 16-aligned buffer never does this.
    throw new XlError('FAIL', `domain ${domid}: generation ID address 0x${address.toString(16)} crosses a page boundary`);
  }
  let mapping;
  try {
    mapping = io.xc.mapForeignRange(domid, addressToPfn(address), 1);
  } catch (error) {
    throw new XlError('FAIL', `domain ${domid}: failed to map the generation ID page: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    mapping.bytes.set(genid.bytes, offset);
  } finally {
    mapping.unmap();
  }
  return { address, wroteMemory: true };
}
