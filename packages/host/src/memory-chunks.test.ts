import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { PAGES_PER_CHUNK, chunkOf, frameOfChunk, framesOfChunk, mergeChunk, slotOf } from './memory-chunks.ts';

/** A chunk's frames buffer with `fill` in each slot of `slots` (the rest zero). */
function frames(fills: Record<number, number>): { written: number; frames: Uint8Array } {
  const bytes = new Uint8Array(PAGES_PER_CHUNK * XC_PAGE_SIZE);
  let written = 0;
  for (const [slot, fill] of Object.entries(fills)) {
    bytes.fill(fill, Number(slot) * XC_PAGE_SIZE, (Number(slot) + 1) * XC_PAGE_SIZE);
    written |= 1 << Number(slot);
  }
  return { written, frames: bytes };
}

describe('guest memory chunks', () => {
  it('places a frame by its number', () => {
    expect([chunkOf(0), slotOf(0)]).toEqual([0, 0]);
    expect([chunkOf(17), slotOf(17)]).toEqual([1, 1]);
    expect([chunkOf(2 ** 40 - 1), slotOf(2 ** 40 - 1)]).toEqual([2 ** 36 - 1, 15]);
    expect(framesOfChunk(2, 0b1000_0000_0000_0101)).toEqual([32, 34, 47]);
  });

  it('packs only the written frames, in frame order, and merges new writes over stored ones', () => {
    const first = frames({ 3: 3, 9: 9 });
    const stored = mergeChunk(undefined, first.written, first.frames);
    expect(stored.present).toBe(0b10_0000_1000);
    expect(stored.data.length).toBe(2 * XC_PAGE_SIZE);
    expect(frameOfChunk(stored, 9)!.every((byte) => byte === 9)).toBe(true);
    expect(frameOfChunk(stored, 4)).toBeUndefined();

    const second = frames({ 0: 100, 9: 109, 15: 115 });
    const merged = mergeChunk(stored, second.written, second.frames);
    expect(framesOfChunk(0, merged.present)).toEqual([0, 3, 9, 15]);
    expect(merged.data.length).toBe(4 * XC_PAGE_SIZE);
    expect([0, 3, 9, 15].map((slot) => frameOfChunk(merged, slot)![XC_PAGE_SIZE - 1])).toEqual([100, 3, 109, 115]);
    // The stored chunk is not changed by the merge.
    expect(frameOfChunk(stored, 9)![0]).toBe(9);
  });
});
