/**
 * The devices libxl adds to a domain it creates or restores, and removes when it goes:
 * - `domcreate_launch_dm` (`tools/libs/light/libxl_create.c`): an HVM guest gets the primary
 *   console and, unless `vkb_device = 0`, a vkbd; a PV or PVH guest its vfbs, its vkbs, then the
 *   primary console;
 * - each written as `libxl__device_generic_add` (`libxl_device.c`) writes it, in one transaction:
 *   `/libxl/<domid>/device/<kind>/<devid>`, the frontend (the guest may write it; console 0's is
 *   read-only to it) and the backend, with the entries of `libxl__device_console_add`
 *   (`libxl_console.c`), `libxl__device_add` and `libxl__set_xenstore_vkb` / `_vfb`
 *   (`libxl_vkb.c`, `libxl_console.c`);
 * - `libxl__devices_destroy` (`libxl_device.c`): each device listed under `/libxl/<domid>/device`
 *   loses its frontend, libxl and backend directories, with every parent left empty
 *   (`libxl__xs_path_cleanup`).
 * What the backends themselves write is `./simulated-backends.ts`.
 */
import { domainPath } from '@xen-genid/xc-params';
import type { XsOperations, XsPermission } from '@xen-genid/xenstore';
import { XlError } from '../errors.ts';
import type { DomainConfig } from '../types/domain-config.ts';
import { DeviceVkb, type DeviceVfb } from '../types/devices.ts';
import { defaultOf, defboolValue } from '../types/idl.ts';
import { CONSOLE_EVTCHN, HVM_CONSOLE_PFN } from './hvm-build.ts';
import { UNTIL_COMMITTED, type LibxlInternals } from './internal.ts';
import { libxlPath } from './xenstore-layout.ts';

/** `LIBXL__DEVICE_KIND_NONE` as a backend kind: a device without a PV backend. */
export const NO_BACKEND = 'none';

/** An entry of a device's directory; an undefined value is not written (`libxl__xs_writev` skips NULL). */
export type DeviceEntry = readonly [key: string, value: string | undefined];

/** `libxl__device`, with the entries `libxl__device_generic_add` writes for it. */
export interface DeviceNodes {
  readonly domid: number;
  readonly kind: string;
  readonly devid: number;
  readonly backendKind: string;
  readonly backendDomid: number;
  readonly back: readonly DeviceEntry[];
  readonly front: readonly DeviceEntry[];
  readonly roFront: readonly DeviceEntry[];
}

/** `XenbusStateInitialising`, `XenbusStateInitWait`. */
export const XENBUS_STATE_INITIALISING = '1';
export const XENBUS_STATE_INIT_WAIT = '2';
/** `LIBXL_XENCONSOLE_LIMIT`, `LIBXL_XENCONSOLE_PROTOCOL`. */
const XENCONSOLE_LIMIT = '1048576';
const XENCONSOLE_PROTOCOL = 'vt100';
/** `libxl__device_frontend_path`: console 0 lives at the domain's `console`, the rest under `device/`. */
export function frontendPath(device: Pick<DeviceNodes, 'domid' | 'kind' | 'devid'>): string {
  const dom = domainPath(device.domid);
  return device.kind === 'console' && device.devid === 0 ? `${dom}/console` : `${dom}/device/${device.kind}/${device.devid}`;
}

/** `libxl__device_backend_path`. */
export function backendPath(device: Pick<DeviceNodes, 'domid' | 'devid' | 'backendKind' | 'backendDomid'>): string {
  return `${domainPath(device.backendDomid)}/backend/${device.backendKind}/${device.domid}/${device.devid}`;
}

/** `libxl__device_libxl_path`. */
function deviceLibxlPath(device: Pick<DeviceNodes, 'domid' | 'kind' | 'devid'>): string {
  return `${libxlPath(device.domid)}/device/${device.kind}/${device.devid}`;
}

function rmQuiet(xs: XsOperations, path: string): void {
  try {
    xs.rm(path);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
}

function writeEntries(xs: XsOperations, dir: string, entries: readonly DeviceEntry[], perms?: XsPermission[]): void {
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    xs.write(`${dir}/${key}`, value);
    if (perms) xs.setPerms(`${dir}/${key}`, perms);
  }
}

/** `libxl__device_generic_add`, inside the caller's transaction (for `NO_BACKEND`, the libxl path alone). */
export function writeDeviceNodes(xs: XsOperations, device: DeviceNodes): void {
  const front = frontendPath(device);
  const back = backendPath(device);
  const libxl = deviceLibxlPath(device);
  const frontPerms: XsPermission[] = [
    { id: device.domid, access: 'n' },
    { id: device.backendDomid, access: 'r' },
  ];
  const roFrontPerms: XsPermission[] = [
    { id: device.backendDomid, access: 'n' },
    { id: device.domid, access: 'r' },
  ];

  rmQuiet(xs, libxl);
  if (device.backendKind === NO_BACKEND) {
    // A device qemu emulates (an HVM guest's USB controller): only libxl's copy of the entries.
    writeEntries(xs, libxl, device.back);
    return;
  }
  xs.write(`${libxl}/frontend`, front);
  xs.write(`${libxl}/backend`, back);

  rmQuiet(xs, front);
  xs.mkdir(front);
  xs.setPerms(front, device.kind === 'console' && device.devid === 0 ? roFrontPerms : frontPerms);
  xs.write(`${front}/backend`, back);
  writeEntries(xs, front, device.front, frontPerms);
  writeEntries(xs, front, device.roFront, roFrontPerms);

  rmQuiet(xs, back);
  xs.mkdir(back);
  xs.setPerms(back, roFrontPerms);
  xs.write(`${back}/frontend`, front);
  writeEntries(xs, back, device.back);
  writeEntries(xs, libxl, device.back);
}

/** `libxl__resolve_domid`: a backend named by its domain's name, else its domid. */
export function backendDomid(ctx: LibxlInternals, device: { backendDomid: number; backendDomname?: string }): number {
  const name = device.backendDomname;
  if (name === undefined) return device.backendDomid;
  if (name === 'Domain-0') return 0;
  const [found] = ctx.names.domidsNamed(name);
  if (found === undefined) throw new XlError('INVAL', `backend domain "${name}" does not exist`);
  return found;
}

const flagEntry = (key: string, value: number | boolean): DeviceEntry => [key, value ? String(Number(value)) : undefined];

/** `libxl__device_add_async`'s common entries, then the kind's own (`set_xenstore_config`). */
export function deviceAdd(
  device: { domid: number; kind: string; backendKind: string; devid: number; backendDomid: number },
  back: readonly DeviceEntry[],
  front: readonly DeviceEntry[] = [],
  roFront: readonly DeviceEntry[] = [],
): DeviceNodes {
  return {
    ...device,
    back: [['frontend-id', String(device.domid)], ['online', '1'], ['state', XENBUS_STATE_INITIALISING], ...back],
    front: [['backend-id', String(device.backendDomid)], ['state', XENBUS_STATE_INITIALISING], ...front],
    roFront,
  };
}

/** A vkbd (`libxl__vkb_devtype`: qemu's backend unless `backend_type = "linux"`, then `vinput`). */
function vkbNodes(ctx: LibxlInternals, domid: number, vkb: DeviceVkb): DeviceNodes {
  const backendKind = vkb.backendType === 'linux' ? 'vinput' : 'vkbd';
  const multiTouch: DeviceEntry[] = vkb.featureMultiTouch
    ? [
        ['multi-touch-width', String(vkb.multiTouchWidth)],
        ['multi-touch-height', String(vkb.multiTouchHeight)],
        ['multi-touch-num-contacts', String(vkb.multiTouchNumContacts)],
      ]
    : [];
  return deviceAdd({ domid, kind: 'vkbd', backendKind, devid: vkb.devid, backendDomid: backendDomid(ctx, vkb) }, [
    ['unique-id', vkb.uniqueId],
    flagEntry('feature-disable-keyboard', vkb.featureDisableKeyboard),
    flagEntry('feature-disable-pointer', vkb.featureDisablePointer),
    flagEntry('feature-abs-pointer', vkb.featureAbsPointer),
    flagEntry('feature-raw-pointer', vkb.featureRawPointer),
    flagEntry('feature-multi-touch', vkb.featureMultiTouch),
    ...multiTouch,
    flagEntry('width', vkb.width),
    flagEntry('height', vkb.height),
  ]);
}

/** A vfb, after `libxl__device_vfb_setdefault` (VNC on, listening on 127.0.0.1, unless disabled). */
function vfbNodes(ctx: LibxlInternals, domid: number, vfb: DeviceVfb): DeviceNodes {
  const vnc = defboolValue(vfb.vnc.enable, true);
  return deviceAdd({ domid, kind: 'vfb', backendKind: 'vfb', devid: vfb.devid, backendDomid: backendDomid(ctx, vfb) }, [
    ['vnc', vnc ? '1' : '0'],
    ['vnclisten', vfb.vnc.listen ?? (vnc ? '127.0.0.1' : undefined)],
    ['vncpasswd', vfb.vnc.passwd],
    ['vncdisplay', String(vfb.vnc.display)],
    ['vncunused', defboolValue(vfb.vnc.findunused, vnc) ? '1' : '0'],
    ['sdl', defboolValue(vfb.sdl.enable, false) ? '1' : '0'],
    ['opengl', defboolValue(vfb.sdl.opengl, false) ? '1' : '0'],
    ['xauthority', vfb.sdl.xauthority],
    ['display', vfb.sdl.display],
  ]);
}

/** What `libxl__device_console_add` makes a console of (`libxl__device_console`, and the build state for the primary one). */
export interface ConsoleSpec {
  readonly devid: number;
  readonly backendDomid: number;
  /** Served by qemu (`LIBXL__CONSOLE_BACKEND_IOEMU`) rather than xenconsoled. */
  readonly ioemu: boolean;
  readonly output: string;
  readonly name?: string;
  readonly connection?: string;
  readonly path?: string;
  /** The primary console's event channel and ring, known from the build. */
  readonly build?: { readonly port: string; readonly ringRef: string };
}

/** `libxl__device_console_add`'s entries. */
export function consoleNodes(domid: number, console: ConsoleSpec): DeviceNodes {
  const { build } = console;
  return {
    domid,
    kind: 'console',
    devid: console.devid,
    backendKind: 'console',
    backendDomid: console.backendDomid,
    back: [
      ['frontend-id', String(domid)],
      ['online', '1'],
      ['state', XENBUS_STATE_INITIALISING],
      ['protocol', XENCONSOLE_PROTOCOL],
      ['name', console.name],
      ['connection', console.connection],
      ['path', console.path],
    ],
    front: [
      ['backend-id', String(console.backendDomid)],
      ...(build ? [] : ([['state', XENBUS_STATE_INITIALISING], ['protocol', XENCONSOLE_PROTOCOL]] as const)),
    ],
    roFront: [
      ['name', console.name],
      ['limit', XENCONSOLE_LIMIT],
      ['type', console.ioemu ? 'ioemu' : 'xenconsoled'],
      ['output', console.output],
      ['tty', ''],
      ...(build ? ([['port', build.port], ['ring-ref', build.ringRef]] as const) : []),
    ],
  };
}

/** The primary console, served by xenconsoled, with the build's event channel and ring. */
function primaryConsole(domid: number, type: string): DeviceNodes {
  const ringRef = type === 'hvm' ? String(HVM_CONSOLE_PFN) : String(domid + 1);
  return consoleNodes(domid, { devid: 0, backendDomid: 0, ioemu: false, output: 'pty', build: { port: String(CONSOLE_EVTCHN), ringRef } });
}

/**
 * `update_devid` (`libxl__device_nextid`) for devices added in turn: one left at -1 gets the devid
 * after the one added before it of its kind (0 for the first).
 */
export function nextDevids<T extends { devid: number }>(devices: readonly T[]): T[] {
  let next = 0;
  return devices.map((device) => {
    const devid = device.devid >= 0 ? device.devid : next;
    next = devid + 1;
    return { ...device, devid };
  });
}

/** The devices `domcreate_launch_dm` adds, in its order. */
export function createTimeDevices(ctx: LibxlInternals, domid: number, config: DomainConfig): DeviceNodes[] {
  const type = config.createInfo.type;
  const u = config.buildInfo.u;
  if (u.type === 'hvm') {
    const devices = [primaryConsole(domid, type)];
    // A vkb of its own (`libxl_device_vkb_init`), not one of the config's.
    if (defboolValue(u.vkbDevice, true)) devices.push(vkbNodes(ctx, domid, { ...defaultOf(DeviceVkb), devid: 0 }));
    return devices;
  }
  return [
    ...nextDevids(config.vfbs).map((vfb) => vfbNodes(ctx, domid, vfb)),
    ...nextDevids(config.vkbs).map((vkb) => vkbNodes(ctx, domid, vkb)),
    primaryConsole(domid, type),
  ];
}

/** Adds each device in its own transaction (`libxl__device_generic_add` starting its own). */
export function addDevices(ctx: LibxlInternals, devices: readonly DeviceNodes[]): void {
  for (const device of devices) ctx.xs.transaction((transaction) => writeDeviceNodes(transaction, device), UNTIL_COMMITTED);
}

/** `libxl__xs_path_cleanup`: the path, then each parent it leaves empty. */
function pathCleanup(xs: XsOperations, path: string): void {
  rmQuiet(xs, path);
  for (let parent = path.slice(0, path.lastIndexOf('/')); parent.length > 1; parent = parent.slice(0, parent.lastIndexOf('/'))) {
    if (!xs.exists(parent) || xs.directory(parent).length > 0) return;
    xs.rm(parent);
  }
}

/** `libxl__devices_destroy`'s removals, for each device listed under `/libxl/<domid>/device`, inside the caller's transaction. */
export function removeDeviceNodes(xs: XsOperations, domid: number): void {
  const devices = `${libxlPath(domid)}/device`;
  if (!xs.exists(devices)) return;
  for (const kind of xs.directory(devices)) {
    for (const devid of xs.directory(`${devices}/${kind}`)) {
      const libxl = `${devices}/${kind}/${devid}`;
      const front = xs.tryReadString(`${libxl}/frontend`);
      const back = xs.tryReadString(`${libxl}/backend`);
      if (front) pathCleanup(xs, front);
      pathCleanup(xs, libxl);
      if (back) pathCleanup(xs, back);
    }
  }
}
