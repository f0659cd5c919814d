/**
 * A domain's RAM as a file that QEMU maps (`-object memory-backend-file,share=on`) and the
 * toolstack reads and writes with positional I/O, as libxl reaches a real guest's frames through
 * `xc_map_foreign_range` (`tools/libs/light/libxl_genid.c`). Node has no mmap; `pread`/`pwrite` on the
 * shared file see and change the very pages the guest runs on. Below 4 GiB a guest-physical address
 * is the file offset (QEMU `pc` and `q35` with up to 2 GiB of RAM put all of it below the PCI hole).
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { XC_PAGE_SIZE, type GuestMemory } from '@xen-genid/xc-params';
import { QemuDmError } from './errors.ts';

const ZERO_PAGE = Buffer.alloc(XC_PAGE_SIZE);

/** The most RAM that lies entirely below the PCI hole on both machines: 2 GiB. */
export const MAX_LOW_RAM_BYTES = 2 * 1024 * 1024 * 1024;

/** Guest memory (xc-params' `GuestMemory`) that is the file itself: every reader and writer of the domain's memory uses it. */
export class RamFile implements GuestMemory, Disposable {
  readonly path: string;
  /** The guest's RAM in bytes. */
  readonly size: number;
  #fd: number | undefined;

  private constructor(path: string, fd: number, size: number) {
    this.path = path;
    this.size = size;
    this.#fd = fd;
  }

  /** A new file of `size` bytes of zeros; fails if `path` exists (`EEXIST`), so nothing is overwritten. */
  static create(path: string, size: number): RamFile {
    if (!Number.isInteger(size) || size <= 0 || size > MAX_LOW_RAM_BYTES || size % XC_PAGE_SIZE !== 0) {
      throw new QemuDmError('INVALID_ARGUMENT', `guest RAM of ${String(size)} bytes: needs whole pages, at most ${MAX_LOW_RAM_BYTES}`);
    }
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      ftruncateSync(fd, size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new RamFile(path, fd, size);
  }

  /** An existing RAM file (its size is the guest's RAM). */
  static open(path: string): RamFile {
    const fd = openSync(path, constants.O_RDWR);
    return new RamFile(path, fd, fstatSync(fd).size);
  }

  private handle(address: bigint, length: number): { fd: number; offset: number } {
    if (this.#fd === undefined) throw new QemuDmError('CLOSED', `RAM file ${this.path} is closed`);
    if (address < 0n || !Number.isInteger(length) || length < 0 || address + BigInt(length) > BigInt(this.size)) {
      throw new QemuDmError('INVALID_ARGUMENT', `guest range 0x${address.toString(16)}+${String(length)} is outside ${this.size} bytes of RAM`);
    }
    return { fd: this.#fd, offset: Number(address) };
  }

  read(address: bigint, length: number): Uint8Array {
    const { fd, offset } = this.handle(address, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const count = readSync(fd, out, done, length - done, offset + done);
      if (count === 0) break; // a file cut short reads as zeros past its end
      done += count;
    }
    return out;
  }

  write(address: bigint, bytes: Uint8Array): void {
    const { fd, offset } = this.handle(address, bytes.length);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
  }

  /**
   * The frames that hold anything but zeros, in order: the guest's memory as libxc's save sends it
   * (a frame of zeros reads the same from a new RAM file, so it is left out).
   */
  nonZeroPages(): number[] {
    const pages: number[] = [];
    const chunkBytes = 256 * XC_PAGE_SIZE;
    for (let offset = 0; offset < this.size; offset += chunkBytes) {
      const chunk = Buffer.from(this.read(BigInt(offset), Math.min(chunkBytes, this.size - offset)).buffer);
      for (let at = 0; at < chunk.length; at += XC_PAGE_SIZE) {
        if (!chunk.subarray(at, at + XC_PAGE_SIZE).equals(ZERO_PAGE)) pages.push((offset + at) / XC_PAGE_SIZE);
      }
    }
    return pages;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
