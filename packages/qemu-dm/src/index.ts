export { QEMU_DM_ERROR, QemuDmError, type QemuDmErrorCode } from './errors.ts';
export { qmpRun, type QmpCommand, type QmpStep, type QmpWaitMigration } from './qmp.ts';
export { MAX_LOW_RAM_BYTES, RamFile } from './ram-file.ts';
export {
  DEFAULT_QEMU,
  DeviceModel,
  deviceModelArguments,
  deviceModelFiles,
  deviceModelFilesExist,
  killDeviceModel,
  launchDeviceModel,
  processAlive,
  reapDeviceModel,
  removeDeviceModelFiles,
  runningDeviceModel,
  writeConsoleInput,
  type DeviceModelFiles,
  type DeviceModelLaunch,
  type QemuMachine,
} from './device-model.ts';
export {
  NOTIFY_POLL_TENTHS,
  minimumMemoryMiB,
  readGuestConsole,
  realGuestCommandLine,
  realGuestInitrd,
  realGuestTables,
  startRealGuest,
  waitForGuest,
  type RealGuestOptions,
} from './real-guest.ts';
export { FORK_MESSAGE, parseGuestConsole, type GuestConsoleView } from './guest/console-view.ts';
export { MODULES_DIR, buildResidentInit } from './guest/resident-init.ts';
export { BUTTON_MODULE, cachedModuleBeside, cachedModulePath, ensureKernelModule } from './guest/kernel-modules.ts';
export { DEVICE_MODEL_PID_KEY, attachDeviceModels, type AttachedDeviceModels, type DeviceModelHostOptions } from './toolstack.ts';
export { defaultRunDir, deviceModelDomids, hostIdentity } from './run-dir.ts';
export { machineOfConfig } from './machine-args.ts';
// The real-Linux boot harness (`qemu-dm boot-linux`): the firmware's output under QEMU, what Linux's vmgenid driver read.
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
