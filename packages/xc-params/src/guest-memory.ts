/**
 * Byte-level access to a domain's guest-physical memory over the hypervisor's 4 KiB page store, as
 * firmware sees its own RAM and as libxl reaches it through `xc_map_foreign_range` + `memcpy`
 * (`tools/libs/light/libxl_genid.c`). libacpi's builders take the same shape through `mem_ops`
 * (`tools/libacpi/libacpi.h`). Pages never written read as zeros.
 */
import { XcError } from './errors.ts';
import { XC_PAGE_SIZE, type Hypervisor } from './hypervisor.ts';
import { UINT64_MAX, checkDomidArgument } from './memory-hypervisor.ts';

/** A domain's guest-physical address space, byte by byte. */
export interface GuestMemory {
  readonly domid: number;
  /** `length` bytes from guest-physical `address` (a fresh copy); unwritten memory reads as zeros. */
  read(address: bigint, length: number): Uint8Array;
  /** Writes `bytes` at guest-physical `address`, across as many pages as it spans. */
  write(address: bigint, bytes: Uint8Array): void;
}

/** Guest-physical addresses are below 2^52 (the p2m's frame numbers must stay exact in a `number`). */
export const GUEST_ADDRESS_LIMIT = 1n << 52n;
/** The largest single read or write: 64 MiB. */
export const MAX_GUEST_MEMORY_ACCESS = 64 * 1024 * 1024;

const PAGE = BigInt(XC_PAGE_SIZE);

function checkRange(address: bigint, length: number): void {
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

/**
 * Guest memory of `domid` on `hypervisor`. Each call checks its whole range first, so a bad call
 * writes nothing; an unknown (or since destroyed) domain is `ESRCH`.
 */
export function createGuestMemory(hypervisor: Hypervisor, domid: number): GuestMemory {
  checkDomidArgument(domid);
  if (!hypervisor.getDomain(domid)) throw new XcError('ESRCH', `no domain ${domid}`);

  const exists = (): void => {
    if (!hypervisor.getDomain(domid)) throw new XcError('ESRCH', `no domain ${domid}`);
  };

  return Object.freeze({
    domid,
    read(address: bigint, length: number): Uint8Array {
      checkRange(address, length);
      exists();
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const at = address + BigInt(done);
        const pfn = Number(at / PAGE);
        const offset = Number(at % PAGE);
        const count = Math.min(XC_PAGE_SIZE - offset, length - done);
        const page = hypervisor.readPage(domid, pfn);
        if (page) out.set(page.subarray(offset, offset + count), done);
        done += count;
      }
      return out;
    },
    write(address: bigint, bytes: Uint8Array): void {
      if (!(bytes instanceof Uint8Array)) throw new XcError('EINVAL', 'guest memory writes take a Uint8Array');
      checkRange(address, bytes.length);
      exists();
      let done = 0;
      while (done < bytes.length) {
        const at = address + BigInt(done);
        const pfn = Number(at / PAGE);
        const offset = Number(at % PAGE);
        const count = Math.min(XC_PAGE_SIZE - offset, bytes.length - done);
        const page = count === XC_PAGE_SIZE ? new Uint8Array(XC_PAGE_SIZE) : (hypervisor.readPage(domid, pfn) ?? new Uint8Array(XC_PAGE_SIZE));
        page.set(bytes.subarray(done, done + count), offset);
        hypervisor.writePage(domid, pfn, page);
        done += count;
      }
    },
  });
}
