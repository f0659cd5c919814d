/**
 * A number kept for each guest frame (pfn) a libxc stream describes: a page's PFINFO type, or the
 * offset of its data in a save file. libxc's save sends a pass over the guest's memory in frame
 * order (`send_all_pages` walks the frames upward and `write_batch` sends them in that order,
 * `tools/libs/guest/xg_sr_save.c`), so a saved image names each frame once, each above the one
 * before: the table keeps such frames in two arrays, found by bisection, at a fraction of a Map's
 * cost for the 65,536 frames of a 256 MiB guest. A frame set again, set below the last one or
 * deleted (a live migration's later passes) turns it into a Map, with a Map's order: the order in
 * which frames were first set, which for the arrays is frame order too.
 */
export class FrameTable implements ReadonlyMap<number, number> {
  // Typed arrays outside the JavaScript heap, grown by doubling: no garbage for the collector to
  // move as they grow. A frame number has up to 52 bits, a file offset up to 53: doubles hold both.
  #frames = new Float64Array(1024);
  #values = new Float64Array(1024);
  #length = 0;
  /** The table once its frames stopped coming in increasing order. */
  #map: Map<number, number> | undefined;
  /** Where the last lookup found its frame: lookups in increasing order start there. */
  #hint = 0;

  set(frame: number, value: number): this {
    const length = this.#length;
    if (this.#map !== undefined || (length > 0 && frame <= this.#frames[length - 1]!)) {
      this.#asMap().set(frame, value);
      return this;
    }
    if (length === this.#frames.length) {
      this.#frames = grown(this.#frames);
      this.#values = grown(this.#values);
    }
    this.#frames[length] = frame;
    this.#values[length] = value;
    this.#length = length + 1;
    return this;
  }

  delete(frame: number): boolean {
    if (this.#map === undefined && this.#find(frame) < 0) return false;
    return this.#asMap().delete(frame);
  }

  /** The frames and their values in frame order, while the table holds them as two arrays. */
  ascending(): { readonly frames: ArrayLike<number>; readonly values: ArrayLike<number> } | undefined {
    if (this.#map !== undefined) return undefined;
    return { frames: this.#frames.subarray(0, this.#length), values: this.#values.subarray(0, this.#length) };
  }

  get size(): number {
    return this.#map?.size ?? this.#length;
  }

  has(frame: number): boolean {
    return this.#map === undefined ? this.#find(frame) >= 0 : this.#map.has(frame);
  }

  get(frame: number): number | undefined {
    if (this.#map !== undefined) return this.#map.get(frame);
    const index = this.#find(frame);
    return index < 0 ? undefined : this.#values[index];
  }

  *keys(): MapIterator<number> {
    if (this.#map !== undefined) yield* this.#map.keys();
    else for (let index = 0; index < this.#length; index += 1) yield this.#frames[index]!;
  }

  *values(): MapIterator<number> {
    if (this.#map !== undefined) yield* this.#map.values();
    else for (let index = 0; index < this.#length; index += 1) yield this.#values[index]!;
  }

  *entries(): MapIterator<[number, number]> {
    if (this.#map !== undefined) yield* this.#map.entries();
    else for (let index = 0; index < this.#length; index += 1) yield [this.#frames[index]!, this.#values[index]!];
  }

  [Symbol.iterator](): MapIterator<[number, number]> {
    return this.entries();
  }

  /** As a Map's, with no entry made per frame. */
  forEach(callback: (value: number, frame: number, table: ReadonlyMap<number, number>) => void, thisArg?: unknown): void {
    if (this.#map !== undefined) {
      this.#map.forEach((value, frame) => callback.call(thisArg, value, frame, this));
      return;
    }
    for (let index = 0; index < this.#length; index += 1) callback.call(thisArg, this.#values[index]!, this.#frames[index]!, this);
  }

  /** The index of `frame` in the arrays, or -1. */
  #find(frame: number): number {
    const frames = this.#frames;
    let low = 0;
    let high = this.#length;
    const hint = this.#hint;
    if (hint < high && frames[hint]! <= frame) {
      if (frames[hint] === frame) return hint;
      if (hint + 1 < high && frames[hint + 1] === frame) return (this.#hint = hint + 1);
      low = hint + 1;
    } else {
      high = Math.min(hint, high);
    }
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (frames[middle]! < frame) low = middle + 1;
      else high = middle;
    }
    if (low < this.#length && frames[low] === frame) return (this.#hint = low);
    return -1;
  }

  #asMap(): Map<number, number> {
    if (this.#map === undefined) {
      const map = new Map<number, number>();
      for (let index = 0; index < this.#length; index += 1) map.set(this.#frames[index]!, this.#values[index]!);
      this.#map = map;
      this.#frames = new Float64Array(0);
      this.#values = new Float64Array(0);
      this.#length = 0;
    }
    return this.#map;
  }
}

function grown(array: Float64Array): Float64Array<ArrayBuffer> {
  const larger = new Float64Array(array.length * 2);
  larger.set(array);
  return larger;
}
