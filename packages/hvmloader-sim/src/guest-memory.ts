/**
 * Guest-physical memory as the firmware and the guest OS see it: byte reads and writes at any
 * address. The builders take this interface, as libacpi takes `mem_ops` (`tools/libacpi/libacpi.h`).
 */
import { XC_PAGE_SIZE, createGuestMemory, type Hypervisor } from '@xen-genid/xc-params';
import { HvmloaderError } from './errors.ts';

export interface GuestMemory {
  read(address: number, length: number): Uint8Array;
  write(address: number, bytes: Uint8Array): void;
  /**
   * Whether every page of the range holds data (a dump or a populated guest page); a reader uses
   * it to tell a truncated table from zeros. Memories that cannot tell leave it out.
   */
  isPopulated?(address: number, length: number): boolean;
}

function pagesOf(address: number, length: number): number[] {
  const first = Math.floor(address / XC_PAGE_SIZE);
  const last = Math.floor((address + Math.max(length, 1) - 1) / XC_PAGE_SIZE);
  const out: number[] = [];
  for (let pfn = first; pfn <= last; pfn += 1) out.push(pfn);
  return out;
}

/** Highest guest-physical address + 1 that the 32-bit firmware and our tables use. */
const ADDRESS_LIMIT = 2 ** 52;

function checkRange(address: number, length: number): void {
  if (!Number.isSafeInteger(address) || address < 0 || !Number.isSafeInteger(length) || length < 0 || address + length > ADDRESS_LIMIT) {
    throw new HvmloaderError('INVALID_ARGUMENT', `guest memory range 0x${address.toString(16)}+${length} is out of bounds`);
  }
}

/**
 * Visits the page pieces of `[address, address + length)` in order: the frame, the offset in it,
 * the offset in the range and the piece's length.
 */
function forEachPagePiece(address: number, length: number, visit: (pfn: number, offset: number, done: number, count: number) => void): void {
  let done = 0;
  while (done < length) {
    const current = address + done;
    const offset = current % XC_PAGE_SIZE;
    const count = Math.min(XC_PAGE_SIZE - offset, length - done);
    visit(Math.floor(current / XC_PAGE_SIZE), offset, done, count);
    done += count;
  }
}

/**
 * Sparse guest memory kept in 4 KiB pages; pages never written read as zeros. Used for dumps
 * and as a write buffer in front of a hypervisor.
 */
export class PagedMemory implements GuestMemory {
  readonly pages = new Map<number, Uint8Array>();

  read(address: number, length: number): Uint8Array {
    checkRange(address, length);
    const out = new Uint8Array(length);
    forEachPagePiece(address, length, (pfn, offset, done, count) => {
      const page = this.pages.get(pfn);
      if (page) out.set(page.subarray(offset, offset + count), done);
    });
    return out;
  }

  write(address: number, bytes: Uint8Array): void {
    checkRange(address, bytes.length);
    forEachPagePiece(address, bytes.length, (pfn, offset, done, count) => {
      let page = this.pages.get(pfn);
      if (!page) {
        page = new Uint8Array(XC_PAGE_SIZE);
        this.pages.set(pfn, page);
      }
      page.set(bytes.subarray(done, done + count), offset);
    });
  }

  isPopulated(address: number, length: number): boolean {
    return pagesOf(address, length).every((pfn) => this.pages.has(pfn));
  }

  /** Frame numbers of the pages written, ascending. */
  touchedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }
}

/**
 * A domain's own memory, as the guest itself reaches it (xc-params' guest-memory accessor over the
 * hypervisor's pages). Reads are cached by page; writes are buffered and reach the domain on
 * `flush()`, so a firmware run that fails half-way leaves the domain untouched.
 */
export class DomainMemory implements GuestMemory {
  readonly #hypervisor: Hypervisor;
  readonly #domid: number;
  readonly #guest: ReturnType<typeof createGuestMemory>;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #dirty = new Set<number>();

  constructor(hypervisor: Hypervisor, domid: number) {
    this.#hypervisor = hypervisor;
    this.#domid = domid;
    this.#guest = createGuestMemory(hypervisor, domid);
  }

  #page(pfn: number): Uint8Array {
    let page = this.#cache.get(pfn);
    if (!page) {
      page = this.#guest.read(BigInt(pfn * XC_PAGE_SIZE), XC_PAGE_SIZE);
      this.#cache.set(pfn, page);
    }
    return page;
  }

  read(address: number, length: number): Uint8Array {
    checkRange(address, length);
    const out = new Uint8Array(length);
    forEachPagePiece(address, length, (pfn, offset, done, count) => {
      out.set(this.#page(pfn).subarray(offset, offset + count), done);
    });
    return out;
  }

  write(address: number, bytes: Uint8Array): void {
    checkRange(address, bytes.length);
    forEachPagePiece(address, bytes.length, (pfn, offset, done, count) => {
      this.#page(pfn).set(bytes.subarray(done, done + count), offset);
      this.#dirty.add(pfn);
    });
  }

  isPopulated(address: number, length: number): boolean {
    return pagesOf(address, length).every((pfn) => this.#dirty.has(pfn) || this.#hypervisor.readPage(this.#domid, pfn) !== undefined);
  }

  /** Writes every modified page back to the hypervisor. */
  flush(): void {
    for (const pfn of [...this.#dirty].sort((a, b) => a - b)) {
      this.#guest.write(BigInt(pfn * XC_PAGE_SIZE), this.#page(pfn));
    }
    this.#dirty.clear();
  }

  /** Drops buffered writes. */
  discard(): void {
    for (const pfn of this.#dirty) this.#cache.delete(pfn);
    this.#dirty.clear();
  }
}
