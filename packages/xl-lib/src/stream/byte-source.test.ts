import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSource, isRereadable } from './byte-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'xl-lib-byte-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `length` bytes, each its offset's three low bytes xor'd together: a misplaced byte shows. */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 1) bytes[at] = (at ^ (at >>> 8) ^ (at >>> 16)) & 0xff;
  return bytes;
}

describe('fileSource', () => {
  const contents = pattern(2.5 * 2 ** 20 + 123);
  const file = join(dir, 'image');
  writeFileSync(file, contents.subarray(100));

  it('serves the prefix, then the file, each read whole in a buffer of its own, however large', async () => {
    const fd = openSync(file, 'r');
    try {
      const source = fileSource(fd, contents.subarray(0, 100));
      const lengths = [8, 1 << 20, 40, (1 << 20) + 7, 16];
      const reads: Uint8Array[] = [];
      for (const length of lengths) reads.push(await source.read(length, 'a part'));
      // Every read still holds its own bytes once the later ones are made.
      let at = 0;
      for (const read of reads) {
        expect(Buffer.compare(read, contents.subarray(at, at + read.length))).toBe(0);
        at += read.length;
      }
      expect(source.offset).toBe(at);
      expect(source.drain()).toBe(contents.length - at);
    } finally {
      closeSync(fd);
    }
  });

  it('a read past the end is a truncated stream, with what the file still had', async () => {
    const fd = openSync(file, 'r');
    try {
      const source = fileSource(fd, contents.subarray(0, 100));
      await source.read(2 ** 20, 'the start');
      const rest = contents.length - 2 ** 20;
      await expect(source.read(rest + 1, 'the tail')).rejects.toThrow(
        `save stream truncated: the tail at offset ${2 ** 20} needs ${rest + 1} bytes, only ${rest} left`,
      );
    } finally {
      closeSync(fd);
    }
  });

  it('with its position given, passes over bytes and reads them again later, the prefix included', async () => {
    const fd = openSync(file, 'r');
    try {
      const source = fileSource(fd, contents.subarray(0, 100), { position: 0 });
      if (!isRereadable(source)) throw new Error('not rereadable');
      expect(source.skip(60, 'some bytes')).toBe(0);
      expect(Buffer.compare(await source.read(80, 'a part'), contents.subarray(60, 140))).toBe(0);
      expect(source.skip(2 ** 20, 'a large part')).toBe(140);
      expect(source.offset).toBe(140 + 2 ** 20);
      const again = new Uint8Array(2 ** 20 + 100);
      source.readAt(40, again, 'the bytes passed');
      expect(Buffer.compare(again, contents.subarray(40, 40 + again.length))).toBe(0);
      const rest = contents.length - source.offset;
      expect(() => source.skip(rest + 1, 'the tail')).toThrow(`save stream truncated: the tail at offset ${source.offset} needs ${rest + 1} bytes, only ${rest} left`);
      expect(source.drain()).toBe(rest);
    } finally {
      closeSync(fd);
    }
  });

  it('without its position, is read once from the start to the end', () => {
    const fd = openSync(file, 'r');
    try {
      expect(isRereadable(fileSource(fd))).toBe(false);
    } finally {
      closeSync(fd);
    }
  });
});
