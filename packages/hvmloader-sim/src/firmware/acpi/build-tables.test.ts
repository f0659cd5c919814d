import { describe, expect, it } from 'vitest';
import { AcpiAllocator } from './allocator.ts';
import { ACPI_INFO_OFFSET, buildAcpiTables } from './build-tables.ts';
import { buildDsdt } from './dsdt.ts';
import { byteSum } from './table-header.ts';
import { PagedMemory } from '../../guest-memory.ts';
import { XEN_PLATFORM_LAYOUT } from '../platform-layout.ts';
import { HvmloaderError } from '../../errors.ts';

describe('AcpiAllocator (acpi_mem_alloc)', () => {
  it('starts at ACPI_MEMORY_DYNAMIC_START and raises alignment to 16', () => {
    const allocator = new AcpiAllocator(0xfc001000, 0xfc100000);
    expect(allocator.alloc(64, 16)).toBe(0xfc001000);
    expect(allocator.alloc(1, 1)).toBe(0xfc001040);
    expect(allocator.alloc(16, 8)).toBe(0xfc001050);
    expect(allocator.alloc(4, 64)).toBe(0xfc001080);
    expect(allocator.lastByte).toBe(0xfc001083);
  });

  it('fails when a block would end at or past the area end, leaving the pointer alone', () => {
    const allocator = new AcpiAllocator(0xfc001000, 0xfc001100);
    expect(allocator.alloc(0x100, 16)).toBe(0xfc001000);
    expect(() => allocator.alloc(1, 16)).toThrow(HvmloaderError);
    expect(allocator.lastByte).toBe(0xfc0010ff);
  });

  it('refuses a bad size or alignment', () => {
    const allocator = new AcpiAllocator(0, 0x1000);
    expect(() => allocator.alloc(0, 16)).toThrow(/bad ACPI allocation/);
    expect(() => allocator.alloc(4, 3)).toThrow(/bad ACPI allocation/);
  });
});

describe('buildAcpiTables', () => {
  const build = (low = 0x1122334455667788n, high = 0x99aabbccddeeff00n, vcpus = 2) => {
    const memory = new PagedMemory();
    const result = buildAcpiTables(memory, { generationId: { low, high }, vcpus });
    return { memory, result };
  };

  it('allocates in libacpi order, 16-byte aligned, from 0xFC001000, with the ID last', () => {
    const { result } = build();
    expect(result.tables.map((table) => table.signature)).toEqual(['FACS', 'DSDT', 'FACP', 'FACP', 'APIC', 'XSDT', 'RSDT']);
    expect(result.tables[0]?.address).toBe(0xfc001000);
    for (const table of result.tables) expect(table.address % 16).toBe(0);
    const last = result.tables[result.tables.length - 1];
    expect(result.vmGenerationIdAddress).toBeGreaterThan((last?.address ?? 0) + (last?.length ?? 0) - 1);
    expect(result.vmGenerationIdAddress % 16).toBe(0);
  });

  it('writes every table with its length and a zero checksum', () => {
    const { memory, result } = build();
    for (const table of result.tables) {
      const bytes = memory.read(BigInt(table.address), table.length);
      expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe(table.signature);
      expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(table.length);
      if (table.signature !== 'FACS') expect(byteSum(bytes)).toBe(0);
    }
  });

  it('links RSDP -> XSDT/RSDT -> FADTs -> DSDT/FACS', () => {
    const { memory, result } = build();
    const at = (signature: string, index = 0) => result.tables.filter((table) => table.signature === signature)[index]?.address ?? -1;
    const rsdp = memory.read(BigInt(XEN_PLATFORM_LAYOUT.rsdpAddress), 36);
    const view = new DataView(rsdp.buffer);
    expect(String.fromCharCode(...rsdp.subarray(0, 8))).toBe('RSD PTR ');
    expect(byteSum(rsdp.subarray(0, 20))).toBe(0);
    expect(byteSum(rsdp)).toBe(0);
    expect(rsdp[15]).toBe(2);
    expect(XEN_PLATFORM_LAYOUT.rsdpAddress % 16).toBe(0);
    expect(view.getUint32(16, true)).toBe(at('RSDT'));
    expect(Number(view.getBigUint64(24, true))).toBe(at('XSDT'));
    const xsdt = new DataView(memory.read(BigInt(at('XSDT')), 52).buffer);
    expect([Number(xsdt.getBigUint64(36, true)), Number(xsdt.getBigUint64(44, true))]).toEqual([at('FACP', 1), at('APIC')]);
    const rsdt = new DataView(memory.read(BigInt(at('RSDT')), 44).buffer);
    expect([rsdt.getUint32(36, true), rsdt.getUint32(40, true)]).toEqual([at('FACP', 0), at('APIC')]);
    const fadt1 = memory.read(BigInt(at('FACP', 0)), 116);
    expect([fadt1[8], new DataView(fadt1.buffer).getUint32(40, true), new DataView(fadt1.buffer).getUint32(36, true)]).toEqual([1, at('DSDT'), at('FACS')]);
    const fadt = new DataView(memory.read(BigInt(at('FACP', 1)), 244).buffer);
    expect([fadt.getUint8(8), Number(fadt.getBigUint64(140, true)), Number(fadt.getBigUint64(132, true))]).toEqual([4, at('DSDT'), at('FACS')]);
  });

  it('fills acpi_info: VGIA at offset 20, CPUs, MADT addresses', () => {
    const { memory, result } = build();
    const info = new DataView(memory.read(0xfc000000n, 40).buffer);
    expect(info.getUint32(ACPI_INFO_OFFSET.vmGenerationIdAddress, true)).toBe(result.vmGenerationIdAddress);
    expect(info.getUint16(ACPI_INFO_OFFSET.nrCpus, true)).toBe(2);
    const madt = result.tables.find((table) => table.signature === 'APIC');
    expect(info.getUint32(ACPI_INFO_OFFSET.madtChecksumAddress, true)).toBe((madt?.address ?? 0) + 9);
    expect(Buffer.from(memory.read(BigInt(result.vmGenerationIdAddress), 16)).toString('hex')).toBe('887766554433221100ffeeddccbbaa99');
  });

  it('places no buffer for the zero ID: VGIA stays 0', () => {
    const { memory, result } = build(0n, 0n);
    expect(result.vmGenerationIdAddress).toBe(0);
    expect(new DataView(memory.read(0xfc000000n, 40).buffer).getUint32(20, true)).toBe(0);
  });

  it('lists one LAPIC per vCPU in the MADT', () => {
    const { result } = build(1n, 0n, 5);
    const madt = result.tables.find((table) => table.signature === 'APIC');
    expect(madt?.length).toBe(44 + 4 * 10 + 12 + 5 * 8);
  });

  it('refuses a bad vCPU count or RSDP placement, writing nothing', () => {
    const memory = new PagedMemory();
    expect(() => buildAcpiTables(memory, { generationId: { low: 1n, high: 0n }, vcpus: 0 })).toThrow(HvmloaderError);
    expect(() =>
      buildAcpiTables(memory, { generationId: { low: 1n, high: 0n }, layout: { ...XEN_PLATFORM_LAYOUT, rsdpAddress: 0xea028 } }),
    ).toThrow(/16-byte aligned/);
    expect(memory.touchedPages()).toEqual([]);
  });

  it('builds a DSDT that matches the golden copy', async () => {
    const { readFile } = await import('node:fs/promises');
    const golden = new Uint8Array(await readFile(new URL('./__fixtures__/xen-dsdt.aml', import.meta.url)));
    expect(Buffer.from(buildDsdt(XEN_PLATFORM_LAYOUT)).equals(Buffer.from(golden))).toBe(true);
  });
});
