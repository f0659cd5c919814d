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
export { DEVICE_MODEL_PID_KEY, attachDeviceModels, hostIdentity, type AttachedDeviceModels, type DeviceModelHostOptions } from './toolstack.ts';
