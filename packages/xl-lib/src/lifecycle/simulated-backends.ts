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
 * - xenconsoled and the vfb's qemu write nothing here: the console's `tty` stays empty (no pty exists);
 * - Domain-0's kernel for vbds and vifs (blkback, netback) and the hotplug scripts libxl runs for
 *   them (`block`, `vif-bridge`), and the user-space backends of vtpms, vdispls and vsnds:
 *   `runDom0Backends`.
 */
import type { XenStore, XsConnection } from '@xen-genid/xenstore';
import { XEN_SCRIPT_DIR, type ImageKind } from './disk-devices.ts';
import { XENBUS_STATE_INITIALISING, XENBUS_STATE_INIT_WAIT, backendPath, frontendPath, type DeviceNodes } from './devices.ts';

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

/**
 * Linux's blkback in Domain-0 (`drivers/block/xen-blkback/xenbus.c`, `xen_blkbk_probe`): on a new
 * vbd backend directory it announces indirect segments, queues and ring size, then moves to
 * InitWait, where it waits for the hotplug script's `physical-device` and the frontend.
 */
function blkbackProbe(kernel: XsConnection, device: DeviceNodes): void {
  const back = relative(device);
  kernel.write(`${back}/feature-max-indirect-segments`, '256');
  kernel.write(`${back}/multi-queue-max-queues`, '1');
  kernel.write(`${back}/max-ring-page-order`, '4');
  kernel.transaction((t) => {
    if (t.tryReadString(`${back}/state`) !== undefined) t.write(`${back}/state`, XENBUS_STATE_INIT_WAIT);
  });
}

/** The features Linux's netback announces at probe (`drivers/net/xen-netback/xenbus.c`, `netback_probe`), in its order. */
const NETBACK_FEATURES = [
  ['feature-sg', '1'],
  ['feature-gso-tcpv4', '1'],
  ['feature-gso-tcpv6', '1'],
  ['feature-ipv6-csum-offload', '1'],
  ['feature-rx-copy', '1'],
  ['feature-xdp-headroom', '1'],
  ['feature-rx-flip', '0'],
  ['feature-multicast-control', '1'],
  ['feature-dynamic-multicast-control', '1'],
  ['feature-split-event-channels', '1'],
  ['multi-queue-max-queues', '1'],
  ['feature-ctrl-ring', '1'],
] as const;

/** Linux's netback in Domain-0: its features, then InitWait. */
function netbackProbe(kernel: XsConnection, device: DeviceNodes): void {
  const back = relative(device);
  for (const [key, value] of NETBACK_FEATURES) kernel.write(`${back}/${key}`, value);
  kernel.write(`${back}/state`, XENBUS_STATE_INIT_WAIT);
}

/** A vbd's image as the `block` script sees it: a block device, or a file it attaches to a loop device. */
export type BlockImage = Extract<ImageKind, { type: 'block' | 'file' }>;

/** Loop devices' major number (`LOOP_MAJOR`). */
const LOOP_MAJOR = 7;

/**
 * `/etc/xen/scripts/block add` (Xen's `tools/hotplug/Linux/block`), run by libxl once the backend
 * waits: a file gets the first loop device no vbd on the host holds (`losetup -f`) as its `node`;
 * then the device's number (hex `major:minor`) and path, and `hotplug-status` connected.
 */
function blockScriptAdd(script: XsConnection, device: DeviceNodes, image: BlockImage): void {
  const back = relative(device);
  const { major, minor, path } = image.type === 'block' ? image : firstFreeLoop(script);
  if (image.type === 'file') script.write(`${back}/node`, path);
  script.write(`${back}/physical-device`, `${major.toString(16)}:${minor.toString(16)}`);
  script.write(`${back}/physical-device-path`, path);
  script.write(`${back}/hotplug-status`, 'connected');
}

/** `losetup -f`: the first loop device no vbd of the host holds as its `node`. */
function firstFreeLoop(script: XsConnection): { major: number; minor: number; path: string } {
  const held = new Set<string>();
  const list = (path: string): string[] => (script.exists(path) ? script.directory(path) : []);
  for (const domid of list('backend/vbd')) {
    for (const devid of list(`backend/vbd/${domid}`)) {
      const node = script.tryReadString(`backend/vbd/${domid}/${devid}/node`);
      if (node !== undefined) held.add(node);
    }
  }
  let minor = 0;
  while (held.has(`/dev/loop${minor}`)) minor += 1;
  return { major: LOOP_MAJOR, minor, path: `/dev/loop${minor}` };
}

/**
 * `/etc/xen/scripts/vif-bridge online` (Xen's `tools/hotplug/Linux/vif-bridge`): it gives the
 * frontend the bridge's MTU (1500 for a new bridge) and reports `hotplug-status` connected.
 */
function vifBridgeOnline(script: XsConnection, device: DeviceNodes): void {
  script.write(`${frontendPath(device)}/mtu`, '1500');
  script.write(`${relative(device)}/hotplug-status`, 'connected');
}

/** A device added with what serves it in Domain-0 (`libxl__wait_device_connection`, then its hotplug script). */
export interface ServedDevice {
  readonly device: DeviceNodes;
  /** The `block` script's view of a phy vbd's image; absent for others. */
  readonly image?: BlockImage;
  /** The device's hotplug script, when libxl runs one. */
  readonly script?: string;
}

/**
 * A backend libxl waits for that runs in user space or a stub domain (a vTPM stub domain's, the
 * `displ_be` and `snd_be` display and sound backends, qemu's `qusb`): it moves to InitWait once it
 * sees the device.
 */
function userSpaceBackend(connection: XsConnection, device: DeviceNodes): void {
  connection.write(`${relative(device)}/state`, XENBUS_STATE_INIT_WAIT);
}

/** What answers in Domain-0 for each backend kind libxl waits for. */
const PROBES: Partial<Record<string, (connection: XsConnection, device: DeviceNodes) => void>> = {
  vbd: blkbackProbe,
  vif: netbackProbe,
  vtpm: userSpaceBackend,
  vdispl: userSpaceBackend,
  vsnd: userSpaceBackend,
  qusb: userSpaceBackend,
};

/**
 * Domain-0's backends answering the devices libxl added and waits for: the kernel's blkback and
 * netback for vbds and vifs, each then handed to its hotplug script as libxl does once the backend
 * waits in InitWait, and the user-space backends of vtpms, vdispls, vsnds and qusb controllers. Only Xen's own `block`
 * and `vif-bridge` scripts are simulated: any other script, a backend in another domain or a qdisk
 * (served by qemu) gets no answer here.
 */
export function runDom0Backends(xenstore: XenStore, served: readonly ServedDevice[]): void {
  const mine = served.filter(({ device }) => device.backendDomid === 0 && PROBES[device.backendKind] !== undefined);
  if (mine.length === 0) return;
  const kernel = xenstore.connect(0);
  const script = xenstore.connect(0);
  try {
    for (const { device } of mine) PROBES[device.backendKind]!(kernel, device);
    for (const { device, image, script: path } of mine) {
      if (device.backendKind === 'vbd' && image && path === `${XEN_SCRIPT_DIR}/block`) blockScriptAdd(script, device, image);
      if (device.backendKind === 'vif' && path === `${XEN_SCRIPT_DIR}/vif-bridge`) vifBridgeOnline(script, device);
    }
  } finally {
    kernel.close();
    script.close();
  }
}
