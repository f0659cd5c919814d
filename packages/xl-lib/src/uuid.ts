/** Uuids as libxl reads and writes them (`tools/libs/light/libxl_uuid.c`). */
import { randomBytes, type RandomSource } from './random-bytes.ts';

/** The text `libxl_uuid_from_string` takes (xc-params' one uuid pattern). */
export { UUID_TEXT } from '@xen-genid/xc-params';

/** `libxl_uuid_generate`: a random (version 4) uuid, lower case. */
export function generateUuid(random?: RandomSource): string {
  const bytes = randomBytes(16, random);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
