/**
 * The common ACPI table header and checksums (`tools/libacpi/acpi2_0.h` struct acpi_header,
 * `build.c` set_checksum).
 */
import type { PlatformLayout } from '../platform-layout.ts';

export const ACPI_HEADER_SIZE = 36;

function writeAscii(target: Uint8Array, offset: number, text: string, width: number): void {
  for (let index = 0; index < width; index += 1) target[offset + index] = index < text.length ? text.charCodeAt(index) & 0x7f : 0;
}

/** A 36-byte header; the checksum byte is left 0 (see `finishTable`). */
export function tableHeader(signature: string, length: number, revision: number, layout: PlatformLayout): Uint8Array {
  const header = new Uint8Array(ACPI_HEADER_SIZE);
  const view = new DataView(header.buffer);
  writeAscii(header, 0, signature, 4);
  view.setUint32(4, length, true);
  header[8] = revision;
  writeAscii(header, 10, layout.oemId, 6);
  writeAscii(header, 16, layout.oemTableId, 8);
  view.setUint32(24, layout.oemRevision, true);
  writeAscii(header, 28, layout.creatorId, 4);
  view.setUint32(32, layout.creatorRevision, true);
  return header;
}

/** 8-bit sum of `bytes[start..start+length)`. */
export function byteSum(bytes: Uint8Array, start = 0, length = bytes.length - start): number {
  let sum = 0;
  for (let index = start; index < start + length; index += 1) sum = (sum + (bytes[index] as number)) & 0xff;
  return sum;
}

/** @see set_checksum (tools/libacpi/build.c): makes the bytes sum to zero. */
export function setChecksum(bytes: Uint8Array, checksumOffset: number, length: number): void {
  bytes[checksumOffset] = 0;
  bytes[checksumOffset] = (0x100 - byteSum(bytes, 0, length)) & 0xff;
}

/** Sets the header checksum (offset 9) over the whole table and returns it. */
export function finishTable(table: Uint8Array): Uint8Array {
  setChecksum(table, 9, table.length);
  return table;
}
