/**
 * The table set hvmloader builds (`tools/libacpi/build.c` acpi_build_tables, Xen 4.17), in the
 * same order and through the same allocator, so the addresses follow Xen's rules: FACS, DSDT, the
 * revision-1 FADT for the RSDT, the revision-4 FADT for the XSDT, the MADT, XSDT, RSDT, then the
 * RSDP in low memory, then the generation ID buffer (new_vm_gid). No HPET, WAET, TPM or NUMA
 * tables. Beyond Xen, `genidNotifyGpe` adds one secondary SSDT (after the MADT, where libacpi puts
 * its SSDTs) with the GPE handler that notifies the VGID device (`genid-notify-ssdt.ts`).
 */
import { AcpiAllocator } from './allocator.ts';
import { VGID_DEVICE_PATH, buildDsdt } from './dsdt.ts';
import { buildGenidNotifySsdt } from './genid-notify-ssdt.ts';
import { ACPI_HEADER_SIZE, finishTable, setChecksum, tableHeader } from './table-header.ts';
import type { GuestMemory } from '@xen-genid/xc-params';
import { XEN_PLATFORM_LAYOUT, type PlatformLayout } from '../platform-layout.ts';
import { generationIdBytes, type GenerationIdWords } from '../strtoll.ts';
import { HvmloaderError } from '../../errors.ts';

/** Offsets in `struct acpi_info` (build.c). */
export const ACPI_INFO_OFFSET = {
  flags: 0,
  nrCpus: 2,
  pciMin: 4,
  pciLen: 8,
  madtChecksumAddress: 12,
  madtLapic0Address: 16,
  vmGenerationIdAddress: 20,
  pciHiMin: 24,
  pciHiLen: 32,
} as const;

export const FACS_SIZE = 64;
export const FADT_1_SIZE = 116;
export const FADT_SIZE = 244;
export const RSDP_SIZE = 36;
const FADT_REVISION = 4;
const FADT_1_REVISION = 1;
const MADT_REVISION = 2;
const RSDT_REVISION = 1;
const XSDT_REVISION = 1;

/** `ioreq.h` version-1 ACPI I/O ports (ACPI_IOPORTS_LOCATION 1, what hvmloader selects). */
const PM1A_EVT_BLK = 0xb000;
const PM1A_CNT_BLK = 0xb004;
const PM_TMR_BLK = 0xb008;
const GPE0_BLK = 0xafe0;
const GPE0_BLK_LEN = 4;

/** FADT flags: PROC_C1 | WBINVD | FIX_RTC | TMR_VAL_EXT | USE_PLATFORM_CLOCK (static_tables.c). */
const FADT_FLAGS = (1 << 2) | (1 << 0) | (1 << 6) | (1 << 8) | (1 << 15);
const FADT_BOOT_8042 = 1 << 1;

export interface AcpiBuildConfig {
  readonly layout?: PlatformLayout;
  /** The generation ID; both words zero means none (no buffer, VGIA 0). */
  readonly generationId: GenerationIdWords;
  /** Number of vCPUs (hvm_info_table nr_vcpus); 1 to 128. */
  readonly vcpus?: number;
  /** `acpi_info` presence bits. */
  readonly com1?: boolean;
  readonly com2?: boolean;
  readonly lpt1?: boolean;
  /**
   * Beyond Xen: add an SSDT whose `\_GPE._Exx` handler for this GPE does
   * `Notify(\_SB.PCI0.ISA.VGID, 0x80)`. Omitted (the default): Xen's table set, no notify.
   */
  readonly genidNotifyGpe?: number;
}

/** Where one table landed. */
export interface PlacedTable {
  readonly signature: string;
  readonly address: number;
  readonly length: number;
}

export interface AcpiBuildResult {
  readonly layout: PlatformLayout;
  readonly rsdpAddress: number;
  /** Every table in allocation order (FACP appears twice: revision 1, then 4). */
  readonly tables: readonly PlacedTable[];
  /** Guest-physical address of the 16 ID bytes; 0 when there is no ID (`config->vm_gid_addr`). */
  readonly vmGenerationIdAddress: number;
  /** Last byte used by the allocator. */
  readonly lastAllocatedByte: number;
}

function writeU32(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
}

function writeGas(view: DataView, offset: number, space: number, bitWidth: number, bitOffset: number, address: number): void {
  view.setUint8(offset, space);
  view.setUint8(offset + 1, bitWidth);
  view.setUint8(offset + 2, bitOffset);
  view.setBigUint64(offset + 4, BigInt(address), true);
}

function buildFadtTemplate(layout: PlatformLayout): Uint8Array {
  const fadt = new Uint8Array(FADT_SIZE);
  const view = new DataView(fadt.buffer);
  fadt.set(tableHeader('FACP', FADT_SIZE, FADT_REVISION, layout), 0);
  view.setUint16(46, 9, true); // sci_int
  writeU32(view, 56, PM1A_EVT_BLK);
  writeU32(view, 64, PM1A_CNT_BLK);
  writeU32(view, 76, PM_TMR_BLK);
  writeU32(view, 80, GPE0_BLK);
  fadt[88] = 4; // pm1_evt_len
  fadt[89] = 2; // pm1_cnt_len
  fadt[91] = 4; // pm_tmr_len
  fadt[92] = GPE0_BLK_LEN;
  view.setUint16(96, 0x0fff, true); // p_lvl2_lat: no C2
  view.setUint16(98, 0x0fff, true); // p_lvl3_lat: no C3
  view.setUint16(109, FADT_BOOT_8042, true);
  writeU32(view, 112, FADT_FLAGS);
  writeGas(view, 116, 1, 8, 0, 0xcf9); // reset_reg
  fadt[128] = 6; // reset_value
  writeGas(view, 148, 1, 32, 0, PM1A_EVT_BLK);
  writeGas(view, 172, 1, 16, 0, PM1A_CNT_BLK);
  writeGas(view, 208, 1, 32, 0, PM_TMR_BLK);
  writeGas(view, 220, 1, GPE0_BLK_LEN * 8, 0, GPE0_BLK); // x_gpe0_blk
  return fadt;
}

/** @see construct_madt (tools/libacpi/build.c), with an IO-APIC and every vCPU online. */
function buildMadt(layout: PlatformLayout, vcpus: number, address: number): { table: Uint8Array; lapic0: number } {
  const overrides: { source: number; gsi: number; flags: number }[] = [];
  for (let irq = 0; irq < 16; irq += 1) {
    if (irq === 0) overrides.push({ source: 0, gsi: 2, flags: 0 });
    else if (layout.pciIsaIrqMask & (1 << irq)) overrides.push({ source: irq, gsi: irq, flags: 0xf });
  }
  const length = 44 + overrides.length * 10 + 12 + vcpus * 8;
  const madt = new Uint8Array(length);
  const view = new DataView(madt.buffer);
  madt.set(tableHeader('APIC', length, MADT_REVISION, layout), 0);
  writeU32(view, 36, layout.lapicAddress);
  writeU32(view, 40, 1); // PCAT_COMPAT
  let offset = 44;
  for (const override of overrides) {
    madt[offset] = 2;
    madt[offset + 1] = 10;
    madt[offset + 3] = override.source;
    writeU32(view, offset + 4, override.gsi);
    view.setUint16(offset + 8, override.flags, true);
    offset += 10;
  }
  madt[offset] = 1;
  madt[offset + 1] = 12;
  madt[offset + 2] = layout.ioapicId;
  writeU32(view, offset + 4, layout.ioapicAddress);
  offset += 12;
  const lapic0 = address + offset;
  for (let cpu = 0; cpu < vcpus; cpu += 1) {
    madt[offset] = 0;
    madt[offset + 1] = 8;
    madt[offset + 2] = cpu;
    madt[offset + 3] = cpu * 2; // LAPIC_ID(cpu)
    writeU32(view, offset + 4, 1); // enabled
    offset += 8;
  }
  return { table: finishTable(madt), lapic0 };
}

/**
 * Builds the whole table set into `memory`. Everything is computed before the first write, so an
 * allocation failure leaves the memory untouched.
 */
export function buildAcpiTables(memory: GuestMemory, config: AcpiBuildConfig): AcpiBuildResult {
  const layout = config.layout ?? XEN_PLATFORM_LAYOUT;
  const vcpus = config.vcpus ?? 1;
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 128) throw new HvmloaderError('INVALID_ARGUMENT', `bad vCPU count ${vcpus}`);
  if (layout.rsdpAddress % 16 !== 0 || layout.rsdpAddress < layout.rsdpScanStart || layout.rsdpAddress + RSDP_SIZE > layout.rsdpScanEnd) {
    throw new HvmloaderError('INVALID_ARGUMENT', `RSDP address 0x${layout.rsdpAddress.toString(16)} is not 16-byte aligned in the scan area`);
  }
  const allocator = new AcpiAllocator(layout.dynamicStart, layout.dynamicEnd);
  const writes: { address: number; bytes: Uint8Array }[] = [];
  const tables: PlacedTable[] = [];
  const place = (signature: string, address: number, bytes: Uint8Array): void => {
    writes.push({ address, bytes });
    tables.push({ signature, address, length: bytes.length });
  };

  const info = new Uint8Array(layout.infoSize);
  const infoView = new DataView(info.buffer);
  info[ACPI_INFO_OFFSET.flags] = (config.com1 ? 1 : 0) | (config.com2 ? 2 : 0) | (config.lpt1 ? 4 : 0);
  writeU32(infoView, ACPI_INFO_OFFSET.pciMin, layout.pciMemStart);
  writeU32(infoView, ACPI_INFO_OFFSET.pciLen, layout.pciMemEnd - layout.pciMemStart);

  const facsAddress = allocator.alloc(FACS_SIZE, 16);
  const facs = new Uint8Array(FACS_SIZE);
  facs.set([0x46, 0x41, 0x43, 0x53], 0);
  new DataView(facs.buffer).setUint32(4, FACS_SIZE, true);
  facs[32] = 1; // version
  place('FACS', facsAddress, facs);

  const dsdt = buildDsdt(layout);
  const dsdtAddress = allocator.alloc(dsdt.length, 16);
  place('DSDT', dsdtAddress, dsdt);

  const template = buildFadtTemplate(layout);
  const fadt1Address = allocator.alloc(FADT_1_SIZE, 16);
  const fadt1 = template.slice(0, FADT_1_SIZE);
  const fadt1View = new DataView(fadt1.buffer);
  writeU32(fadt1View, 4, FADT_1_SIZE);
  fadt1[8] = FADT_1_REVISION;
  writeU32(fadt1View, 40, dsdtAddress);
  writeU32(fadt1View, 36, facsAddress);
  place('FACP', fadt1Address, finishTable(fadt1));

  const fadtAddress = allocator.alloc(FADT_SIZE, 16);
  const fadt = template.slice();
  const fadtView = new DataView(fadt.buffer);
  writeU32(fadtView, 40, dsdtAddress);
  fadtView.setBigUint64(140, BigInt(dsdtAddress), true);
  writeU32(fadtView, 36, facsAddress);
  fadtView.setBigUint64(132, BigInt(facsAddress), true);
  place('FACP', fadtAddress, finishTable(fadt));

  // Secondary tables: the MADT (hvmloader always runs with apic_mode set).
  const madtAllocated = 44 + 16 * 10 + 12 + 8 * vcpus;
  const madtAddress = allocator.alloc(madtAllocated, 16);
  const madt = buildMadt(layout, vcpus, madtAddress);
  place('APIC', madtAddress, madt.table);
  infoView.setUint16(ACPI_INFO_OFFSET.nrCpus, vcpus, true);
  writeU32(infoView, ACPI_INFO_OFFSET.madtLapic0Address, madt.lapic0);
  writeU32(infoView, ACPI_INFO_OFFSET.madtChecksumAddress, madtAddress + 9);
  const secondaries = [madtAddress];
  if (config.genidNotifyGpe !== undefined) {
    // The GPE0 block holds status then enable bits: GPE0_BLK_LEN / 2 bytes of each.
    if (!Number.isInteger(config.genidNotifyGpe) || config.genidNotifyGpe < 0 || config.genidNotifyGpe >= (GPE0_BLK_LEN / 2) * 8) {
      throw new HvmloaderError('INVALID_ARGUMENT', `GPE ${config.genidNotifyGpe} is outside the FADT's GPE0 block (0..${(GPE0_BLK_LEN / 2) * 8 - 1})`);
    }
    const ssdt = buildGenidNotifySsdt({
      devicePath: VGID_DEVICE_PATH,
      gpe: config.genidNotifyGpe,
      oemId: layout.oemId,
      oemTableId: 'VGNOTIFY',
      oemRevision: layout.oemRevision,
      creatorId: layout.creatorId,
      creatorRevision: layout.creatorRevision,
    });
    const ssdtAddress = allocator.alloc(ssdt.length, 16);
    place('SSDT', ssdtAddress, ssdt);
    secondaries.push(ssdtAddress);
  }

  const xsdtLength = ACPI_HEADER_SIZE + 8 * (1 + secondaries.length);
  const xsdtAddress = allocator.alloc(ACPI_HEADER_SIZE + 8 + 8 * secondaries.length, 16);
  const xsdt = new Uint8Array(xsdtLength);
  xsdt.set(tableHeader('XSDT', xsdtLength, XSDT_REVISION, layout), 0);
  const xsdtView = new DataView(xsdt.buffer);
  [fadtAddress, ...secondaries].forEach((entry, index) => xsdtView.setBigUint64(ACPI_HEADER_SIZE + 8 * index, BigInt(entry), true));
  place('XSDT', xsdtAddress, finishTable(xsdt));

  const rsdtLength = ACPI_HEADER_SIZE + 4 * (1 + secondaries.length);
  const rsdtAddress = allocator.alloc(ACPI_HEADER_SIZE + 4 + 4 * secondaries.length, 16);
  const rsdt = new Uint8Array(rsdtLength);
  rsdt.set(tableHeader('RSDT', rsdtLength, RSDT_REVISION, layout), 0);
  const rsdtView = new DataView(rsdt.buffer);
  [fadt1Address, ...secondaries].forEach((entry, index) => writeU32(rsdtView, ACPI_HEADER_SIZE + 4 * index, entry));
  place('RSDT', rsdtAddress, finishTable(rsdt));

  const rsdp = new Uint8Array(RSDP_SIZE);
  const rsdpView = new DataView(rsdp.buffer);
  rsdp.set(Uint8Array.from('RSD PTR ', (character) => character.charCodeAt(0)), 0);
  for (let index = 0; index < 6; index += 1) rsdp[9 + index] = index < layout.oemId.length ? layout.oemId.charCodeAt(index) : 0;
  rsdp[15] = 2;
  writeU32(rsdpView, 16, rsdtAddress);
  writeU32(rsdpView, 20, RSDP_SIZE);
  rsdpView.setBigUint64(24, BigInt(xsdtAddress), true);
  setChecksum(rsdp, 8, 20);
  setChecksum(rsdp, 32, RSDP_SIZE);
  writes.push({ address: layout.rsdpAddress, bytes: rsdp });

  // new_vm_gid: last, so the ID lands after every table.
  let vmGenerationIdAddress = 0;
  if (config.generationId.low !== 0n || config.generationId.high !== 0n) {
    vmGenerationIdAddress = allocator.alloc(16, 8);
    writes.push({ address: vmGenerationIdAddress, bytes: generationIdBytes(config.generationId) });
  }
  writeU32(infoView, ACPI_INFO_OFFSET.vmGenerationIdAddress, vmGenerationIdAddress);
  writes.unshift({ address: layout.infoAddress, bytes: info });

  // hvmloader is 32-bit: its addresses are uint32 numbers until they reach guest memory.
  for (const write of writes) memory.write(BigInt(write.address), write.bytes);
  return { layout, rsdpAddress: layout.rsdpAddress, tables, vmGenerationIdAddress, lastAllocatedByte: allocator.lastByte };
}
