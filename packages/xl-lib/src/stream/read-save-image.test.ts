import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { SAMPLE_GENID, concatChunks, makeGuestDomain } from './__fixtures__/guest-domain.ts';
import { bufferSource, fileSource } from './byte-source.ts';
import { checkSaveImage } from './check-save-image.ts';
import { REC_TYPE } from './format.ts';
import { encodeRecord } from './libxc-stream.ts';
import { readSaveImage, type SaveImage } from './save-image.ts';
import { saveImageChunks } from './write-save-image.ts';

function messages(image: SaveImage, touchedPages?: number[]): string {
  return checkSaveImage(image, { touchedPages }).map((problem) => problem.message).join('\n');
}

const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID, pages: 4 });
const VALID = concatChunks(saveImageChunks(hypervisor, domid, { configJson }));
const view = new DataView(VALID.buffer, VALID.byteOffset, VALID.byteLength);
/** Offsets of the layers inside VALID. */
const LIBXL_HEADER = 48 + view.getUint32(44, true);
const LIBXC_IHDR = LIBXL_HEADER + 16 + 8;
const FIRST_LIBXC_RECORD = LIBXC_IHDR + 24 + 16;

/** Offset of the first libxc record of `type` in VALID. */
function recordAt(type: number): number {
  let at = FIRST_LIBXC_RECORD;
  for (;;) {
    const recordType = view.getUint32(at, true);
    if (recordType === type) return at;
    if (recordType === REC_TYPE.END) throw new Error(`no record ${type}`);
    at += 8 + Math.ceil(view.getUint32(at + 4, true) / 8) * 8;
  }
}

function mutate(edit: (bytes: Uint8Array, dv: DataView) => void): Uint8Array {
  const bytes = Uint8Array.from(VALID);
  edit(bytes, new DataView(bytes.buffer));
  return bytes;
}

const dir = mkdtempSync(join(tmpdir(), 'xl-lib-read-save-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What reading `bytes` comes to: the error's message, or every page read (pfn and hex bytes, in
 * pfn order). From a file that can be read again (`position` given, as `xl restore` reads a
 * file), with the xl header read first, as xl reads it; else from memory.
 */
async function outcome(bytes: Uint8Array, from: 'memory' | 'file'): Promise<string> {
  let fd: number | undefined;
  try {
    let source = bufferSource(bytes);
    if (from === 'file') {
      const file = join(dir, 'image');
      writeFileSync(file, bytes);
      fd = openSync(file, 'r');
      const prefix = bytes.subarray(0, 48);
      source = fileSource(fd, prefix, { position: prefix.length });
    }
    const image = await readSaveImage(source);
    return [...image.libxc.pages]
      .sort(([left], [right]) => left - right)
      .map(([pfn, data]) => `${pfn}:${Buffer.from(data).toString('hex')}`)
      .join('\n');
  } catch (error) {
    if (!XlError.is(error) || error.code !== 'INVAL') throw error;
    return `error: ${error.message}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The error reading `bytes` gives, the same from memory and from a file whose pages stay in it. */
async function rejection(bytes: Uint8Array): Promise<XlError> {
  const fromFile = await outcome(bytes, 'file');
  try {
    await readSaveImage(bufferSource(bytes));
  } catch (error) {
    expect(XlError.is(error)).toBe(true);
    expect((error as XlError).code).toBe('INVAL');
    expect(fromFile).toBe(`error: ${(error as XlError).message}`);
    return error as XlError;
  }
  throw new Error('the image was accepted');
}

describe('bad save images: a clear error naming what is wrong', () => {
  it('accepts the unmodified image', async () => {
    await expect(readSaveImage(bufferSource(VALID))).resolves.toBeDefined();
  });

  it('wrong magic', async () => {
    expect((await rejection(mutate((b) => (b[0] = 0x59)))).message).toMatch(/wrong magic number/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXL_HEADER, 0x12345678, false)))).message).toMatch(/libxl stream: invalid ident/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXC_IHDR, 0, false)))).message).toMatch(/invalid image marker .*legacy/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXC_IHDR + 8, 0x58454e47, false)))).message).toMatch(/invalid image id/);
  });

  it('wrong endianness, at each of the three layers', async () => {
    expect((await rejection(mutate((b, dv) => dv.setUint32(32, 0x01020304, false)))).message).toMatch(/wrong byte order \(saved on a big-endian host\)/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXL_HEADER + 12, 1, false)))).message).toMatch(/libxl stream: big-endian/);
    expect((await rejection(mutate((b, dv) => dv.setUint16(LIBXC_IHDR + 16, 1, false)))).message).toMatch(/libxc stream: big-endian images/);
  });

  it('unknown mandatory flag, and a legacy body', async () => {
    expect((await rejection(mutate((b, dv) => dv.setUint32(36, dv.getUint32(36, true) | 0x10, true)))).message).toBe(
      'Savefile has mandatory flag(s) 0x10 which are not supported; need newer xl',
    );
    expect((await rejection(mutate((b, dv) => dv.setUint32(36, 1, true)))).message).toMatch(/legacy/);
  });

  it('future versions', async () => {
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXC_IHDR + 12, 4, false)))).message).toBe(
      'libxc stream: unsupported image version: expected 2 <= version <= 3, got 4',
    );
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXL_HEADER + 8, 3, false)))).message).toBe(
      'libxl stream: unsupported version: expected 2, got 3',
    );
    // a version 2 image cannot carry v3 records
    expect((await rejection(mutate((b, dv) => dv.setUint32(LIBXC_IHDR + 12, 2, false)))).message).toMatch(/X86_CPUID_POLICY record found in a version 2 image/);
  });

  it('truncated anywhere', async () => {
    const cuts = [0, 20, 47, 60, LIBXL_HEADER + 4, LIBXC_IHDR + 30, recordAt(REC_TYPE.PAGE_DATA) + 5000, VALID.length - 8, VALID.length - 1];
    for (const cut of cuts) {
      expect((await rejection(VALID.subarray(0, cut))).message).toMatch(/truncated/);
    }
  });

  it('corrupted records', async () => {
    const page = recordAt(REC_TYPE.PAGE_DATA);
    expect((await rejection(mutate((b, dv) => dv.setUint32(page + 8, 3, true)))).message).toMatch(/PAGE_DATA record wrong size/);
    expect((await rejection(mutate((b, dv) => dv.setUint8(page + 16 + 7, 0x50)))).message).toMatch(/unknown page type 0x5/);
    expect((await rejection(mutate((b, dv) => dv.setUint8(page + 16 + 6, 0x10)))).message).toMatch(/reserved bits set in PAGE_DATA pfn\[0\]/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(recordAt(REC_TYPE.X86_TSC_INFO), 0x13, true)))).message).toMatch(
      /unrecognised or unsupported mandatory record type 0x13/,
    );
    const context = recordAt(REC_TYPE.HVM_CONTEXT);
    expect((await rejection(mutate((b, dv) => dv.setUint8(context + 16, dv.getUint8(context + 16) ^ 0xff)))).message).toMatch(/HVM_CONTEXT record: HEADER magic/);
    const params = recordAt(REC_TYPE.HVM_PARAMS);
    expect((await rejection(mutate((b, dv) => dv.setBigUint64(params + 16, 99n, true)))).message).toMatch(/param index 99 is not below HVM_NR_PARAMS/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(params + 4, 0x7fffffff, true)))).message).toMatch(/exceeds REC_LENGTH_MAX/);
    expect((await rejection(mutate((b, dv) => dv.setUint32(recordAt(REC_TYPE.STATIC_DATA_END), REC_TYPE.CHECKPOINT, true)))).message).toMatch(
      /CHECKPOINT record in a non-checkpointed stream/,
    );
    expect((await rejection(mutate((b, dv) => dv.setUint32(recordAt(REC_TYPE.STATIC_DATA_END), REC_TYPE.VERIFY, true)))).message).toMatch(
      /PAGE_DATA record before STATIC_DATA_END/,
    );
  });

  it('records are padded to 8 octets with zeros; a non-zero padding byte is corruption', async () => {
    const extra = encodeRecord(0x80000001, Uint8Array.of(1, 2, 3, 4, 5));
    expect(extra.length).toBe(16);
    expect([...extra.subarray(13)]).toEqual([0, 0, 0]);
    const end = recordAt(REC_TYPE.END);
    const padded = Buffer.concat([VALID.subarray(0, end), extra, VALID.subarray(end)]);
    await expect(readSaveImage(bufferSource(padded))).resolves.toBeDefined();
    padded[end + 15] = 1;
    expect((await rejection(padded)).message).toMatch(/0x80000001 record padding contains non-zero bytes/);
  });

  it('an optional record it does not know is skipped', async () => {
    const optional = mutate((b, dv) => dv.setUint32(recordAt(REC_TYPE.X86_TSC_INFO), 0x80000042, true));
    const image = await readSaveImage(bufferSource(optional));
    expect(image.libxc.tscInfo).toBeUndefined();
    expect(messages(image)).toMatch(/record 0x80000042 does not belong.*\n?.*expected one X86_TSC_INFO record, found 0/s);
  });
});

describe('fuzzing the reader', () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(VALID.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('word' as const), at: fc.nat(Math.floor(VALID.length / 4) - 1), value: fc.nat() }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(VALID.length) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(VALID.length), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
    fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 4096 }) }),
  );

  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  function apply(m: Mutation): Uint8Array {
    switch (m.kind) {
      case 'flip':
        return mutate((b) => (b[m.at] = m.value));
      case 'word':
        return mutate((b, dv) => dv.setUint32(m.at * 4, m.value, true));
      case 'cut':
        return VALID.subarray(0, m.at);
      case 'insert':
        return Buffer.concat([VALID.subarray(0, m.at), m.bytes, VALID.subarray(m.at)]);
      case 'random':
        return m.bytes;
    }
  }

  it('either reads an image or rejects it with an INVAL XlError, never anything else (1,000 runs)', async () => {
    console.log(`save-image reader fuzz seed: ${seed} (rerun with FUZZ_SEED=${seed})`);
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const bytes = apply(m);
        try {
          const image = await readSaveImage(bufferSource(bytes));
          accepted++;
          expect(Array.isArray(checkSaveImage(image))).toBe(true);
        } catch (error) {
          if (!XlError.is(error) || error.code !== 'INVAL') throw error;
          expect(error.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 1000, seed },
    );
    expect(accepted).toBeGreaterThan(0); // flips inside page data are still well-formed images
  });

  it('reads the same pages, or fails with the same message, from memory and from a file whose pages stay in it (300 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const bytes = apply(m);
        expect(await outcome(bytes, 'file')).toBe(await outcome(bytes, 'memory'));
      }),
      { numRuns: 300, seed },
    );
  });

  it('a file-backed image reads each page from the file when asked', async () => {
    expect(await outcome(VALID, 'file')).toBe(await outcome(VALID, 'memory'));
    expect((await outcome(VALID, 'file')).split('\n')).toHaveLength(6);
  });
});
