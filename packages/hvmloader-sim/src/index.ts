/**
 * `@xen-genid/hvmloader-sim`: the firmware (hvmloader and libacpi), as it runs inside a domain.
 * The guest OS model that reads what it placed is the `./guest` entry.
 */
export { HVMLOADER_ERROR, HvmloaderError, type HvmloaderErrorCode } from './errors.ts';
export { XEN_PLATFORM_LAYOUT, type PlatformLayout } from './firmware/platform-layout.ts';
export {
  hvmloaderStrtoll,
  parseGenerationIdValue,
  generationIdBytes,
  type GenerationIdWords,
  type StrtollResult,
} from './firmware/strtoll.ts';
export { PagedMemory, DomainMemory } from './guest-memory.ts';
export { AcpiAllocator } from './firmware/acpi/allocator.ts';
export {
  AML,
  REGION_SPACE,
  FIELD_ACCESS,
  PKG_LENGTH_MAX,
  concatBytes,
  encodePkgLength,
  withPkgLength,
  encodeNameSeg,
  encodeNameString,
  amlInteger,
  amlString,
  amlBuffer,
  amlPackage,
  amlName,
  amlScope,
  amlDevice,
  amlMethod,
  amlNameRef,
  amlIf,
  amlElse,
  amlLEqual,
  amlReturn,
  amlStore,
  amlIndex,
  amlNotify,
  amlOperationRegion,
  amlField,
  eisaId,
  type AmlBytes,
  type FieldEntry,
  type MethodOptions,
} from './firmware/acpi/aml-encoder.ts';
export { ACPI_HEADER_SIZE, tableHeader, byteSum, setChecksum, finishTable } from './firmware/acpi/table-header.ts';
export {
  VM_GEN_COUNTER_CID,
  VGID_DEVICE_PATH,
  buildVgidDevice,
  buildBiosRegion,
  buildDsdtBody,
  buildDsdt,
} from './firmware/acpi/dsdt.ts';
export {
  ACPI_INFO_OFFSET,
  buildAcpiTables,
  type AcpiBuildConfig,
  type AcpiBuildResult,
  type PlacedTable,
} from './firmware/acpi/build-tables.ts';
export { findEmbeddedTables, type EmbeddedTable } from './firmware/acpi/real-hvmloader.ts';
export {
  GENID_NOTIFY_VALUE,
  GENID_NOTIFY_ZONE_PATH,
  buildGenidNotifySsdt,
  gpeMethodName,
  type GenidNotifySsdtOptions,
} from './firmware/acpi/genid-notify-ssdt.ts';
export { runFirmware, type FirmwareOptions, type FirmwareRun } from './firmware/hvmloader.ts';
