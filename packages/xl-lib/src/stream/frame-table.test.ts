import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTable } from './frame-table.ts';

/** A table and a Map given the same operations: `[frame, value]` sets, `[frame]` deletes. */
function both(operations: readonly (readonly [number, number?])[]): { table: FrameTable; map: Map<number, number> } {
  const table = new FrameTable();
  const map = new Map<number, number>();
  for (const [frame, value] of operations) {
    if (value === undefined) expect(table.delete(frame)).toBe(map.delete(frame));
    else {
      table.set(frame, value);
      map.set(frame, value);
    }
  }
  return { table, map };
}

/** `ascending()` as plain arrays. */
function arrays(table: FrameTable): { frames: number[]; values: number[] } | undefined {
  const ascending = table.ascending();
  return ascending && { frames: Array.from(ascending.frames), values: Array.from(ascending.values) };
}

describe('FrameTable', () => {
  it('keeps frames set in increasing order as two arrays, in frame order', () => {
    const { table } = both([[3, 30], [7, 70], [0x100000005, 1]]);
    expect(arrays(table)).toEqual({ frames: [3, 7, 0x100000005], values: [30, 70, 1] });
    expect([...table]).toEqual([[3, 30], [7, 70], [0x100000005, 1]]);
    expect(table.get(7)).toBe(70);
    expect(table.get(0x100000005)).toBe(1);
    expect(table.has(4)).toBe(false);
    expect(table.get(2)).toBeUndefined();
    expect(table.get(8)).toBeUndefined();
  });

  it('grows past its first arrays', () => {
    const table = new FrameTable();
    for (let frame = 0; frame < 5000; frame += 1) table.set(frame * 2, frame);
    expect(table.size).toBe(5000);
    expect(table.get(9998)).toBe(4999);
    expect(table.get(2048)).toBe(1024);
    expect(table.has(2049)).toBe(false);
    expect(arrays(table)?.frames.at(-1)).toBe(9998);
  });

  it('becomes a Map, with a Map order, once a frame comes again, comes lower, or goes', () => {
    for (const operations of [
      [[1, 10], [2, 20], [1, 11]],
      [[5, 50], [2, 20]],
      [[1, 10], [2, 20], [1]],
    ] as const) {
      const { table, map } = both(operations);
      expect(table.ascending()).toBeUndefined();
      expect([...table]).toEqual([...map]);
    }
  });

  it('stays arrays when a frame it does not hold is deleted', () => {
    const { table } = both([[1, 10], [9]]);
    expect(arrays(table)).toEqual({ frames: [1], values: [10] });
  });

  it('answers every lookup as a Map given the same operations would', () => {
    const operation = fc.oneof(fc.tuple(fc.nat(64), fc.integer()), fc.tuple(fc.nat(64)));
    // frames set in increasing order (kept as arrays), then, half the time, anything
    const ascending = fc.uniqueArray(fc.nat(64), { maxLength: 40 }).map((frames) => frames.sort((a, b) => a - b).map((frame) => [frame, frame * 3] as const));
    const tail = fc.oneof(fc.constant([]), fc.array(operation, { maxLength: 20 }));
    fc.assert(
      fc.property(ascending, tail, fc.array(fc.nat(66)), (prefix, rest, lookups) => {
        const { table, map } = both([...prefix, ...rest]);
        expect(table.size).toBe(map.size);
        expect([...table.entries()]).toEqual([...map.entries()]);
        expect([...table.keys()]).toEqual([...map.keys()]);
        expect([...table.values()]).toEqual([...map.values()]);
        const seen: [number, number][] = [];
        table.forEach((value, frame, owner) => {
          expect(owner).toBe(table);
          seen.push([frame, value]);
        });
        expect(seen).toEqual([...map]);
        // lookups in the order given, then in increasing order (where the table starts at its last find)
        for (const frame of [...lookups, ...[...lookups].sort((a, b) => a - b)]) {
          expect(table.has(frame)).toBe(map.has(frame));
          expect(table.get(frame)).toBe(map.get(frame));
        }
      }),
    );
  });
});
