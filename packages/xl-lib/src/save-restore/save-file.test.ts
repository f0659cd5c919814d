import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { SAMPLE_GENID, makeGuestDomain } from '../stream/__fixtures__/guest-domain.ts';
import { saveImageChunks } from '../stream/write-save-image.ts';
import { readSaveFile, writeSaveFile } from './save-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'xl-lib-save-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('save files', () => {
  it('are written whole under a temporary name, then renamed', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID });
    const file = join(dir, 'whole.save');
    const length = writeSaveFile(file, saveImageChunks(hypervisor, domid, { configJson }));
    expect(readFileSync(file).length).toBe(length);
    expect(readdirSync(dir)).toEqual(['whole.save']);
    expect((await readSaveFile(file)).xl.config).toBe(configJson);
  });

  it('a write failing midway leaves the old file as it was and no temporary file', () => {
    const file = join(dir, 'keep.save');
    writeFileSync(file, 'the previous save');
    function* failing() {
      yield new Uint8Array(1000);
      throw new Error('disk on fire');
    }
    expect(() => writeSaveFile(file, failing())).toThrow(/failed to write save file .*keep\.save: disk on fire/);
    expect(readFileSync(file, 'utf8')).toBe('the previous save');
    expect(readdirSync(dir).filter((name) => name.includes('keep'))).toEqual(['keep.save']);
  });

  it('a missing file is a clear INVAL error', async () => {
    const error = await readSaveFile(join(dir, 'nope.save')).catch((caught: unknown) => caught);
    expect(XlError.is(error) && error.code).toBe('INVAL');
    expect((error as Error).message).toMatch(/Can't open restore file: .*nope\.save/);
  });
});
