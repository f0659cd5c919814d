/**
 * The HVM_CONTEXT record's blob: what `XEN_DOMCTL_gethvmcontext` returns, a sequence of save
 * records each led by a `struct hvm_save_descriptor { u16 typecode; u16 instance; u32 length; }`
 * (`xen/include/public/hvm/save.h`, `xen/include/public/arch-x86/hvm/save.h`).
 *
 * The simulated hypervisor keeps no vCPU, interrupt-controller or timer state, so our blob is the
 * smallest one Xen's `hvm_load` would read: the `HEADER` record (typecode 1: `struct hvm_save_header
 * { u32 magic = HVM_FILE_MAGIC; u32 version = HVM_FILE_VERSION; u64 changeset; u32 cpuid; u32 gtsc_khz; }`)
 * then the `END` record (typecode 0, length 0). 40 bytes in all.
 */
import { XlError } from '../errors.ts';

export const HVM_SAVE_CODE_END = 0;
export const HVM_SAVE_CODE_HEADER = 1;
export const HVM_FILE_MAGIC = 0x54381286;
export const HVM_FILE_VERSION = 0x00000001;
const DESCRIPTOR_SIZE = 8;
const HEADER_SIZE = 24;

export interface HvmContextHeader {
  /** CPUID leaf 1 EAX of the saving machine. */
  readonly cpuid: number;
  /** Guest TSC frequency, kHz. */
  readonly gtscKhz: number;
}

/** Builds the minimal context blob. */
export function encodeHvmContext(header: HvmContextHeader): Uint8Array {
  const bytes = new Uint8Array(DESCRIPTOR_SIZE + HEADER_SIZE + DESCRIPTOR_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, HVM_SAVE_CODE_HEADER, true);
  view.setUint16(2, 0, true);
  view.setUint32(4, HEADER_SIZE, true);
  view.setUint32(8, HVM_FILE_MAGIC, true);
  view.setUint32(12, HVM_FILE_VERSION, true);
  view.setBigUint64(16, 0n, true); // changeset: unknown, as release builds write
  view.setUint32(24, header.cpuid >>> 0, true);
  view.setUint32(28, header.gtscKhz >>> 0, true);
  view.setUint16(32, HVM_SAVE_CODE_END, true);
  view.setUint16(34, 0, true);
  view.setUint32(36, 0, true);
  return bytes;
}

/**
 * Walks a context blob as `hvm_load` does: a HEADER first with the right magic and version, then
 * descriptors that fit in the blob, ending with END exactly at the end. Records other than HEADER
 * are accepted and skipped (the simulation restores none of them).
 */
export function parseHvmContext(blob: Uint8Array): HvmContextHeader {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const bad = (why: string) => new XlError('INVAL', `HVM_CONTEXT record: ${why}`);
  if (blob.length < DESCRIPTOR_SIZE + HEADER_SIZE) throw bad(`blob of ${blob.length} bytes is too short for a HEADER`);
  if (view.getUint16(0, true) !== HVM_SAVE_CODE_HEADER) throw bad('does not start with a HEADER save record');
  if (view.getUint32(4, true) !== HEADER_SIZE) throw bad(`HEADER length ${view.getUint32(4, true)}, expected ${HEADER_SIZE}`);
  const magic = view.getUint32(8, true);
  if (magic !== HVM_FILE_MAGIC) throw bad(`HEADER magic 0x${magic.toString(16)}, expected 0x${HVM_FILE_MAGIC.toString(16)}`);
  const version = view.getUint32(12, true);
  if (version !== HVM_FILE_VERSION) throw bad(`HEADER version ${version}, expected ${HVM_FILE_VERSION}`);
  const header = { cpuid: view.getUint32(24, true), gtscKhz: view.getUint32(28, true) };
  let offset = DESCRIPTOR_SIZE + HEADER_SIZE;
  for (;;) {
    if (blob.length - offset < DESCRIPTOR_SIZE) throw bad(`save record descriptor truncated at offset ${offset}`);
    const code = view.getUint16(offset, true);
    const length = view.getUint32(offset + 4, true);
    offset += DESCRIPTOR_SIZE;
    if (length > blob.length - offset) throw bad(`save record type ${code} (length ${length}) overruns the blob`);
    offset += length;
    if (code === HVM_SAVE_CODE_END) {
      if (length !== 0) throw bad('END save record with non-zero length');
      if (offset !== blob.length) throw bad(`${blob.length - offset} bytes after the END save record`);
      return header;
    }
  }
}
