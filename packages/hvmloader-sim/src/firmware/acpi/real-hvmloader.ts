/**
 * Finds the DSDTs inside a real hvmloader binary the way the checks against Debian's
 * `xen-utils-4.17` do: scan for `DSDT` signatures whose header length fits and whose bytes sum
 * to zero. Nothing of the binary is kept; callers read it at run time.
 */
import { byteSum } from './table-header.ts';

export interface EmbeddedTable {
  readonly fileOffset: number;
  readonly bytes: Uint8Array;
}

export function findEmbeddedTables(binary: Uint8Array, signature = 'DSDT'): EmbeddedTable[] {
  const found: EmbeddedTable[] = [];
  const first = signature.charCodeAt(0);
  const view = new DataView(binary.buffer, binary.byteOffset, binary.byteLength);
  for (let offset = 0; offset + 36 <= binary.length; offset += 1) {
    if (binary[offset] !== first) continue;
    if (String.fromCharCode(...binary.subarray(offset, offset + 4)) !== signature) continue;
    const length = view.getUint32(offset + 4, true);
    if (length < 36 || offset + length > binary.length) continue;
    const bytes = binary.subarray(offset, offset + length);
    if (byteSum(bytes) === 0) found.push({ fileOffset: offset, bytes });
  }
  return found;
}
