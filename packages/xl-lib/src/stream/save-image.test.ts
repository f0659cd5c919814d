import { HVM_PARAM_STORE_PFN, HVM_PARAM_VM_GENERATION_ID_ADDR, MemoryHypervisor } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { GENID_ADDRESS, SAMPLE_GENID, concatChunks, configJsonFor, makeGuestDomain } from './__fixtures__/guest-domain.ts';
import { bufferSource, chunkSource } from './byte-source.ts';
import { genidFromConfigJson } from '../genid/saved-image.ts';
import { checkSaveImage } from './check-save-image.ts';
import { MAX_BATCH_SIZE, REC_TYPE, REC_TYPE_LIBXL, XL_MANDATORY_FLAG_JSON, XL_MANDATORY_FLAG_STREAMv2 } from './format.ts';
import { readSaveImage, type SaveImage } from './save-image.ts';
import { saveImageChunks } from './write-save-image.ts';

function messages(image: SaveImage, touchedPages?: number[]): string {
  return checkSaveImage(image, { touchedPages }).map((problem) => problem.message).join('\n');
}

async function roundTrip(bytes: Uint8Array) {
  return readSaveImage(bufferSource(bytes));
}

describe('save image writer and reader', () => {
  it('round-trips memory, params and config, in 4.17 record order', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID });
    const bytes = concatChunks(saveImageChunks(hypervisor, domid, { configJson }));
    const image = await roundTrip(bytes);

    expect(image.length).toBe(bytes.length);
    expect(image.xl.mandatoryFlags).toBe(XL_MANDATORY_FLAG_JSON | XL_MANDATORY_FLAG_STREAMv2);
    expect(image.xl.config).toBe(configJson);
    expect(image.libxlRecordTypes).toEqual([REC_TYPE_LIBXL.LIBXC_CONTEXT, REC_TYPE_LIBXL.END]);
    expect(image.libxc.version).toBe(3);
    expect([image.libxc.xenMajor, image.libxc.xenMinor]).toEqual([4, 17]);
    expect(image.libxc.recordTypes).toEqual([
      REC_TYPE.X86_CPUID_POLICY,
      REC_TYPE.X86_MSR_POLICY,
      REC_TYPE.STATIC_DATA_END,
      REC_TYPE.PAGE_DATA,
      REC_TYPE.X86_TSC_INFO,
      REC_TYPE.HVM_CONTEXT,
      REC_TYPE.HVM_PARAMS,
      REC_TYPE.END,
    ]);
    const touched = hypervisor.touchedPages(domid);
    expect([...image.libxc.pages.keys()].sort((a, b) => a - b)).toEqual(touched);
    for (const pfn of touched) expect(Buffer.compare(image.libxc.pages.get(pfn)!, hypervisor.readPage(domid, pfn)!)).toBe(0);
    expect(image.libxc.params).toEqual(
      new Map([
        [HVM_PARAM_STORE_PFN, 0xfeffcn],
        [HVM_PARAM_VM_GENERATION_ID_ADDR, GENID_ADDRESS],
      ]),
    );
    expect(image.libxc.msrPolicy?.map((msr) => msr.index)).toEqual([0xce, 0x10a]);
    expect(image.libxc.tscInfo?.khz).toBe(2_000_000);
    expect(checkSaveImage(image, { touchedPages: touched })).toEqual([]);
  });

  it('is the same image read from a channel in small chunks, leaving what follows END unread', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID, pages: 5 });
    const bytes = concatChunks(saveImageChunks(hypervisor, domid, { configJson }));
    const trailer = Buffer.from('domain received, ready to unpause');
    const all = Buffer.concat([bytes, trailer]);
    async function* chunks() {
      for (let at = 0; at < all.length; at += 333) yield all.subarray(at, at + 333);
    }
    const source = chunkSource(chunks());
    const image = await readSaveImage(source);
    expect(image.length).toBe(bytes.length);
    expect(image.libxc.pages.size).toBe(7); // 5 RAM pages, the acpi_info page, the ID's page
    const unread = Buffer.from(source.unread()).toString();
    expect(unread.length).toBeGreaterThan(0);
    expect(trailer.toString().startsWith(unread)).toBe(true);
  });

  it('writes the same bytes when the PAGE_DATA records share one buffer (each chunk consumed before the next)', () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ pages: 2 * MAX_BATCH_SIZE + 10 });
    const fresh = concatChunks(saveImageChunks(hypervisor, domid, { configJson, now: () => 0 }));
    const consumed: Uint8Array[] = [];
    let previous: Uint8Array | undefined;
    let shared = 0;
    for (const chunk of saveImageChunks(hypervisor, domid, { configJson, now: () => 0, reuseChunks: true })) {
      if (previous && chunk.buffer === previous.buffer) shared += 1;
      previous = chunk;
      consumed.push(chunk.slice());
    }
    expect(shared).toBe(2); // the second and third PAGE_DATA records reuse the first one's buffer
    expect(Buffer.compare(concatChunks(consumed), fresh)).toBe(0);
  });

  it('batches PAGE_DATA by MAX_BATCH_SIZE pfns', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ pages: 2 * MAX_BATCH_SIZE + 10 });
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid, { configJson })));
    expect(image.libxc.recordTypes.filter((type) => type === REC_TYPE.PAGE_DATA)).toHaveLength(3);
    expect(image.libxc.pages.size).toBe(2 * MAX_BATCH_SIZE + 11);
  });

  it('skips zero params, and the whole HVM_PARAMS record when all are zero', async () => {
    const hypervisor = new MemoryHypervisor();
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    hypervisor.writePage(domid, 0, new Uint8Array(4096).fill(9));
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid, { configJson: configJsonFor('bare', undefined) })));
    expect(image.libxc.recordTypes).not.toContain(REC_TYPE.HVM_PARAMS);
    expect(image.libxc.params.size).toBe(0);
    expect(checkSaveImage(image)).toEqual([]);
  });

  it('keeps pfns above 2^32 (the 52-bit pfn field) exact', async () => {
    const hypervisor = new MemoryHypervisor();
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    const high = 2 ** 51 + 0x12345;
    hypervisor.writePage(domid, high, new Uint8Array(4096).fill(0xab));
    hypervisor.writePage(domid, 0x100000005, new Uint8Array(4096).fill(0xcd));
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid, { configJson: configJsonFor('high', undefined) })));
    expect([...image.libxc.pages.keys()].sort((a, b) => a - b)).toEqual([0x100000005, high]);
    expect(image.libxc.pages.get(high)?.every((byte) => byte === 0xab)).toBe(true);
  });

  it('sends pfn 0 as XTAB for a domain that has no memory yet', async () => {
    const hypervisor = new MemoryHypervisor();
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid, { configJson: configJsonFor('empty', undefined) })));
    expect(image.libxc.recordTypes.filter((type) => type === REC_TYPE.PAGE_DATA)).toHaveLength(1);
    expect(new Map(image.libxc.pageTypes)).toEqual(new Map([[0, 0xf]]));
    expect(image.libxc.pages.size).toBe(0);
    expect(checkSaveImage(image, { touchedPages: [] })).toEqual([]);
  });

  it('writes no config and no JSON flag when given none', async () => {
    const { hypervisor, domid } = makeGuestDomain({ pages: 1 });
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid)));
    expect(image.xl.mandatoryFlags).toBe(XL_MANDATORY_FLAG_STREAMv2);
    expect(image.xl.config).toBeUndefined();
    expect(checkSaveImage(image)).toEqual([{ kind: 'genid', message: 'the image carries no libxl JSON config, so its generation ID cannot be checked' }]);
  });

  it('refuses PV domains and unknown domids', () => {
    const hypervisor = new MemoryHypervisor();
    expect(() => [...saveImageChunks(hypervisor, 0)]).toThrow(/PV/);
    expect(() => [...saveImageChunks(hypervisor, 42)]).toThrow(/domain 42 does not exist/);
  });
});

describe("our tail in the xl header's optional data, and progress", () => {
  const progressOf = () => {
    const steps: string[] = [];
    return { steps, report: (what: string, done: number, total: number) => steps.push(`${what} ${done}/${total}`) };
  };

  it('carries the frame count after the config, and both sides report frames against it', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ pages: 2 * MAX_BATCH_SIZE + 5 });
    const frames = hypervisor.touchedPages(domid).length;
    const sent = progressOf();
    const bytes = concatChunks(saveImageChunks(hypervisor, domid, { configJson, progress: sent.report }));
    expect(sent.steps).toEqual([
      'Start of stream 0/0',
      `Frames 0/${frames}`,
      `Frames ${MAX_BATCH_SIZE}/${frames}`,
      `Frames ${2 * MAX_BATCH_SIZE}/${frames}`,
      `Frames ${frames}/${frames}`,
      'End of stream 0/0',
    ]);
    const read = progressOf();
    const image = await readSaveImage(bufferSource(bytes), { progress: read.report });
    expect(image.xl.config).toBe(configJson);
    expect(image.xl.extras).toEqual({ frames });
    expect(read.steps).toEqual([
      `Frames restored ${MAX_BATCH_SIZE}/${frames}`,
      `Frames restored ${2 * MAX_BATCH_SIZE}/${frames}`,
      `Frames restored ${frames}/${frames}`,
    ]);
  });

  it("skips a tail that is not ours, as xl does, and refuses ours when it is damaged", async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain();
    const bytes = concatChunks(saveImageChunks(hypervisor, domid, { configJson }));
    const configEnd = 52 + new DataView(bytes.buffer, bytes.byteOffset + 48, 4).getUint32(0, true);
    const tailAt = Buffer.from(bytes).indexOf('xengenid', configEnd, 'latin1');
    expect(tailAt).toBe(configEnd);
    const foreign = Uint8Array.from(bytes);
    foreign.set(Buffer.from('someone!', 'latin1'), tailAt);
    const skipped = await readSaveImage(bufferSource(foreign));
    expect([skipped.xl.config, skipped.xl.extras]).toEqual([configJson, undefined]);
    const damaged = Uint8Array.from(bytes);
    damaged[tailAt + 12] = 0x7b + 1; // the JSON's opening brace
    await expect(readSaveImage(bufferSource(damaged))).rejects.toThrow(/optional data tail is not JSON/);
  });
});

describe('our checks beyond verify-stream-v2', () => {
  it('finds the ID in memory differing from the config', async () => {
    const { hypervisor, domid } = makeGuestDomain({ genid: SAMPLE_GENID });
    const other = SAMPLE_GENID.map((byte) => byte ^ 0xff);
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid, { configJson: configJsonFor('x', other) })));
    expect(messages(image)).toMatch(/guest memory at HVM param 34 \(0xfc001040\) holds 0123456789abcdeffedcba9876543210/);
  });

  it('finds param 34 missing when the config has an ID, and set when it has none', async () => {
    const withId = makeGuestDomain({ genid: SAMPLE_GENID });
    withId.hypervisor.writeParam(withId.domid, HVM_PARAM_VM_GENERATION_ID_ADDR, 0n);
    const image = await roundTrip(concatChunks(saveImageChunks(withId.hypervisor, withId.domid, { configJson: withId.configJson })));
    expect(messages(image)).toMatch(/has a generation ID but HVM param 34/);

    const noId = makeGuestDomain({ genid: SAMPLE_GENID });
    const image2 = await roundTrip(concatChunks(saveImageChunks(noId.hypervisor, noId.domid, { configJson: configJsonFor('n', undefined) })));
    expect(messages(image2)).toMatch(/has no generation ID but HVM param 34 is 0xfc001040/);
  });

  it('finds touched pages missing from the image', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID, pages: 3 });
    const image = await roundTrip(concatChunks(saveImageChunks(hypervisor, domid, { configJson })));
    expect(messages(image, [...hypervisor.touchedPages(domid), 0x777])).toMatch(
      /1 touched page\(s\) without PAGE_DATA, first pfn 0x777/,
    );
  });

  it('reads the ID from libxl JSON as libxl does (mod 256), all-zero when absent', () => {
    expect([...genidFromConfigJson('{"b_info":{"type.hvm":{"ms_vm_genid":[300,-1,0,0,0,0,0,0,0,0,0,0,0,0,0,1,99]}}}')]).toEqual([
      44, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    expect(genidFromConfigJson('{"b_info":{}}').every((byte) => byte === 0)).toBe(true);
    expect(() => genidFromConfigJson('{"b_info":{"type.hvm":{"ms_vm_genid":[1,2]}}}')).toThrow(/16 integers/);
    expect(() => genidFromConfigJson('{nope')).toThrow(/not valid JSON/);
  });
});
