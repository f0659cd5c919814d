/**
 * The port a real device model plugs into (qemu-xen's part in libxl: `libxl__domain_suspend_device_model`
 * and `libxl__qmp_suspend_save` in `tools/libs/light/libxl_dom_suspend.c` / `libxl_qmp.c`, the
 * EMULATOR_CONTEXT record of `libxl_stream_write.c` / `libxl_stream_read.c`, and the saved state
 * handed to the new device model by `libxl__spawn_local_dm` in `libxl_dm.c`). Without a port, or
 * for a domain the port says has no device model, save and restore carry no emulator record.
 */

/** `EMULATOR_ID_qemu_upstream` (`libxl_sr_stream_format.h`): the emulator id of qemu-xen's record. */
export const EMULATOR_ID_QEMU_UPSTREAM = 2;

export interface DeviceModelPort {
  /**
   * The device state of `domid`'s device model, the domain being paused (`xen-save-devices-state`
   * in libxl): the EMULATOR_CONTEXT record's data; undefined for a domain without a device model.
   */
  saveState(domid: number): Uint8Array | undefined;
  /**
   * Keeps the state read from an EMULATOR_CONTEXT record for the new domain `domid`, before its
   * memory is loaded: its device model starts from it (instead of booting) when the domain is
   * first unpaused, as libxl starts qemu-xen with the restore file as `-incoming`.
   */
  restoreState(domid: number, state: Uint8Array): void;
}
