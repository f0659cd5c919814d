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
