/**
 * The numbers xl prints about a save file's header (`struct save_file_header` in `tools/xl/xl.h`):
 * `Saving to F new xl format (info 0x3/0x0/N)` and `Loading new save file F (new xl fmt info ...)`.
 */
import { readSync } from 'node:fs';
import { XL_MANDATORY_FLAG_JSON, XL_SAVEFILE_MAGIC } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-context.ts';

/** 32-byte magic, then byteorder, mandatory_flags, optional_flags, optional_data_len (u32 each). */
export const XL_HEADER_LENGTH = 48;

export interface XlHeaderInfo {
  readonly mandatoryFlags: number;
  readonly optionalFlags: number;
  readonly optionalDataLength: number;
}

/** Reads the header fields from the first bytes of an image; undefined if they are not an xl header. */
export function xlHeaderInfo(bytes: Uint8Array): XlHeaderInfo | undefined {
  if (bytes.length < XL_HEADER_LENGTH) return undefined;
  if (Buffer.from(bytes.subarray(0, 32)).toString('latin1') !== XL_SAVEFILE_MAGIC) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, XL_HEADER_LENGTH);
  const littleEndian = view.getUint32(32, true) === 0x01020304;
  return {
    mandatoryFlags: view.getUint32(36, littleEndian),
    optionalFlags: view.getUint32(40, littleEndian),
    optionalDataLength: view.getUint32(44, littleEndian),
  };
}

/** `0x%x/0x%x/%u`. */
export function formatHeaderInfo(info: XlHeaderInfo): string {
  return `0x${info.mandatoryFlags.toString(16)}/0x${info.optionalFlags.toString(16)}/${info.optionalDataLength}`;
}

/**
 * Reads the first bytes of an open save file, a pipe as well as a file (no seeking: the bytes read
 * are returned, for the reader of the whole image). Throws the usual Node errors.
 */
export function readXlHeaderFrom(fd: number): { readonly info: XlHeaderInfo | undefined; readonly bytes: Uint8Array } {
  const bytes = new Uint8Array(XL_HEADER_LENGTH);
  let length = 0;
  while (length < XL_HEADER_LENGTH) {
    const read = readSync(fd, bytes, length, XL_HEADER_LENGTH - length, null);
    if (read === 0) break;
    length += read;
  }
  return { info: xlHeaderInfo(bytes.subarray(0, length)), bytes: bytes.subarray(0, length) };
}

/** What xl prints on stderr once it has a save file's header (`restore_domain` in `tools/xl/xl_saverestore.c`). */
export function reportLoadingSaveFile(context: CommandContext, source: string, info: XlHeaderInfo): void {
  context.stderr.write(`Loading new save file ${source} (new xl fmt info ${formatHeaderInfo(info)})\n`);
  if (info.optionalDataLength > 0) {
    context.stderr.write(` Savefile contains xl domain config${info.mandatoryFlags & XL_MANDATORY_FLAG_JSON ? ' in JSON format' : ''}\n`);
  }
}
