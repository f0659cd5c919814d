import { MemoryHypervisor } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { SAMPLE_GENID, concatChunks, makeGuestDomain } from '../stream/__fixtures__/guest-domain.ts';
import { bufferSource } from '../stream/byte-source.ts';
import { readSaveImage } from '../stream/save-image.ts';
import { saveImageChunks } from '../stream/write-save-image.ts';
import { applySaveImage } from './apply-image.ts';

describe('applySaveImage', () => {
  it('loads pages and params, through one batch when the hypervisor has one', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID, pages: 20 });
    const image = await readSaveImage(bufferSource(concatChunks(saveImageChunks(hypervisor, domid, { configJson }))));
    class BatchingHypervisor extends MemoryHypervisor {
      batches = 0;
      batch<T>(body: () => T): T {
        this.batches++;
        return body();
      }
    }
    const target = new BatchingHypervisor();
    const { domid: restored } = target.createDomain({ type: 'hvm' });
    applySaveImage(target, restored, image);
    expect(target.batches).toBe(1);
    expect(target.touchedPages(restored)).toEqual(hypervisor.touchedPages(domid));
    expect(target.readParam(restored, 34)).toBe(hypervisor.readParam(domid, 34));
  });

  it('wraps a hypervisor failure as FAIL naming the domain', async () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ pages: 2 });
    const image = await readSaveImage(bufferSource(concatChunks(saveImageChunks(hypervisor, domid, { configJson }))));
    expect(() => applySaveImage(new MemoryHypervisor(), 77, image)).toThrow(/restoring the memory of domain 77/);
  });
});
