import { describe, expect, it } from 'vitest';
import {
  amlBuffer,
  amlDevice,
  amlElse,
  amlIf,
  amlInteger,
  amlLEqual,
  amlMethod,
  amlName,
  amlNameRef,
  amlPackage,
  amlReturn,
  amlScope,
  amlString,
  concatBytes,
  eisaId,
  type AmlBytes,
} from '../firmware/acpi/aml-encoder.ts';
import { buildAcpiTables } from '../firmware/acpi/build-tables.ts';
import { buildBiosRegion, buildVgidDevice } from '../firmware/acpi/dsdt.ts';
import { ACPI_HEADER_SIZE, finishTable, setChecksum, tableHeader } from '../firmware/acpi/table-header.ts';
import { PagedMemory } from '../guest-memory.ts';
import { XEN_PLATFORM_LAYOUT } from '../firmware/platform-layout.ts';
import { decodeEisaId, readVmGenerationId, readVmGenerationIdFromTable } from './read-generation-id.ts';

const ID = { low: 0x0807060504030201n, high: 0x100f0e0d0c0b0a09n };
const ID_HEX = '0102030405060708090a0b0c0d0e0f10';

function built(): { memory: PagedMemory; address: (signature: string, index?: number) => number; idAddress: number } {
  const memory = new PagedMemory();
  const result = buildAcpiTables(memory, { generationId: ID, vcpus: 1 });
  return {
    memory,
    idAddress: result.vmGenerationIdAddress,
    address: (signature, index = 0) => result.tables.filter((table) => table.signature === signature)[index]?.address ?? -1,
  };
}

function dsdtWith(body: readonly AmlBytes[]): Uint8Array {
  const aml = concatBytes([...body, amlScope('\\_SB', [buildBiosRegion(XEN_PLATFORM_LAYOUT)])]);
  const table = new Uint8Array(ACPI_HEADER_SIZE + aml.length);
  table.set(tableHeader('DSDT', table.length, 2, XEN_PLATFORM_LAYOUT));
  table.set(aml, ACPI_HEADER_SIZE);
  return finishTable(table);
}

/** Guest memory with VGIA pointing at the 16 bytes, as the firmware leaves it. */
function memoryWithId(): PagedMemory {
  const memory = new PagedMemory();
  const info = new Uint8Array(40);
  new DataView(info.buffer).setUint32(20, 0xfc001230, true);
  memory.write(0xfc000000n, info);
  memory.write(0xfc001230n, Uint8Array.from({ length: 16 }, (_, index) => index + 1));
  return memory;
}

const isaScope = (devices: readonly AmlBytes[]): AmlBytes =>
  amlScope('\\_SB', [amlDevice('PCI0', [amlName('_HID', amlInteger(eisaId('PNP0A03'))), amlDevice('ISA', [...devices])])]);

const vgidLike = (body: readonly AmlBytes[]): AmlBytes => amlDevice('VGID', body);
const sta = amlMethod('_STA', {}, [
  amlIf(amlLEqual(amlNameRef('VGIA'), amlInteger(0)), [amlReturn(amlInteger(0))]),
  amlElse([amlReturn(amlInteger(0x0f))]),
]);

describe('readVmGenerationId over our firmware tables', () => {
  it('finds the RSDP, the tables and the device, and reads the 16 bytes', () => {
    const { memory, idAddress } = built();
    const reading = readVmGenerationId(memory);
    expect(reading.failures).toEqual([]);
    expect(reading).toMatchObject({ ok: true, genid: ID_HEX, address: BigInt(idAddress), path: '\\_SB.PCI0.ISA.VGID', rsdpAddress: 0xea020n });
    expect(reading.tables.map((table) => table.signature)).toEqual(['XSDT', 'FACP', 'APIC', 'DSDT']);
  });

  it('falls back to the RSDT when the XSDT checksum is bad', () => {
    const { memory, address } = built();
    const xsdt = address('XSDT');
    memory.write(BigInt(xsdt + 9), Uint8Array.of((memory.read(BigInt(xsdt + 9), 1)[0] as number) ^ 0xff));
    const reading = readVmGenerationId(memory);
    expect(reading.ok).toBe(true);
    expect(reading.tables[0]?.signature).toBe('RSDT');
    expect(reading.failures).toEqual([`XSDT XSDT at 0x${xsdt.toString(16)}: bad checksum`]);
  });

  it('refuses a DSDT with a bad checksum', () => {
    const { memory, address } = built();
    const dsdt = address('DSDT');
    memory.write(BigInt(dsdt + 40), Uint8Array.of((memory.read(BigInt(dsdt + 40), 1)[0] as number) ^ 1));
    const reading = readVmGenerationId(memory);
    expect(reading.ok).toBe(false);
    expect(reading.genid).toBeNull();
    expect(reading.failures).toEqual([`FADT DSDT pointer DSDT at 0x${dsdt.toString(16)}: bad checksum`]);
  });

  it('refuses an RSDP with a bad checksum and reports the candidate', () => {
    const { memory } = built();
    memory.write(0xea020n + 8n, Uint8Array.of(0));
    const reading = readVmGenerationId(memory);
    expect(reading.ok).toBe(false);
    expect(reading.failures).toEqual(['RSDP candidate at 0xea020: bad checksum', 'no valid RSDP in the EBDA or 0xe0000-0xfffff']);
  });

  it('refuses a truncated table: length beyond the memory that holds it', () => {
    const { memory, address } = built();
    const dsdt = address('DSDT');
    const header = memory.read(BigInt(dsdt), 36);
    new DataView(header.buffer).setUint32(4, 0x200000, true);
    memory.write(BigInt(dsdt), header);
    const reading = readVmGenerationId(memory);
    expect(reading.ok).toBe(false);
    expect(reading.failures[0]).toMatch(/DSDT at 0x[0-9a-f]+: its 2097152 bytes run into unpopulated memory \(truncated\)/);
  });

  it('refuses a table shorter than its header', () => {
    const { memory, address } = built();
    const madt = address('APIC');
    const header = memory.read(BigInt(madt), 36);
    new DataView(header.buffer).setUint32(4, 20, true);
    memory.write(BigInt(madt), header);
    const reading = readVmGenerationId(memory);
    expect(reading.ok).toBe(true);
    expect(reading.failures).toEqual([`XSDT entry 1 APIC at 0x${madt.toString(16)}: length 20 is shorter than its header (truncated)`]);
  });

  it('breaks cycles: an XSDT entry back to the XSDT, a FADT whose DSDT is the FADT', () => {
    const { memory, address } = built();
    const xsdt = address('XSDT');
    const bytes = memory.read(BigInt(xsdt), 52);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(44, BigInt(xsdt), true);
    setChecksum(bytes, 9, 52);
    memory.write(BigInt(xsdt), bytes);
    const fadt = address('FACP', 1);
    const fadtBytes = memory.read(BigInt(fadt), 244);
    new DataView(fadtBytes.buffer).setBigUint64(140, BigInt(fadt), true);
    setChecksum(fadtBytes, 9, 244);
    memory.write(BigInt(fadt), fadtBytes);
    const reading = readVmGenerationId(memory);
    expect(reading.ok).toBe(false);
    expect(reading.failures).toEqual([
      `XSDT entry 1 points to 0x${xsdt.toString(16)}, already reached (cycle)`,
      `FADT's DSDT pointer 0x${fadt.toString(16)} points to a table already reached (cycle)`,
    ]);
  });

  it('reports no RSDP in empty memory', () => {
    expect(readVmGenerationId(new PagedMemory()).failures).toEqual(['no valid RSDP in the EBDA or 0xe0000-0xfffff']);
  });
});

describe('readVmGenerationIdFromTable: negative fixtures', () => {
  it('reads Xen\'s device from a DSDT of its own', () => {
    const reading = readVmGenerationIdFromTable(dsdtWith([isaScope([buildVgidDevice()])]), memoryWithId());
    expect(reading).toMatchObject({ ok: true, genid: ID_HEX, address: 0xfc001230n, path: '\\_SB.PCI0.ISA.VGID', failures: [] });
  });

  it('ignores the string VM_Gen_Counter inside other objects', () => {
    const reading = readVmGenerationIdFromTable(
      dsdtWith([
        isaScope([
          amlDevice('MISC', [
            amlName('_HID', amlInteger(eisaId('PNP0C02'))),
            amlName('NOTE', amlString('VM_Gen_Counter')),
            amlName('BUF', amlBuffer(new TextEncoder().encode('VM_GEN_COUNTER'))),
            amlName('_STR', amlString('VM_GEN_COUNTER')),
            amlMethod('ADDR', {}, [amlReturn(amlPackage([amlInteger(0xfc001230), amlInteger(0)]))]),
          ]),
        ]),
        amlName('\\_SB.GLOB', amlString('VM_GEN_COUNTER')),
      ]),
      memoryWithId(),
    );
    expect(reading.ok).toBe(false);
    expect(reading.failures).toEqual(['no device with _HID or _CID VMGENCTR or VM_GEN_COUNTER']);
  });

  it('refuses a device without _CID (only _HID XEN0000 and _DDN)', () => {
    const reading = readVmGenerationIdFromTable(
      dsdtWith([
        isaScope([
          vgidLike([
            amlName('_HID', amlInteger(eisaId('XEN0000'))),
            amlName('_DDN', amlString('VM_Gen_Counter')),
            sta,
            amlMethod('ADDR', {}, [amlReturn(amlPackage([amlNameRef('VGIA'), amlInteger(0)]))]),
          ]),
        ]),
      ]),
      memoryWithId(),
    );
    expect(reading.ok).toBe(false);
    expect(reading.failures).toEqual(['no device with _HID or _CID VMGENCTR or VM_GEN_COUNTER']);
  });

  it('accepts a string _HID and a _CID package, after upper-casing', () => {
    const addr = amlMethod('ADDR', {}, [amlReturn(amlPackage([amlInteger(0xfc001230), amlInteger(0)]))]);
    for (const ids of [
      [amlName('_HID', amlString('vmgenctr'))],
      [amlName('_HID', amlInteger(eisaId('XEN0000'))), amlName('_CID', amlPackage([amlInteger(eisaId('PNP0C02')), amlString('vm_gen_counter')]))],
    ]) {
      const reading = readVmGenerationIdFromTable(dsdtWith([isaScope([vgidLike([...ids, addr])])]), memoryWithId());
      expect(reading.failures).toEqual([]);
      expect(reading.genid).toBe(ID_HEX);
    }
  });

  it('refuses ADDR returning one element', () => {
    const reading = readVmGenerationIdFromTable(
      dsdtWith([
        isaScope([
          vgidLike([
            amlName('_CID', amlString('VM_Gen_Counter')),
            sta,
            amlMethod('ADDR', {}, [amlReturn(amlPackage([amlInteger(0xfc001230)]))]),
          ]),
        ]),
      ]),
      memoryWithId(),
    );
    expect(reading.ok).toBe(false);
    expect(reading.failures).toEqual(['\\_SB.PCI0.ISA.VGID.ADDR returned 1 elements, not 2']);
  });

  it('refuses ADDR returning three elements, a non-integer element, or no ADDR at all', () => {
    const cases: [AmlBytes[], string][] = [
      [[amlMethod('ADDR', {}, [amlReturn(amlPackage([amlInteger(1), amlInteger(0), amlInteger(0)]))])], '\\_SB.PCI0.ISA.VGID.ADDR returned 3 elements, not 2'],
      [[amlMethod('ADDR', {}, [amlReturn(amlPackage([amlString('x'), amlInteger(0)]))])], '\\_SB.PCI0.ISA.VGID.ADDR elements are string and integer, not two Integers'],
      [[amlMethod('ADDR', {}, [amlReturn(amlInteger(0xfc001230))])], '\\_SB.PCI0.ISA.VGID.ADDR returned a integer, not a Package'],
      [[], '\\_SB.PCI0.ISA.VGID has no ADDR object'],
    ];
    for (const [addr, failure] of cases) {
      const reading = readVmGenerationIdFromTable(dsdtWith([isaScope([vgidLike([amlName('_CID', amlString('VM_Gen_Counter')), ...addr])])]), memoryWithId());
      expect(reading.failures).toEqual([failure]);
    }
  });

  it('refuses a device whose _STA is 0, or whose parent is not present', () => {
    const zeroSta = readVmGenerationIdFromTable(
      dsdtWith([isaScope([vgidLike([amlName('_CID', amlString('VM_Gen_Counter')), amlMethod('_STA', {}, [amlReturn(amlInteger(0))])])])]),
      memoryWithId(),
    );
    expect(zeroSta.failures).toEqual(['\\_SB.PCI0.ISA.VGID._STA returned 0x0: not present']);
    const absentParent = readVmGenerationIdFromTable(
      dsdtWith([
        amlScope('\\_SB', [
          amlDevice('PCI0', [amlName('_STA', amlInteger(0)), amlDevice('VGID', [amlName('_CID', amlString('VM_Gen_Counter'))])]),
        ]),
      ]),
      memoryWithId(),
    );
    expect(absentParent.failures).toEqual(['\\_SB.PCI0._STA returned 0x0: not present']);
  });

  it('refuses bad checksums and truncated files', () => {
    const good = dsdtWith([isaScope([buildVgidDevice()])]);
    const badSum = good.slice();
    badSum[50] = (badSum[50] as number) ^ 1;
    expect(readVmGenerationIdFromTable(badSum, memoryWithId()).failures).toEqual(['DSDT: bad checksum']);
    expect(readVmGenerationIdFromTable(good.subarray(0, good.length - 10), memoryWithId()).failures).toEqual([
      `DSDT header says ${good.length} bytes, the file has ${good.length - 10} (truncated)`,
    ]);
    expect(readVmGenerationIdFromTable(good.subarray(0, 20), memoryWithId()).failures).toEqual([
      'table file is 20 bytes, shorter than an ACPI header (truncated)',
    ]);
  });

  it('reports AML it cannot parse, with the table offset, and stops loading that table there', () => {
    const broken = dsdtWith([isaScope([buildVgidDevice()]), Uint8Array.of(0x5b, 0x99)]);
    const reading = readVmGenerationIdFromTable(broken, memoryWithId());
    expect(reading.ok).toBe(false);
    expect(reading.failures[0]).toMatch(/^DSDT at 0x0: unsupported AML opcode 0x5b 0x99 at offset 0x[0-9a-f]+/);
    // the BIOS region after it was never loaded, so _STA cannot find VGIA
    expect(reading.failures[1]).toMatch(/VGIA not found/);
  });

  it('stops an endless method within its operation budget', () => {
    const loop = dsdtWith([
      isaScope([vgidLike([amlName('_CID', amlString('VM_Gen_Counter')), amlMethod('_STA', {}, [Uint8Array.of(0xa2, 0x02, 0x01)])])]),
    ]);
    expect(readVmGenerationIdFromTable(loop, memoryWithId()).failures).toEqual(['AML evaluation exceeded 100000 operations']);
  });
});

describe('decodeEisaId', () => {
  it('decodes compressed ids', () => {
    expect(decodeEisaId(0xae60n)).toBe('XEN0000');
    expect(decodeEisaId(BigInt(eisaId('PNP0A03')))).toBe('PNP0A03');
  });
});

describe('hostile AML', () => {
  const wrapScopes = (depth: number, inner: AmlBytes): AmlBytes => {
    let aml = inner;
    for (let level = 0; level < depth; level += 1) aml = amlDevice(`D${(level % 1000).toString().padStart(3, '0')}`, [aml]);
    return aml;
  };

  it('stops at objects nested deeper than 256, without exhausting the stack', () => {
    const reading = readVmGenerationIdFromTable(dsdtWith([amlScope('\\_SB', [wrapScopes(300, amlName('X', amlInteger(1)))])]), memoryWithId());
    expect(reading.failures[0]).toMatch(/objects nested more than 256 deep/);
  });

  it('stops at expressions nested deeper than 256', () => {
    const deep = concatBytes([...Array(5000).fill(Uint8Array.of(0x92)), Uint8Array.of(0x00)]); // LNot(LNot(...(Zero)))
    const reading = readVmGenerationIdFromTable(
      dsdtWith([isaScope([vgidLike([amlName('_CID', amlString('VM_Gen_Counter')), amlMethod('_STA', {}, [amlReturn(deep)])])])]),
      memoryWithId(),
    );
    expect(reading.failures).toEqual([expect.stringMatching(/expression nested more than 256 deep/)]);
  });

  it('refuses a Buffer whose declared size is huge', () => {
    const huge = concatBytes([Uint8Array.of(0x11), Uint8Array.of(0x06), amlInteger(0xffffffff)]); // Buffer(0xFFFFFFFF) {}
    const reading = readVmGenerationIdFromTable(dsdtWith([amlName('\\_SB.HUGE', huge)]), memoryWithId());
    expect(reading.failures[0]).toMatch(/Buffer of 4294967295 bytes .* is too large/);
  });

  it('refuses endless method recursion', () => {
    const recurse = amlMethod('_STA', {}, [amlReturn(amlNameRef('_STA'))]);
    const reading = readVmGenerationIdFromTable(dsdtWith([isaScope([vgidLike([amlName('_CID', amlString('VM_Gen_Counter')), recurse])])]), memoryWithId());
    expect(reading.failures).toEqual([expect.stringMatching(/nested (more than 256|too) deep/)]);
  });
});
