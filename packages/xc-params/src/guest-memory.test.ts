import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XcError } from './errors.ts';
import {
  addressToPfn,
  createGuestMemory,
  guestFrames,
  pageOffset,
  pfnToAddress,
  readGuestRange,
  writeGuestRange,
  GUEST_ADDRESS_LIMIT,
  MAX_GUEST_MEMORY_ACCESS,
  type GuestPages,
} from './guest-memory.ts';
import { XC_PAGE_SIZE } from './hypervisor.ts';
import { MemoryHypervisor } from './memory-hypervisor.ts';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return XcError.is(error) ? error.code : `not an XcError: ${String(error)}`;
  }
  return undefined;
}

function setup() {
  const hypervisor = new MemoryHypervisor();
  const { domid } = hypervisor.createDomain({ type: 'hvm' });
  return { hypervisor, domid, memory: createGuestMemory(hypervisor, domid) };
}

describe('createGuestMemory', () => {
  it('reads never-written memory as zeros without creating pages', () => {
    const { hypervisor, domid, memory } = setup();
    expect(memory.read(0xfc000000n, 64)).toEqual(new Uint8Array(64));
    expect(memory.read(0n, 0)).toEqual(new Uint8Array(0));
    expect(hypervisor.touchedPages(domid)).toEqual([]);
  });

  it('writes and reads back 16 bytes inside one page, at the page\'s frame', () => {
    const { hypervisor, domid, memory } = setup();
    const genid = Uint8Array.from({ length: 16 }, (_, index) => index + 1);
    memory.write(0xfc001010n, genid);
    expect(memory.read(0xfc001010n, 16)).toEqual(genid);
    expect(hypervisor.touchedPages(domid)).toEqual([0xfc001]);
    expect(hypervisor.readPage(domid, 0xfc001)?.subarray(0x10, 0x20)).toEqual(genid);
  });

  it('spans page boundaries on write and read, keeping the bytes around', () => {
    const { hypervisor, domid, memory } = setup();
    memory.write(0x1ff0n, new Uint8Array(0x20).fill(0xff));
    memory.write(0x1ffcn, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(memory.read(0x1ff8n, 16)).toEqual(Uint8Array.from([255, 255, 255, 255, 1, 2, 3, 4, 5, 6, 7, 8, 255, 255, 255, 255]));
    expect(hypervisor.touchedPages(domid)).toEqual([1, 2]);
  });

  it('writes several whole pages at once', () => {
    const { hypervisor, domid, memory } = setup();
    const bytes = Uint8Array.from({ length: 3 * XC_PAGE_SIZE }, (_, index) => index % 251);
    memory.write(BigInt(4 * XC_PAGE_SIZE), bytes);
    expect(memory.read(BigInt(4 * XC_PAGE_SIZE), bytes.length)).toEqual(bytes);
    expect(hypervisor.touchedPages(domid)).toEqual([4, 5, 6]);
  });

  it('hands out copies: changing a read buffer or a written buffer afterwards changes nothing', () => {
    const { memory } = setup();
    const bytes = Uint8Array.from([1, 2, 3]);
    memory.write(10n, bytes);
    bytes[0] = 9;
    const read = memory.read(10n, 3);
    read[1] = 9;
    expect(memory.read(10n, 3)).toEqual(Uint8Array.from([1, 2, 3]));
  });

  it('rejects bad addresses and lengths with EINVAL before writing anything', () => {
    const { hypervisor, domid, memory } = setup();
    expect(codeOf(() => memory.read(-1n, 1))).toBe('EINVAL');
    expect(codeOf(() => memory.read(0n, -1))).toBe('EINVAL');
    expect(codeOf(() => memory.read(0n, 1.5))).toBe('EINVAL');
    expect(codeOf(() => memory.read(0n, MAX_GUEST_MEMORY_ACCESS + 1))).toBe('EINVAL');
    expect(codeOf(() => memory.read(GUEST_ADDRESS_LIMIT - 1n, 2))).toBe('EINVAL');
    expect(codeOf(() => memory.read(1n << 64n, 1))).toBe('EINVAL');
    expect(codeOf(() => memory.read(5 as unknown as bigint, 1))).toBe('EINVAL');
    expect(codeOf(() => memory.write(GUEST_ADDRESS_LIMIT - 1n, new Uint8Array(2)))).toBe('EINVAL');
    expect(codeOf(() => memory.write(0n, [1, 2] as unknown as Uint8Array))).toBe('EINVAL');
    expect(hypervisor.touchedPages(domid)).toEqual([]);
    expect(memory.read(GUEST_ADDRESS_LIMIT - 1n, 1)).toEqual(new Uint8Array(1));
  });

  it('tells populated pages from never-written ones', () => {
    const { memory } = setup();
    memory.write(0x2ffen, Uint8Array.of(1));
    expect(memory.isPopulated?.(0x2000n, XC_PAGE_SIZE)).toBe(true);
    expect(memory.isPopulated?.(0x2000n, XC_PAGE_SIZE + 1)).toBe(false);
  });

  it('answers ESRCH for an unknown domain, and once the domain is destroyed', () => {
    const { hypervisor, domid, memory } = setup();
    expect(codeOf(() => createGuestMemory(hypervisor, 999))).toBe('ESRCH');
    expect(codeOf(() => createGuestMemory(hypervisor, -1))).toBe('EINVAL');
    hypervisor.destroyDomain(domid);
    expect(codeOf(() => memory.read(0n, 1))).toBe('ESRCH');
    expect(codeOf(() => memory.write(0n, new Uint8Array(1)))).toBe('ESRCH');
  });

  it('reads back what it wrote, anywhere, across pages (property)', () => {
    const { memory } = setup();
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 40n) }), fc.uint8Array({ minLength: 1, maxLength: 3 * XC_PAGE_SIZE }), (address, bytes) => {
        memory.write(address, bytes);
        expect(memory.read(address, bytes.length)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });
});

describe('frames and offsets', () => {
  it('splits an address at XC_PAGE_SHIFT and lists the frames of a range', () => {
    expect(addressToPfn(0xfc001010n)).toBe(0xfc001);
    expect(pageOffset(0xfc001010n)).toBe(0x10);
    expect(pfnToAddress(0xfc001)).toBe(0xfc001000n);
    expect(guestFrames(0x1ff0n, 0x20)).toEqual([1, 2]);
    expect(guestFrames(0x1000n, 0)).toEqual([1]);
  });
});

describe('readGuestRange and writeGuestRange', () => {
  it('read and write any memory kept in frames, writing only the frames a range touches', () => {
    const frames = new Map<number, Uint8Array>();
    const written: number[] = [];
    const pages: GuestPages = {
      readPage: (pfn) => frames.get(pfn),
      writePage: (pfn, data) => {
        written.push(pfn);
        frames.set(pfn, data);
      },
    };
    writeGuestRange(pages, 0xffen, Uint8Array.of(1, 2, 3, 4));
    expect(written).toEqual([0, 1]);
    expect(readGuestRange(pages, 0xffcn, 8)).toEqual(Uint8Array.of(0, 0, 1, 2, 3, 4, 0, 0));
    expect(codeOf(() => writeGuestRange(pages, GUEST_ADDRESS_LIMIT, Uint8Array.of(1)))).toBe('EINVAL');
    expect(codeOf(() => readGuestRange(pages, -1n, 1))).toBe('EINVAL');
    expect(written).toEqual([0, 1]);
  });
});
