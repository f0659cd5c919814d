export { HVMLOADER_ERROR, HvmloaderError, type HvmloaderErrorCode } from './errors.ts';
export { XEN_PLATFORM_LAYOUT, type PlatformLayout } from './platform-layout.ts';
export {
  hvmloaderStrtoll,
  parseGenerationIdValue,
  generationIdBytes,
  type GenerationIdWords,
  type StrtollResult,
} from './strtoll.ts';
export { PagedMemory, DomainMemory, type GuestMemory } from './guest-memory.ts';
export { AcpiAllocator } from './acpi/allocator.ts';
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
} from './acpi/aml-encoder.ts';
export { ACPI_HEADER_SIZE, tableHeader, byteSum, setChecksum, finishTable } from './acpi/table-header.ts';
export {
  VM_GEN_COUNTER_CID,
  VGID_DEVICE_PATH,
  buildVgidDevice,
  buildBiosRegion,
  buildDsdtBody,
  buildDsdt,
} from './acpi/dsdt.ts';
export {
  ACPI_INFO_OFFSET,
  buildAcpiTables,
  type AcpiBuildConfig,
  type AcpiBuildResult,
  type PlacedTable,
} from './acpi/build-tables.ts';
export { findEmbeddedTables, type EmbeddedTable } from './acpi/real-hvmloader.ts';
export {
  GENID_NOTIFY_GPE,
  GENID_NOTIFY_VALUE,
  GENID_NOTIFY_ZONE_PATH,
  buildGenidNotifySsdt,
  gpeMethodName,
  type GenidNotifySsdtOptions,
} from './acpi/genid-notify-ssdt.ts';
export { Namespace, NamespaceNode, type AmlValue, type NamePath, type NamespaceObject } from './acpi/aml-namespace.ts';
export { AmlInterpreter, AmlReader, type InterpreterOptions, type Notification } from './acpi/aml-interpreter.ts';
export { findRsdp, readTable, walkAcpiTables, type FoundTable, type TableWalk } from './guest/acpi-tables.ts';
export {
  VMGENID_ACPI_IDS,
  decodeEisaId,
  probeVmGenerationId,
  readVmGenerationId,
  readVmGenerationIdFromTable,
  type GenerationIdReading,
} from './guest/read-generation-id.ts';
export { PLATFORM_ACPI_KEY, runFirmware, type FirmwareOptions, type FirmwareRun } from './firmware/hvmloader.ts';
export {
  GUEST_RECORD_FORMAT,
  GUEST_RECORD_VERSION,
  GUEST_RECORD_HISTORY,
  EMPTY_GUEST_RECORD,
  guestRecordToJson,
  parseGuestRecord,
  readGuestRecord,
  type FirmwareRecord,
  type GuestEvent,
  type GuestRead,
  type GuestReadReason,
  type GuestRecord,
} from './guest/guest-record.ts';
export { createGuestModel, type GuestModelOptions } from './guest/guest-model.ts';
// QEMU platform layouts and the real-Linux boot harness (`boot-linux`).
export {
  QEMU_ACPI_OEM_ID,
  QEMU_ACPI_OEM_REVISION,
  QEMU_ACPI_OEM_TABLE_ID,
  QEMU_FIRMWARE_AREA_SIZE,
  QEMU_FIRMWARE_AREA_START,
  QEMU_OVERRIDE_OEM_REVISION,
  QEMU_PC_PLATFORM_LAYOUT,
} from './platform/qemu-pc.ts';
export { QEMU_Q35_PLATFORM_LAYOUT } from './platform/qemu-q35.ts';
export { bootLinux, parseGenerationIdArgument, type BootLinuxOptions, type BootLinuxResult } from './linux/boot-linux.ts';
export {
  GENERATION_ID_LENGTH,
  bootLinuxGuest,
  kernelCommandLine,
  missingBootTools,
  type BootLinuxGuestOptions,
  type BootVerdict,
  type GuestBootPlan,
  type GuestMemoryImage,
  type LinuxBootReport,
  type RenewalReport,
  type ReservedRange,
} from './linux/boot.ts';
export { planFirmwareBoot, qemuLayoutFor, type FirmwarePlan } from './linux/firmware-plan.ts';
export {
  KERNEL_METAPACKAGE,
  cachedKernel,
  defaultCacheDir,
  ensureKernel,
  type EnsureKernelOptions,
  type KernelImage,
  type KernelMissing,
} from './linux/kernel.ts';
export {
  RENEWAL_PHASES,
  parseGuestLog,
  parseKprobeBytes,
  type EnumeratedDevice,
  type GuestLog,
  type KprobeHit,
  type PhaseLog,
  type RenewalPhase,
} from './linux/guest-log.ts';
export { buildNotifySsdt, NOTIFY_ZONE_PATH, type NotifySsdtOptions } from './linux/notify-ssdt.ts';
export { writeCpio, type CpioEntry } from './linux/cpio.ts';
export { ACPI_UPGRADE_DIR, DEFAULT_BUSYBOX, buildTableUpgradeCpio, type UpgradeTable } from './linux/initramfs.ts';
export { KPROBE_EVENTS, LOG_PREFIX } from './linux/init-script.ts';
export type { QemuMachine } from './linux/qemu.ts';
