import { describe, expect, it } from 'vitest';
import { MemoryHypervisor } from '@xen-genid/xc-params';
import { DomainMemory, PagedMemory } from './guest-memory.ts';
import { HvmloaderError } from './errors.ts';

describe('PagedMemory', () => {
  it('reads and writes across page boundaries; unwritten memory reads as zeros', () => {
    const memory = new PagedMemory();
    memory.write(0x1ffe, Uint8Array.of(1, 2, 3, 4));
    expect(Array.from(memory.read(0x1ffc, 8))).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
    expect(memory.touchedPages()).toEqual([1, 2]);
    expect(memory.isPopulated(0x1000, 0x2000)).toBe(true);
    expect(memory.isPopulated(0x1000, 0x2001)).toBe(false);
  });

  it('refuses addresses outside guest-physical space', () => {
    const memory = new PagedMemory();
    expect(() => memory.read(-1, 4)).toThrow(HvmloaderError);
    expect(() => memory.write(2 ** 52 - 2, Uint8Array.of(1, 2, 3))).toThrow(/out of bounds/);
  });
});

describe('DomainMemory', () => {
  it('buffers writes until flush, and discard drops them', () => {
    const hypervisor = new MemoryHypervisor();
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    const memory = new DomainMemory(hypervisor, domid);
    memory.write(0xfc000010, Uint8Array.of(0xaa, 0xbb));
    expect(Array.from(memory.read(0xfc000010, 2))).toEqual([0xaa, 0xbb]);
    expect(hypervisor.touchedPages(domid)).toEqual([]);
    expect(memory.isPopulated(0xfc000000, 16)).toBe(true);
    memory.flush();
    expect(hypervisor.touchedPages(domid)).toEqual([0xfc000]);
    expect(Array.from(hypervisor.readPage(domid, 0xfc000)?.subarray(0x10, 0x12) ?? [])).toEqual([0xaa, 0xbb]);

    const second = new DomainMemory(hypervisor, domid);
    second.write(0x5000, Uint8Array.of(1));
    second.discard();
    second.flush();
    expect(hypervisor.touchedPages(domid)).toEqual([0xfc000]);
    expect(second.isPopulated(0x5000, 1)).toBe(false);
  });
});
