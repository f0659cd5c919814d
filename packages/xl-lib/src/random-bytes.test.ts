import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { XlError } from './errors.ts';
import { createFileRandomSource, createSeededRandomSource, osRandomSource, randomBytes } from './random-bytes.ts';

const dir = mkdtempSync(join(tmpdir(), 'xl-lib-random-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('randomBytes (libxl__random_bytes)', () => {
  it('fills exactly the asked length from the OS source', () => {
    expect(randomBytes(0)).toHaveLength(0);
    const bytes = randomBytes(4096, osRandomSource);
    expect(bytes).toHaveLength(4096);
    // 4096 random bytes hit at least 200 distinct values (a zero-filled buffer hits one).
    expect(new Set(bytes).size).toBeGreaterThan(200);
  });

  it('reads /dev/urandom as libxl does', () => {
    expect(randomBytes(32, createFileRandomSource())).toHaveLength(32);
  });

  it('fails with ERROR_FAIL when the file cannot be opened or runs short, never returning zeros', () => {
    expect(() => randomBytes(16, createFileRandomSource(join(dir, 'missing')))).toThrow(
      expect.objectContaining({ code: 'FAIL', message: expect.stringContaining('failed to open') }),
    );
    const short = join(dir, 'short');
    writeFileSync(short, new Uint8Array(8));
    expect(() => randomBytes(16, createFileRandomSource(short))).toThrow('file/stream truncated reading');
    expect(() => randomBytes(16, createFileRandomSource(dir))).toThrow(expect.objectContaining({ code: 'FAIL' }));
  });

  it('wraps any source failure as ERROR_FAIL with its cause', () => {
    const cause = new Error('boom');
    let caught: unknown;
    try {
      randomBytes(4, {
        fill() {
          throw cause;
        },
      });
    } catch (error) {
      caught = error;
    }
    expect(XlError.is(caught) && caught.rc).toBe(-3);
    expect((caught as Error).cause).toBe(cause);
  });

  it('refuses a bad length', () => {
    expect(() => randomBytes(-1)).toThrow(expect.objectContaining({ code: 'INVAL' }));
    expect(() => randomBytes(1.5)).toThrow(expect.objectContaining({ code: 'INVAL' }));
  });

  it('a seeded source repeats for the same seed and differs between seeds', () => {
    const a = randomBytes(16, createSeededRandomSource(9));
    expect(randomBytes(16, createSeededRandomSource(9))).toEqual(a);
    expect(randomBytes(16, createSeededRandomSource(10))).not.toEqual(a);
  });
});
