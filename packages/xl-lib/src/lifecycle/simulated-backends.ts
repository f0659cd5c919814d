/**
 * Simulated backends: what the processes serving a device's backend write once libxl has added it,
 * since the simulated host runs none of them (a divergence, docs/divergences.md). They write on
 * their own connection, with paths relative to Domain-0's home, as the real processes do:
 * - qemu-xen (QEMU 7.2, `hw/xen/xen-legacy-backend.c`: `xen_be_register` and `xen_be_check_state`;
 *   `hw/i386/xen/xen-hvm.c`: `xen_hvm_change_state_handler`), for an HVM guest: it registers the
 *   backend kinds it serves under `device-model/<domid>/backends/`, marks the console's backend
 *   `XenbusStateInitialising` (1) again (xenconsoled serves it), announces the vkbd's features,
 *   reports its `hotplug-status` connected and moves it to `XenbusStateInitWait` (2), where it waits
 *   for a frontend; then reports `device-model/<domid>/state` `running`, which libxl waits for;
 * - the vkbd of a PV guest the same way (qemu-xen's xenpv machine serves it);
 * - xenconsoled and the vfb's qemu write nothing here: the console's `tty` stays empty (no pty exists).
 */
import type { XenStore, XsConnection } from '@xen-genid/xenstore';
import { backendPath, type DeviceNodes } from './devices.ts';

/** `XenbusStateInitialising`, `XenbusStateInitWait`. */
const XENBUS_STATE_INITIALISING = '1';
const XENBUS_STATE_INIT_WAIT = '2';
/** The backend kinds qemu-xen's HVM machine registers, in its order (`xen_be_register_common`). */
const QEMU_XEN_BACKENDS = ['console', 'vkbd', '9pfs', 'qusb'] as const;

/** Whether qemu-xen serves the device's backend (the vkbd; an HVM guest's console it only watches). */
const servedByQemu = (device: DeviceNodes): boolean => device.backendDomid === 0 && device.backendKind === 'vkbd';

/**
 * The device model's answer to the devices libxl added for `domid`: qemu-xen for an HVM guest, the
 * vkbd backend for a PV guest that has one. Nothing for a PV guest without.
 */
export function runSimulatedBackends(xenstore: XenStore, domid: number, hvm: boolean, devices: readonly DeviceNodes[]): void {
  if (!hvm && !devices.some(servedByQemu)) return;
  const qemu = xenstore.connect(0);
  try {
    if (!hvm) {
      for (const device of devices) if (servedByQemu(device)) connectVkbd(qemu, device);
      return;
    }
    for (const kind of QEMU_XEN_BACKENDS) {
      const registered = `device-model/${domid}/backends/${kind}`;
      qemu.mkdir(registered);
      qemu.setPerms(registered, [{ id: 0, access: 'n' }, { id: domid, access: 'n' }]);
      for (const device of devices) {
        if (device.backendDomid !== 0 || device.backendKind !== kind) continue;
        if (kind === 'console') qemu.write(`${relative(device)}/state`, XENBUS_STATE_INITIALISING);
        if (kind === 'vkbd') connectVkbd(qemu, device);
      }
    }
    qemu.write(`device-model/${domid}/state`, 'running');
  } finally {
    qemu.close();
  }
}

/** `xen_be_check_state` for a vkbd (`hw/display/xenfb.c`'s `input_init`): features, hotplug, InitWait. */
function connectVkbd(qemu: XsConnection, device: DeviceNodes): void {
  const back = relative(device);
  qemu.write(`${back}/state`, XENBUS_STATE_INITIALISING);
  qemu.write(`${back}/feature-abs-pointer`, '1');
  qemu.write(`${back}/feature-raw-pointer`, '1');
  qemu.write(`${back}/hotplug-status`, 'connected');
  qemu.write(`${back}/state`, XENBUS_STATE_INIT_WAIT);
}

/** The backend's path relative to Domain-0's home (`backend/<kind>/<domid>/<devid>`). */
function relative(device: DeviceNodes): string {
  return backendPath(device).replace(/^\/local\/domain\/0\//, '');
}
