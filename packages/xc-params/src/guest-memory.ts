/**
 * Byte-level access to guest-physical memory, the one shape every reader and writer of a guest's
 * memory uses: firmware on its own RAM, the guest OS model, libxl through `xc_map_foreign_range` +
 * `memcpy` (`tools/libs/light/libxl_dom.c` libxl__ms_vm_genid_set), a device model's RAM file.
 * libacpi's builders take the same shape through `mem_ops` (`tools/libacpi/libacpi.h`). Addresses
 * are guest-physical `bigint`s; memory kept in 4 KiB frames goes through one page walk
 * (`readGuestRange`/`writeGuestRange`). Pages never written read as zeros.
 */
import { XcError } from './errors.ts';
import { XC_PAGE_SHIFT, XC_PAGE_SIZE, type Hypervisor } from './hypervisor.ts';
import { UINT64_MAX, checkDomidArgument } from './memory-hypervisor.ts';

/** A guest-physical address space, byte by byte. */
export interface GuestMemory {
  /** `length` bytes from guest-physical `address` (a fresh copy); unwritten memory reads as zeros. */
  read(address: bigint, length: number): Uint8Array;
  /** Writes `bytes` at guest-physical `address`, across as many pages as it spans. */
  write(address: bigint, bytes: Uint8Array): void;
  /**
   * Whether every page of the range holds data (a dump or a populated guest page); a reader uses
   * it to tell a truncated table from zeros. Memories that cannot tell leave it out.
   */
  isPopulated?(address: bigint, length: number): boolean;
}

/** Memory kept in 4 KiB frames, as a hypervisor keeps a domain's. */
export interface GuestPages {
  /** The frame's bytes, or undefined if never written; the page walk may change them before `writePage`. */
  readPage(pfn: number): Uint8Array | undefined;
  writePage(pfn: number, data: Uint8Array): void;
}

/** Guest-physical addresses are below 2^52 (the p2m's frame numbers must stay exact in a `number`). */
export const GUEST_ADDRESS_LIMIT = 1n << 52n;
/** The largest single read or write: 64 MiB. */
export const MAX_GUEST_MEMORY_ACCESS = 64 * 1024 * 1024;

const SHIFT = BigInt(XC_PAGE_SHIFT);
const OFFSET_MASK = BigInt(XC_PAGE_SIZE - 1);

/** The frame number holding guest-physical `address` (`address >> XC_PAGE_SHIFT`). */
export const addressToPfn = (address: bigint): number => Number(address >> SHIFT);
/** `address`'s offset inside its frame (`address & ~XC_PAGE_MASK`). */
export const pageOffset = (address: bigint): number => Number(address & OFFSET_MASK);
/** The guest-physical address of frame `pfn`'s first byte. */
export const pfnToAddress = (pfn: number): bigint => BigInt(pfn) << SHIFT;

/** `EINVAL` unless `[address, address + length)` is a valid access below `GUEST_ADDRESS_LIMIT`. */
export function checkGuestRange(address: bigint, length: number): void {
  if (typeof address !== 'bigint' || address < 0n || address > UINT64_MAX) {
    throw new XcError('EINVAL', `guest address ${String(address)} is not a uint64 bigint`);
  }
  if (!Number.isInteger(length) || length < 0 || length > MAX_GUEST_MEMORY_ACCESS) {
    throw new XcError('EINVAL', `length ${String(length)} is not an integer in 0..${MAX_GUEST_MEMORY_ACCESS}`);
  }
  if (address + BigInt(length) > GUEST_ADDRESS_LIMIT) {
    throw new XcError('EINVAL', `guest range 0x${address.toString(16)}+${length} ends beyond 2^52`);
  }
}

function checkWrite(address: bigint, bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new XcError('EINVAL', 'guest memory writes take a Uint8Array');
  checkGuestRange(address, bytes.length);
}

/** The frames `[address, address + length)` touches (one frame for an empty range), ascending. */
export function guestFrames(address: bigint, length: number): number[] {
  const first = addressToPfn(address);
  const last = addressToPfn(address + BigInt(Math.max(length, 1) - 1));
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

/** The page walk: each frame of the range with the offset in it, the offset in the range and the count. */
function forEachPiece(address: bigint, length: number, visit: (pfn: number, offset: number, done: number, count: number) => void): void {
  let pfn = addressToPfn(address);
  let offset = pageOffset(address);
  for (let done = 0; done < length; pfn += 1, offset = 0) {
    const count = Math.min(XC_PAGE_SIZE - offset, length - done);
    visit(pfn, offset, done, count);
    done += count;
  }
}

/** `length` bytes at `address` from memory kept in frames (checked first: `EINVAL`). */
export function readGuestRange(pages: Pick<GuestPages, 'readPage'>, address: bigint, length: number): Uint8Array {
  checkGuestRange(address, length);
  const out = new Uint8Array(length);
  forEachPiece(address, length, (pfn, offset, done, count) => {
    const page = pages.readPage(pfn);
    if (page) out.set(page.subarray(offset, offset + count), done);
  });
  return out;
}

/** Writes `bytes` at `address` into memory kept in frames, keeping the bytes around them (checked first: `EINVAL`). */
export function writeGuestRange(pages: GuestPages, address: bigint, bytes: Uint8Array): void {
  checkWrite(address, bytes);
  forEachPiece(address, bytes.length, (pfn, offset, done, count) => {
    const page = count === XC_PAGE_SIZE ? new Uint8Array(XC_PAGE_SIZE) : (pages.readPage(pfn) ?? new Uint8Array(XC_PAGE_SIZE));
    page.set(bytes.subarray(done, done + count), offset);
    pages.writePage(pfn, page);
  });
}

/**
 * Guest memory of `domid` on `hypervisor`. Each call checks its whole range first, so a bad call
 * writes nothing; an unknown (or since destroyed) domain is `ESRCH`.
 */
export function createGuestMemory(hypervisor: Hypervisor, domid: number): Required<GuestMemory> {
  checkDomidArgument(domid);
  const exists = (): void => {
    if (!hypervisor.getDomain(domid)) throw new XcError('ESRCH', `no domain ${domid}`);
  };
  exists();
  const pages: GuestPages = {
    readPage: (pfn) => hypervisor.readPage(domid, pfn),
    writePage: (pfn, data) => hypervisor.writePage(domid, pfn, data),
  };
  return Object.freeze({
    read(address: bigint, length: number): Uint8Array {
      checkGuestRange(address, length);
      exists();
      return readGuestRange(pages, address, length);
    },
    write(address: bigint, bytes: Uint8Array): void {
      checkWrite(address, bytes);
      exists();
      writeGuestRange(pages, address, bytes);
    },
    isPopulated(address: bigint, length: number): boolean {
      checkGuestRange(address, length);
      exists();
      return guestFrames(address, length).every((pfn) => hypervisor.readPage(domid, pfn) !== undefined);
    },
  });
}
