/**
 * hvmloader's ACPI allocator (`tools/firmware/hvmloader/util.c` acpi_mem_alloc, Xen 4.17): a
 * bump pointer that starts one byte below ACPI_MEMORY_DYNAMIC_START, raises every alignment to at
 * least 16, places a block at `(last + align) & ~(align - 1)` and fails (BUG_ON) when a block
 * would end at or beyond RESERVED_MEMORY_DYNAMIC_START.
 */
import { HvmloaderError } from '../../errors.ts';

export class AcpiAllocator {
  readonly #end: number;
  /** Address of the last byte handed out (`acpi_alloc_up`). */
  #last: number;

  constructor(start: number, end: number) {
    this.#last = start - 1;
    this.#end = end;
  }

  /** @see acpi_mem_alloc (tools/firmware/hvmloader/util.c) */
  alloc(size: number, align: number): number {
    if (!Number.isInteger(size) || size <= 0 || !Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
      throw new HvmloaderError('INVALID_ARGUMENT', `bad ACPI allocation: size ${size}, align ${align}`);
    }
    const effective = Math.max(align, 16);
    const start = Math.floor((this.#last + effective) / effective) * effective;
    const last = start + size - 1;
    if (last >= this.#end) {
      throw new HvmloaderError(
        'OUT_OF_ACPI_MEMORY',
        `ACPI allocation of ${size} bytes at 0x${start.toString(16)} runs past 0x${this.#end.toString(16)}`,
      );
    }
    this.#last = last;
    return start;
  }

  /** The address of the last byte allocated so far. */
  get lastByte(): number {
    return this.#last;
  }
}
