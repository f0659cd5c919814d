/**
 * `libxl__random_bytes` (`tools/libs/light/libxl_utils.c`): `len` bytes from the OS's random
 * source. The default source reads `/dev/urandom`, as libxl does (with libxl's messages when it
 * cannot), through the file calls every process has loaded: Node's `node:crypto` would cost a short
 * command more to load than all its other work. The source is injectable so tests can fix the bytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { XlError } from './errors.ts';

/** Fills `buffer` completely with random bytes, or throws. */
export interface RandomSource {
  fill(buffer: Uint8Array): void;
}

/**
 * Reads from a character device or file exactly as libxl reads `/dev/urandom`: open failure,
 * read error and end of file are errors (`failed to open`, `failed to read`, `file/stream truncated`).
 */
export function createFileRandomSource(path = '/dev/urandom'): RandomSource {
  return {
    fill(buffer) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (error) {
        throw new XlError('FAIL', `failed to open "${path}": ${(error as Error).message}`, { cause: error });
      }
      try {
        let offset = 0;
        while (offset < buffer.length) {
          let count: number;
          try {
            count = readSync(fd, buffer, offset, buffer.length - offset, null);
          } catch (error) {
            throw new XlError('FAIL', `failed to read ${path}: ${(error as Error).message}`, { cause: error });
          }
          if (count === 0) throw new XlError('FAIL', `file/stream truncated reading ${path}`);
          offset += count;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** The kernel CSPRNG: `/dev/urandom`, as libxl reads it (all bits random; no UUID version bits). */
export const osRandomSource: RandomSource = createFileRandomSource('/dev/urandom');

/**
 * A deterministic source for tests and reproducible runs: bytes from a seeded xorshift generator.
 * Not random in any security sense.
 */
export function createSeededRandomSource(seed: number): RandomSource {
  let state = seed >>> 0 || 0x9e3779b9;
  return {
    fill(buffer) {
      for (let index = 0; index < buffer.length; index += 1) {
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        buffer[index] = state & 0xff;
      }
    },
  };
}

/**
 * `libxl__random_bytes`: `length` random bytes from `source`. Any failure of the source is an
 * `XlError('FAIL')`; a source never yields a partly filled buffer.
 */
export function randomBytes(length: number, source: RandomSource = osRandomSource): Uint8Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new XlError('INVAL', `random byte count must be a non-negative integer, got ${length}`);
  }
  const buffer = new Uint8Array(length);
  try {
    source.fill(buffer);
  } catch (error) {
    if (XlError.is(error)) throw error;
    throw new XlError('FAIL', `random source failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return buffer;
}
