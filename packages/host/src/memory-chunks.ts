/**
 * How the host file keeps a simulated domain's guest memory: in chunks of `PAGES_PER_CHUNK`
 * consecutive 4 KiB frames, one row each, so that a save or restore moves 64 KiB per row and a
 * row's bytes fill whole database pages (a page per row would cost a database page of 8 KiB per
 * 4 KiB frame). A chunk row holds a bit per frame (`present`: the frames ever written) and the
 * written frames' bytes, packed in frame order; a frame never written takes no space and reads as
 * absent, as a page Xen never populated.
 */
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';

/** Frames per chunk row: 64 KiB of guest memory. */
export const PAGES_PER_CHUNK = 16;

/** The chunk holding frame `pfn`, and the frame's slot in it. */
export const chunkOf = (pfn: number): number => Math.floor(pfn / PAGES_PER_CHUNK);
export const slotOf = (pfn: number): number => pfn % PAGES_PER_CHUNK;

/** Frames present in a chunk before `slot` (the packed index of the slot's frame). */
function framesBefore(present: number, slot: number): number {
  let bits = present & ((1 << slot) - 1);
  let count = 0;
  for (; bits !== 0; bits &= bits - 1) count += 1;
  return count;
}

/** Bytes a chunk's data takes: its frames present, packed. */
export const chunkBytes = (present: number): number => framesBefore(present, PAGES_PER_CHUNK) * XC_PAGE_SIZE;

/** A chunk row as stored. */
export interface StoredChunk {
  readonly present: number;
  readonly data: Uint8Array;
}

/** Frame `slot` of a stored chunk (a view into its data), or undefined when never written. */
export function frameOfChunk(chunk: StoredChunk, slot: number): Uint8Array | undefined {
  if ((chunk.present & (1 << slot)) === 0) return undefined;
  const at = framesBefore(chunk.present, slot) * XC_PAGE_SIZE;
  return chunk.data.subarray(at, at + XC_PAGE_SIZE);
}

/** The frame numbers a chunk holds, ascending. */
export function framesOfChunk(chunk: number, present: number): number[] {
  const frames: number[] = [];
  for (let slot = 0; slot < PAGES_PER_CHUNK; slot += 1) {
    if (present & (1 << slot)) frames.push(chunk * PAGES_PER_CHUNK + slot);
  }
  return frames;
}

/** `present` of a chunk with every frame written. */
export const ALL_FRAMES = (1 << PAGES_PER_CHUNK) - 1;

/**
 * The chunk that results from writing frames `written` (a bit per slot; their bytes at
 * `slot * XC_PAGE_SIZE` in `frames`) over `stored` (undefined: a chunk never written). When every
 * frame is written, the chunk's data is `frames` itself (nothing stored is kept, nothing to pack).
 */
export function mergeChunk(stored: StoredChunk | undefined, written: number, frames: Uint8Array): StoredChunk {
  if (written === ALL_FRAMES && frames.length === PAGES_PER_CHUNK * XC_PAGE_SIZE) return { present: written, data: frames };
  const present = (stored?.present ?? 0) | written;
  const data = new Uint8Array(chunkBytes(present));
  let at = 0;
  for (let slot = 0; slot < PAGES_PER_CHUNK; slot += 1) {
    if ((present & (1 << slot)) === 0) continue;
    const source = written & (1 << slot) ? frames.subarray(slot * XC_PAGE_SIZE, (slot + 1) * XC_PAGE_SIZE) : frameOfChunk(stored!, slot)!;
    data.set(source, at);
    at += XC_PAGE_SIZE;
  }
  return { present, data };
}
