import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { describe, expect, it } from 'vitest';
import { buildAcpiTables, PagedMemory, XEN_PLATFORM_LAYOUT, type PlatformLayout } from '@xen-genid/hvmloader-sim';
import { readVmGenerationId } from '@xen-genid/hvmloader-sim/guest';
import { QEMU_ACPI_OEM_REVISION, QEMU_PC_PLATFORM_LAYOUT } from './qemu-pc.ts';
import { QEMU_Q35_PLATFORM_LAYOUT } from './qemu-q35.ts';

const generationId = { low: 0x332211009c3a1f5en, high: 0xbbaa998877665544n };
const qemuLayouts = [QEMU_PC_PLATFORM_LAYOUT, QEMU_Q35_PLATFORM_LAYOUT];

function build(layout: PlatformLayout) {
  const memory = new PagedMemory();
  const result = buildAcpiTables(memory, { layout, generationId, vcpus: 1, com1: true });
  const dsdt = result.tables.find((table) => table.signature === 'DSDT');
  if (!dsdt) throw new Error('no DSDT');
  return { memory, result, dsdt: memory.read(BigInt(dsdt.address), dsdt.length) };
}

/** `OperationRegion (BIOS, SystemMemory, DWordConst ...`: the offset of the DWord's value. */
function biosRegionAddressOffset(dsdt: Uint8Array): number {
  const pattern = [0x5b, 0x80, 0x42, 0x49, 0x4f, 0x53, 0x00, 0x0c];
  for (let index = 0; index + pattern.length <= dsdt.length; index += 1) {
    if (pattern.every((byte, at) => dsdt[index + at] === byte)) return index + pattern.length;
  }
  throw new Error('no BIOS region');
}

const ascii = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);

describe.each(qemuLayouts)('platform layout $name', (layout) => {
  const xen = build(XEN_PLATFORM_LAYOUT);
  const qemu = build(layout);

  it("has AML byte-identical to Xen's but for header ids and the BIOS region address", () => {
    expect(qemu.dsdt.length).toBe(xen.dsdt.length);
    const regionAt = biosRegionAddressOffset(xen.dsdt);
    expect(biosRegionAddressOffset(qemu.dsdt)).toBe(regionAt);
    const allowed = new Set<number>([9, ...Array.from({ length: 18 }, (_, index) => 10 + index), regionAt, regionAt + 1, regionAt + 2, regionAt + 3]);
    const differing = [...qemu.dsdt.keys()].filter((index) => qemu.dsdt[index] !== xen.dsdt[index]);
    expect(differing.filter((index) => !allowed.has(index))).toEqual([]);
    const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view(xen.dsdt).getUint32(regionAt, true)).toBe(XEN_PLATFORM_LAYOUT.infoAddress);
    expect(view(qemu.dsdt).getUint32(regionAt, true)).toBe(layout.infoAddress);
  });

  it("carries QEMU's OEM id and table id with a higher OEM revision, so Linux's initrd upgrade overrides QEMU's DSDT", () => {
    expect(ascii(qemu.dsdt.subarray(10, 16))).toBe('BOCHS ');
    expect(ascii(qemu.dsdt.subarray(16, 24))).toBe('BXPC    ');
    expect(new DataView(qemu.dsdt.buffer).getUint32(24, true)).toBeGreaterThan(QEMU_ACPI_OEM_REVISION);
    expect(ascii(xen.dsdt.subarray(10, 24))).toBe('Xen\0\0\0HVM\0\0\0\0\0');
  });

  it('keeps everything the firmware writes in guest RAM below 128 MiB, off the PCI hole', () => {
    const start = layout.infoAddress / 4096;
    const end = layout.dynamicEnd / 4096;
    expect(qemu.memory.touchedPages().every((pfn) => pfn >= start && pfn < end)).toBe(true);
    expect(layout.dynamicEnd).toBeLessThanOrEqual(128 * 1024 * 1024);
    expect(qemu.result.vmGenerationIdAddress).toBeGreaterThanOrEqual(layout.dynamicStart);
    // The same allocation sequence as Xen's: the same offset into the dynamic area.
    expect(qemu.result.vmGenerationIdAddress - layout.dynamicStart).toBe(xen.result.vmGenerationIdAddress - XEN_PLATFORM_LAYOUT.dynamicStart);
  });

  it('is read back by the model guest: RSDP in the reserved area, the same 16 bytes', () => {
    const reading = readVmGenerationId(qemu.memory, { scanStart: BigInt(layout.rsdpScanStart), scanEnd: BigInt(layout.rsdpScanEnd) });
    expect(reading.failures).toEqual([]);
    expect(reading.genid).toBe('5e1f3a9c00112233445566778899aabb');
    expect(reading.address).toBe(BigInt(qemu.result.vmGenerationIdAddress));
  });
});

describeWithReferee('QEMU layouts disassembled by iasl', findReferee('iasl (acpica-tools)', ['iasl']), () => {
  it("differs from Xen's DSDT only in the header and the OperationRegion line", () => {
    const dir = mkdtempSync(join(tmpdir(), 'xen-genid-layout-'));
    try {
      const disassemble = (name: string, bytes: Uint8Array): string[] => {
        writeFileSync(join(dir, `${name}.aml`), bytes);
        execFileSync('iasl', ['-d', `${name}.aml`], { cwd: dir, stdio: 'ignore' });
        // Drop the banner comment (file names, dates) iasl writes before the DefinitionBlock.
        const text = readFileSync(join(dir, `${name}.dsl`), 'utf8');
        return text.slice(text.indexOf('DefinitionBlock')).split('\n');
      };
      const xen = disassemble('xen', build(XEN_PLATFORM_LAYOUT).dsdt);
      for (const layout of qemuLayouts) {
        const qemu = disassemble(layout.name, build(layout).dsdt);
        expect(qemu.length).toBe(xen.length);
        const changed = qemu.filter((line, index) => line !== xen[index]);
        expect(changed).toHaveLength(2);
        expect(changed[0]).toMatch(/^DefinitionBlock \("", "DSDT", 2, "BOCHS ", "BXPC {4}", 0x00010000\)/);
        expect(changed[1]).toMatch(/OperationRegion \(BIOS, SystemMemory, 0x07000000, 0x28\)/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
