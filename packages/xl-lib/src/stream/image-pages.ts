/**
 * The guest pages a read libxc image carries: in memory (read from a channel or a buffer), or left
 * in the save file where they are and read when they are loaded. libxc's restore reads each
 * PAGE_DATA batch and copies it into the new domain at once (`process_page_data`,
 * `tools/libs/guest/xg_sr_restore.c`), never holding the whole image; a file read twice (the
 * records checked first, so a bad image makes no domain; the pages streamed in afterwards) does
 * the same with at most one batch of pages in memory.
 */
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import type { RereadableSource } from './byte-source.ts';
import { FrameTable } from './frame-table.ts';

/** One page to load: its frame and its 4 KiB. */
export type PageWrite = readonly [pfn: number, data: Uint8Array];

/** Bytes of the save file read at once when its pages are loaded (256 pages). */
const LOAD_READ_SIZE = 1 << 20;

/**
 * The pages of an image read from a rereadable source: each pfn's offset in it (its latest data
 * sent). A page asked for by `get` or iteration is read then, into a buffer of its own.
 */
export class FilePages implements ReadonlyMap<number, Uint8Array> {
  readonly #source: RereadableSource;
  readonly #offsets = new FrameTable();

  constructor(source: RereadableSource) {
    this.#source = source;
  }

  /** @internal The reader's record of a page's data at `offset` of the source (replacing earlier data). */
  place(pfn: number, offset: number): void {
    this.#offsets.set(pfn, offset);
  }

  /** @internal The reader's record of a page described without data (it has none). */
  remove(pfn: number): void {
    this.#offsets.delete(pfn);
  }

  get size(): number {
    return this.#offsets.size;
  }

  has(pfn: number): boolean {
    return this.#offsets.has(pfn);
  }

  get(pfn: number): Uint8Array | undefined {
    const offset = this.#offsets.get(pfn);
    if (offset === undefined) return undefined;
    const data = new Uint8Array(XC_PAGE_SIZE);
    this.#source.readAt(offset, data, `PAGE_DATA of pfn 0x${pfn.toString(16)}`);
    return data;
  }

  keys(): MapIterator<number> {
    return this.#offsets.keys();
  }

  *entries(): MapIterator<[number, Uint8Array]> {
    for (const pfn of this.#offsets.keys()) yield [pfn, this.get(pfn)!];
  }

  *values(): MapIterator<Uint8Array> {
    for (const [, data] of this.entries()) yield data;
  }

  [Symbol.iterator](): MapIterator<[number, Uint8Array]> {
    return this.entries();
  }

  forEach(callback: (data: Uint8Array, pfn: number, map: ReadonlyMap<number, Uint8Array>) => void, thisArg?: unknown): void {
    for (const [pfn, data] of this.entries()) callback.call(thisArg, data, pfn, this);
  }

  /**
   * The pages in batches, in the order they are in the file, each batch read with one read(2)
   * where its pages lie one after the other. Every batch's data are views of one buffer reused for
   * the next batch: a consumer copies what it keeps before it asks for the next.
   */
  *batches(): Generator<PageWrite[]> {
    // Frames sent once each, in increasing order, lie in the file in that order; others are
    // sorted by where each one's latest data is.
    const { frames: pfns, values: offsets } = this.#offsets.ascending() ?? byOffset(this.#offsets);
    const buffer = new Uint8Array(LOAD_READ_SIZE);
    // The buffer's pages, as views made once: every batch starts at the buffer's start.
    const views = Array.from({ length: LOAD_READ_SIZE / XC_PAGE_SIZE }, (_, page) => buffer.subarray(page * XC_PAGE_SIZE, (page + 1) * XC_PAGE_SIZE));
    let first = 0;
    while (first < pfns.length) {
      // The run of pages that follow one another in the file, up to a buffer's worth.
      const start = offsets[first]!;
      let end = first + 1;
      while (end < pfns.length && end - first < LOAD_READ_SIZE / XC_PAGE_SIZE && offsets[end] === start + (end - first) * XC_PAGE_SIZE) end += 1;
      const bytes = buffer.subarray(0, (end - first) * XC_PAGE_SIZE);
      this.#source.readAt(start, bytes, 'PAGE_DATA');
      const batch = new Array<PageWrite>(end - first);
      for (let index = first; index < end; index += 1) batch[index - first] = [pfns[index]!, views[index - first]!];
      yield batch;
      first = end;
    }
  }
}

function byOffset(offsets: FrameTable): { frames: number[]; values: number[] } {
  const placed = [...offsets].sort((a, b) => a[1] - b[1]);
  return { frames: placed.map(([pfn]) => pfn), values: placed.map(([, offset]) => offset) };
}

/**
 * An image's pages in batches for loading into a domain: a file's read as `FilePages.batches`
 * reads them (views of a reused buffer, valid until the next batch), pages in memory as one batch.
 */
export function pageBatches(pages: ReadonlyMap<number, Uint8Array>): Iterable<Iterable<PageWrite>> {
  return pages instanceof FilePages ? pages.batches() : [pages];
}
