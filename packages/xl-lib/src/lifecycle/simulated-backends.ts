/**
 * Simulated backends: what the processes serving a device's backend write once libxl has added
 * it, since the simulated host runs none of them (a divergence, docs/divergences.md):
 * - qemu-xen's vkbd backend (`hw/xen/xen-legacy-backend.c` and `hw/display/xenfb.c`, QEMU 7.2): it
 *   announces `feature-abs-pointer` and `feature-raw-pointer`, reports `hotplug-status` connected
 *   and moves to `XenbusStateInitWait` (2), where it waits for a frontend;
 * - xenconsoled and the vfb's qemu write nothing here: the console's backend stays
 *   `XenbusStateInitialising` (1), as xenconsoled leaves it, and its `tty` empty (no pty exists).
 */
import type { XsOperations } from '@xen-genid/xenstore';
import { backendPath, type DeviceNodes } from './devices.ts';

/** `XenbusStateInitWait`. */
const XENBUS_STATE_INIT_WAIT = '2';

/** Whether a simulated backend answers for the device (qemu's vkbd). */
export const hasSimulatedBackend = (device: DeviceNodes): boolean => device.backendKind === 'vkbd';

/** Each device's simulated backend answers, inside the caller's transaction. */
export function runSimulatedBackends(xs: XsOperations, devices: readonly DeviceNodes[]): void {
  for (const device of devices) {
    if (!hasSimulatedBackend(device)) continue;
    const back = backendPath(device);
    xs.write(`${back}/feature-abs-pointer`, '1');
    xs.write(`${back}/feature-raw-pointer`, '1');
    xs.write(`${back}/hotplug-status`, 'connected');
    xs.write(`${back}/state`, XENBUS_STATE_INIT_WAIT);
  }
}
