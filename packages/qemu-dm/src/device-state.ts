/**
 * What a real guest's save carries in the libxl stream's EMULATOR_CONTEXT record (libxl's
 * `libxl__domain_save_device_model` reads qemu-xen's `xen-save-devices-state` file into it):
 * QEMU's device state, its migration stream without the shared RAM, and beyond qemu-xen's record
 * the serial log kept so far, so the restored guest's console still holds what its kernel said
 * (its view of the ID). Laid out as a u32 (little-endian) length of QEMU's stream, the stream,
 * then the log.
 */
import { QemuDmError } from './errors.ts';

/** QEMU's migration stream starts with `QEVM` (`QEMU_VM_FILE_MAGIC`, migration/savevm.c). */
const QEMU_VM_FILE_MAGIC = 0x5145564d;

export interface DeviceState {
  /** QEMU's migration stream, without the RAM it shares with the toolstack. */
  readonly qemu: Uint8Array;
  /** The serial console's log up to the save. */
  readonly consoleLog: Uint8Array;
}

export function encodeDeviceState(state: DeviceState): Uint8Array {
  const data = new Uint8Array(4 + state.qemu.length + state.consoleLog.length);
  new DataView(data.buffer).setUint32(0, state.qemu.length, true);
  data.set(state.qemu, 4);
  data.set(state.consoleLog, 4 + state.qemu.length);
  return data;
}

export function decodeDeviceState(data: Uint8Array): DeviceState {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = data.length >= 4 ? view.getUint32(0, true) : -1;
  if (length < 4 || 4 + length > data.length || view.getUint32(4, false) !== QEMU_VM_FILE_MAGIC) {
    throw new QemuDmError('INVALID_ARGUMENT', 'the emulator context is not a device state this device model wrote (no QEMU migration stream in it)');
  }
  return { qemu: data.subarray(4, 4 + length), consoleLog: data.subarray(4 + length) };
}
