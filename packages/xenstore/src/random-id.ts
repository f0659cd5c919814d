/**
 * An identifier no other store or process will hold (a store's tag on the changes it commits, a host
 * file connection's open mark): 32 hex digits from the kernel's random source
 * (`/dev/urandom`), read with the file calls every process has loaded rather than through
 * `node:crypto`, whose loading costs a short command more than all its other work.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export function randomId(): string {
  const bytes = new Uint8Array(16);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let offset = 0; offset < bytes.length; ) {
      const count = readSync(fd, bytes, offset, bytes.length - offset, null);
      if (count === 0) throw new Error('/dev/urandom: end of file');
      offset += count;
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.from(bytes).toString('hex');
}
