/**
 * The firmware's and the guest OS's own views of guest-physical memory, as xc-params' `GuestMemory`
 * (the builders take it as libacpi takes `mem_ops`, `tools/libacpi/libacpi.h`): a sparse memory for
 * dumps, and a domain's memory with its writes buffered.
 */
import {
  createGuestMemory,
  pfnToAddress,
  guestFrames,
  readGuestRange,
  writeGuestRange,
  XC_PAGE_SIZE,
  type GuestMemory,
  type GuestPages,
  type Hypervisor,
} from '@xen-genid/xc-params';

/**
 * Sparse guest memory kept in 4 KiB pages; pages never written read as zeros. Used for dumps
 * and as a write buffer in front of a hypervisor.
 */
export class PagedMemory implements GuestMemory {
  readonly pages = new Map<number, Uint8Array>();
  readonly #frames: GuestPages = { readPage: (pfn) => this.pages.get(pfn), writePage: (pfn, data) => this.pages.set(pfn, data) };

  read(address: bigint, length: number): Uint8Array {
    return readGuestRange(this.#frames, address, length);
  }

  write(address: bigint, bytes: Uint8Array): void {
    writeGuestRange(this.#frames, address, bytes);
  }

  isPopulated(address: bigint, length: number): boolean {
    return guestFrames(address, length).every((pfn) => this.pages.has(pfn));
  }

  /** Frame numbers of the pages written, ascending. */
  touchedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }
}

/**
 * A domain's own memory, as the guest itself reaches it (xc-params' guest memory over the
 * hypervisor's pages). Reads are cached by page; writes are buffered and reach the domain on
 * `flush()`, so a firmware run that fails half-way leaves the domain untouched.
 */
export class DomainMemory implements GuestMemory {
  readonly #hypervisor: Hypervisor;
  readonly #domid: number;
  readonly #guest: GuestMemory;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #dirty = new Set<number>();
  readonly #frames: GuestPages = {
    readPage: (pfn) => this.#page(pfn),
    writePage: (pfn, data) => {
      this.#cache.set(pfn, data);
      this.#dirty.add(pfn);
    },
  };

  constructor(hypervisor: Hypervisor, domid: number) {
    this.#hypervisor = hypervisor;
    this.#domid = domid;
    this.#guest = createGuestMemory(hypervisor, domid);
  }

  #page(pfn: number): Uint8Array {
    let page = this.#cache.get(pfn);
    if (!page) {
      page = this.#guest.read(pfnToAddress(pfn), XC_PAGE_SIZE);
      this.#cache.set(pfn, page);
    }
    return page;
  }

  read(address: bigint, length: number): Uint8Array {
    return readGuestRange(this.#frames, address, length);
  }

  write(address: bigint, bytes: Uint8Array): void {
    writeGuestRange(this.#frames, address, bytes);
  }

  isPopulated(address: bigint, length: number): boolean {
    return guestFrames(address, length).every((pfn) => this.#dirty.has(pfn) || this.#hypervisor.readPage(this.#domid, pfn) !== undefined);
  }

  /** Writes every modified page back to the hypervisor. */
  flush(): void {
    for (const pfn of [...this.#dirty].sort((a, b) => a - b)) this.#guest.write(pfnToAddress(pfn), this.#page(pfn));
    this.#dirty.clear();
  }

  /** Drops buffered writes. */
  discard(): void {
    for (const pfn of this.#dirty) this.#cache.delete(pfn);
    this.#dirty.clear();
  }
}
