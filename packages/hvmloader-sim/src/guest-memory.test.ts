import { describe, expect, it } from 'vitest';
import { GUEST_ADDRESS_LIMIT, MemoryHypervisor, XcError } from '@xen-genid/xc-params';
import { DomainMemory, PagedMemory } from './guest-memory.ts';

describe('PagedMemory', () => {
  it('reads and writes across page boundaries; unwritten memory reads as zeros', () => {
    const memory = new PagedMemory();
    memory.write(0x1ffen, Uint8Array.of(1, 2, 3, 4));
    expect(Array.from(memory.read(0x1ffcn, 8))).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
    expect(memory.touchedPages()).toEqual([1, 2]);
    expect(memory.isPopulated(0x1000n, 0x2000)).toBe(true);
    expect(memory.isPopulated(0x1000n, 0x2001)).toBe(false);
  });

  it('refuses addresses outside guest-physical space', () => {
    const memory = new PagedMemory();
    expect(() => memory.read(-1n, 4)).toThrow(XcError);
    expect(() => memory.write(GUEST_ADDRESS_LIMIT - 2n, Uint8Array.of(1, 2, 3))).toThrow(/beyond 2\^52/);
  });
});

describe('DomainMemory', () => {
  it('buffers writes until flush, and discard drops them', () => {
    const hypervisor = new MemoryHypervisor();
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    const memory = new DomainMemory(hypervisor, domid);
    memory.write(0xfc000010n, Uint8Array.of(0xaa, 0xbb));
    expect(Array.from(memory.read(0xfc000010n, 2))).toEqual([0xaa, 0xbb]);
    expect(hypervisor.touchedPages(domid)).toEqual([]);
    expect(memory.isPopulated(0xfc000000n, 16)).toBe(true);
    memory.flush();
    expect(hypervisor.touchedPages(domid)).toEqual([0xfc000]);
    expect(Array.from(hypervisor.readPage(domid, 0xfc000)?.subarray(0x10, 0x12) ?? [])).toEqual([0xaa, 0xbb]);

    const second = new DomainMemory(hypervisor, domid);
    second.write(0x5000n, Uint8Array.of(1));
    second.discard();
    second.flush();
    expect(hypervisor.touchedPages(domid)).toEqual([0xfc000]);
    expect(second.isPopulated(0x5000n, 1)).toBe(false);
  });
});
