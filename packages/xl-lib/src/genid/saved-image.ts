/**
 * The generation ID in a save image (checks Xen's `verify-stream-v2` does not make): the ID in the
 * image's own libxl JSON config (`libxl__ms_vm_genid_parse_json`, `tools/libs/light/libxl_genid.c`)
 * against HVM param 34 and the 16 bytes of guest memory there, as 4.17's libxc saves an HVM guest
 * whose hvmloader placed the ID (`libxl__ms_vm_genid_set` writes them back on restore).
 */
import { HVM_PARAM_VM_GENERATION_ID_ADDR, XC_PAGE_SHIFT, XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { XlError } from '../errors.ts';
import type { LibxcImage } from '../stream/libxc-stream.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import { LIBXL_MS_VM_GENID_LEN } from './text-forms.ts';

/**
 * The 16-byte generation ID in a libxl JSON config (`b_info` → `"type.hvm"` → `ms_vm_genid`, an
 * array of integers stored mod 256 as `libxl__ms_vm_genid_parse_json` does); all-zero when absent.
 * Throws `INVAL` when the text is not JSON or the array is malformed.
 */
export function genidFromConfigJson(configJson: string): Uint8Array {
  let config: unknown;
  try {
    config = JSON.parse(configJson);
  } catch (error) {
    throw new XlError('INVAL', `save image config is not valid JSON: ${(error as Error).message}`);
  }
  const id = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
  const buildInfo = (config as { b_info?: Record<string, unknown> } | null)?.b_info;
  const hvm = buildInfo?.['type.hvm'] as { ms_vm_genid?: unknown } | undefined;
  const value = hvm?.ms_vm_genid;
  if (value === undefined) return id;
  if (!Array.isArray(value) || value.length < LIBXL_MS_VM_GENID_LEN || !value.slice(0, LIBXL_MS_VM_GENID_LEN).every(Number.isInteger)) {
    throw new XlError('INVAL', 'save image config: ms_vm_genid is not an array of 16 integers');
  }
  value.slice(0, LIBXL_MS_VM_GENID_LEN).forEach((byte: number, i) => (id[i] = ((byte % 256) + 256) % 256));
  return id;
}

/**
 * What is wrong with the ID of a saved image whose config is `configJson`: param 34 present exactly
 * when the config has an ID (unless the domain never ran: no memory, no firmware yet), and the 16
 * bytes at its address equal to the config's ID. Empty when it is right.
 */
export function checkSavedGenid(configJson: string, libxc: Pick<LibxcImage, 'params' | 'pages'>): string[] {
  const problems: string[] = [];
  let genid: Uint8Array;
  try {
    genid = genidFromConfigJson(configJson);
  } catch (error) {
    return [(error as Error).message];
  }
  const hasId = genid.some((byte) => byte !== 0);
  const address = libxc.params.get(HVM_PARAM_VM_GENERATION_ID_ADDR) ?? 0n;
  // A domain that never ran (no memory) has had no firmware to place its ID yet.
  const ran = libxc.pages.size > 0;
  if (hasId && address === 0n && ran) problems.push('the config has a generation ID but HVM param 34 (VM_GENERATION_ID_ADDR) is not in HVM_PARAMS');
  if (!hasId && address !== 0n) problems.push(`the config has no generation ID but HVM param 34 is 0x${address.toString(16)}`);
  if (hasId && address !== 0n) {
    const pfn = Number(address >> BigInt(XC_PAGE_SHIFT));
    const offset = Number(address & BigInt(XC_PAGE_SIZE - 1));
    const page = libxc.pages.get(pfn);
    if (offset + LIBXL_MS_VM_GENID_LEN > XC_PAGE_SIZE) {
      problems.push(`HVM param 34 (0x${address.toString(16)}): the 16-byte ID would cross a page boundary`);
    } else if (!page) {
      problems.push(`no PAGE_DATA for pfn 0x${pfn.toString(16)}, the page at HVM param 34 (0x${address.toString(16)})`);
    } else {
      const inMemory = MsVmGenid.fromBytes(page.subarray(offset, offset + LIBXL_MS_VM_GENID_LEN));
      const inConfig = MsVmGenid.fromBytes(genid);
      if (!inMemory.equals(inConfig)) {
        problems.push(`guest memory at HVM param 34 (0x${address.toString(16)}) holds ${inMemory.toHex()}, the config's ID is ${inConfig.toHex()}`);
      }
    }
  }
  return problems;
}
