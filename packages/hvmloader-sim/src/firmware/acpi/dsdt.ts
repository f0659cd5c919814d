/**
 * The DSDT: the parts of `tools/libacpi/dsdt.asl` and `dsdt_acpi_info.asl` (Xen 4.17) that a
 * coherent table set needs for the generation ID: `\_SB.PCI0.ISA.VGID` exactly as Xen's (the same
 * 120 AML bytes iasl produces), the `\_SB.BIOS` operation region and field list over
 * `struct acpi_info`, and the `\_S5` package an OS needs to power off. PCI routing, processors
 * and the other ISA devices are left out.
 */
import {
  FIELD_ACCESS,
  REGION_SPACE,
  amlDevice,
  amlElse,
  amlField,
  amlIf,
  amlIndex,
  amlInteger,
  amlLEqual,
  amlMethod,
  amlName,
  amlNameRef,
  amlOperationRegion,
  amlPackage,
  amlReturn,
  amlScope,
  amlStore,
  amlString,
  concatBytes,
  eisaId,
  type AmlBytes,
  type FieldEntry,
} from './aml-encoder.ts';
import { finishTable, tableHeader } from './table-header.ts';
import type { PlatformLayout } from '../platform-layout.ts';

/** The device's `_CID`/`_DDN` string, as Xen writes it (ACPICA upper-cases `_CID` when read). */
export const VM_GEN_COUNTER_CID = 'VM_Gen_Counter';
/** Where the device sits in the namespace. */
export const VGID_DEVICE_PATH = '\\_SB.PCI0.ISA.VGID';

/**
 * `Device(VGID)` (dsdt.asl). `VGIA` is referenced by its bare NameSeg, as iasl shortens
 * `\_SB.VGIA` from inside `\_SB.PCI0.ISA`; the upward name search finds `\_SB.VGIA`.
 */
export function buildVgidDevice(): AmlBytes {
  return amlDevice('VGID', [
    amlName('_HID', amlInteger(eisaId('XEN0000'))),
    amlName('_UID', amlInteger(0)),
    amlName('_CID', amlString(VM_GEN_COUNTER_CID)),
    amlName('_DDN', amlString(VM_GEN_COUNTER_CID)),
    amlMethod('_STA', { args: 0 }, [
      amlIf(amlLEqual(amlNameRef('VGIA'), amlInteger(0)), [amlReturn(amlInteger(0))]),
      amlElse([amlReturn(amlInteger(0x0f))]),
    ]),
    amlName('PKG', amlPackage([amlInteger(0), amlInteger(0)])),
    amlMethod('ADDR', { args: 0 }, [
      amlStore(amlNameRef('VGIA'), amlIndex(amlNameRef('PKG'), amlInteger(0))),
      amlReturn(amlNameRef('PKG')),
    ]),
  ]);
}

/** The `struct acpi_info` fields (`tools/libacpi/build.c`), as dsdt_acpi_info.asl lists them. */
const BIOS_FIELDS: readonly FieldEntry[] = [
  { name: 'UAR1', bits: 1 },
  { name: 'UAR2', bits: 1 },
  { name: 'LTP1', bits: 1 },
  { name: 'HPET', bits: 1 },
  { bits: 12 }, // Offset(2)
  { name: 'NCPU', bits: 16 },
  { name: 'PMIN', bits: 32 },
  { name: 'PLEN', bits: 32 },
  { name: 'MSUA', bits: 32 },
  { name: 'MAPA', bits: 32 },
  { name: 'VGIA', bits: 32 },
  { name: 'LMIN', bits: 32 },
  { name: 'HMIN', bits: 32 },
  { name: 'LLEN', bits: 32 },
  { name: 'HLEN', bits: 32 },
];

/** `OperationRegion(BIOS, SystemMemory, <info>, 40)` and its Field, as in dsdt_acpi_info.asl. */
export function buildBiosRegion(layout: PlatformLayout): AmlBytes {
  return concatBytes([
    amlOperationRegion('BIOS', REGION_SPACE.SystemMemory, amlInteger(layout.infoAddress), amlInteger(layout.infoSize)),
    amlField('BIOS', FIELD_ACCESS.ByteAcc, BIOS_FIELDS),
  ]);
}

/**
 * The DSDT's AML body (after the header). Names at the root are written without the `\` prefix,
 * as iasl writes `Scope (\_SB)` and `Name (\_S5, ...)` at the top level, so the body is what iasl
 * compiles from the same ASL.
 */
export function buildDsdtBody(layout: PlatformLayout): AmlBytes {
  return concatBytes([
    amlScope('_SB', [
      amlDevice('PCI0', [
        amlName('_HID', amlInteger(eisaId('PNP0A03'))),
        amlName('_UID', amlInteger(0)),
        amlName('_ADR', amlInteger(0)),
        amlName('_BBN', amlInteger(0)),
        amlDevice('ISA', [amlName('_ADR', amlInteger(0x00010000)), buildVgidDevice()]),
      ]),
    ]),
    // _S3 and _S4 come from SSDTs in Xen; _S5 is in the DSDT (SLP_TYP 0 for PM1a and PM1b).
    amlName('_S5', amlPackage([amlInteger(0), amlInteger(0), amlInteger(0), amlInteger(0)])),
    amlScope('_SB', [buildBiosRegion(layout)]),
  ]);
}

/** The complete DSDT with header and checksum. */
export function buildDsdt(layout: PlatformLayout): Uint8Array {
  const body = buildDsdtBody(layout);
  const table = new Uint8Array(36 + body.length);
  table.set(tableHeader('DSDT', table.length, layout.dsdtRevision, layout), 0);
  table.set(body, 36);
  return finishTable(table);
}
