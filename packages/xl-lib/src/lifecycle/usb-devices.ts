/**
 * USB controllers and devices as libxl 4.17 adds them at create (`tools/libs/light/libxl_usb.c`):
 * - `libxl__device_usbctrl_setdefault`: an `auto` controller is qemu's emulated one
 *   (`devicemodel`) for an HVM guest, else `qusb` (qemu's PV backend: the simulated Domain-0 has
 *   no usbback); the version and port count checked and defaulted per type;
 * - `libxl__device_usbctrl_add_xenstore`: the controller's `type`, `usb-ver`, `num-ports` and an
 *   empty `port/N` for each port, under `/libxl/<domid>/device/vusb/<devid>` only for an emulated
 *   controller (qemu gets it by QMP), else also on a `vusb` frontend and a `vusb` or `qusb` backend;
 * - `libxl__device_usbdev_add`: a host device must be found in sysfs by its bus and address and
 *   not be a hub (`is_usbdev_assignable`), else the create fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { XlError, strerrorOf } from '../errors.ts';
import type { DeviceUsbctrl, DeviceUsbdev } from '../types/devices.ts';
import { NO_BACKEND, XENBUS_STATE_INITIALISING, type DeviceEntry, type DeviceNodes } from './devices.ts';

/** `USBIF_MAX_PORTNR`; `USBHUB_CLASS_CODE`; `SYSFS_USB_DEV`. */
const USBIF_MAX_PORTNR = 31;
const USBHUB_CLASS_CODE = 9;
const SYSFS_USB_DEV = '/sys/bus/usb/devices';

const usbLog = (line: number, fn: string, text: string): string => `libxl_usb.c:${line}:${fn}: ${text}`;
const setdefaultError = (line: number, text: string): XlError => new XlError('INVAL', usbLog(line, 'libxl__device_usbctrl_setdefault', text));

/** `libxl__device_usbctrl_setdefault` (devid already chosen): the controller as libxl adds it. */
export function settleUsbctrl(hvm: boolean, given: DeviceUsbctrl): DeviceUsbctrl {
  const usbctrl = { ...given };
  if (usbctrl.type === 'auto') usbctrl.type = hvm ? 'devicemodel' : 'qusb';
  if (usbctrl.type === 'pv' || usbctrl.type === 'qusb') {
    if (!usbctrl.version) usbctrl.version = 2;
    if (usbctrl.version < 1 || usbctrl.version > 2) throw setdefaultError(67, 'USB version for paravirtualized devices must be 1 or 2');
    if (!usbctrl.ports) usbctrl.ports = 8;
    if (usbctrl.ports < 1 || usbctrl.ports > USBIF_MAX_PORTNR) throw setdefaultError(75, `Number of ports for USB controller is limited to ${USBIF_MAX_PORTNR}`);
  } else if (usbctrl.type === 'devicemodel') {
    if (!usbctrl.version) usbctrl.version = 2;
    if (usbctrl.version === 1 || usbctrl.version === 2) {
      const fixed = usbctrl.version === 1 ? 2 : 6;
      if (usbctrl.ports && usbctrl.ports !== fixed) {
        throw setdefaultError(usbctrl.version === 1 ? 88 : 98, `Number of ports for USB controller of version ${usbctrl.version} is always ${fixed}`);
      }
      usbctrl.ports = fixed;
    } else if (usbctrl.version === 3) {
      if (!usbctrl.ports) usbctrl.ports = 8;
      if (usbctrl.ports > 15) throw setdefaultError(110, 'Number of ports for USB controller of version 3 is limited to 15');
    } else {
      throw setdefaultError(117, 'Illegal USB version');
    }
  }
  return usbctrl;
}

/** The controller's nodes (`libxl__device_from_usbctrl`, then its entries). */
export function usbctrlNodes(domid: number, usbctrl: DeviceUsbctrl): DeviceNodes {
  const own: DeviceEntry[] = [
    ['type', usbctrl.type],
    ['usb-ver', String(usbctrl.version)],
    ['num-ports', String(usbctrl.ports)],
    ['port', ''],
    ...Array.from({ length: usbctrl.ports }, (_, port): DeviceEntry => [`port/${port + 1}`, '']),
  ];
  const emulated = usbctrl.type === 'devicemodel';
  return {
    domid,
    kind: 'vusb',
    devid: usbctrl.devid,
    backendKind: emulated ? NO_BACKEND : usbctrl.type === 'pv' ? 'vusb' : 'qusb',
    backendDomid: usbctrl.backendDomid,
    back: emulated ? own : [['frontend-id', String(domid)], ['online', '1'], ['state', XENBUS_STATE_INITIALISING], ...own],
    front: emulated ? [] : [['backend-id', String(usbctrl.backendDomid)], ['state', XENBUS_STATE_INITIALISING]],
    roFront: [],
  };
}

/**
 * `usbdev_busaddr_to_busid` and `is_usbdev_assignable` for one of `domid`'s usbdevs: the sysfs
 * name of a host device that may be passed, or libxl's lines saying why not.
 */
export function findHostUsbDevice(domid: number, usbdev: DeviceUsbdev, sysfs: string = SYSFS_USB_DEV): { busid: string } | { errors: string[] } {
  const notAssignable = usbLog(1732, 'libxl__device_usbdev_add', `Domain ${domid}:USB device is not assignable.`);
  if (usbdev.u.type !== 'hostdev' || usbdev.u.hostbus < 1 || usbdev.u.hostaddr < 1) return { errors: [notAssignable] };
  const { hostbus, hostaddr } = usbdev.u;
  let names: string[];
  try {
    names = readdirSync(sysfs);
  } catch (error) {
    return { errors: [usbLog(837, 'usbdev_busaddr_to_busid', `opendir failed: '${sysfs}': ${strerrorOf(error)}`), notAssignable] };
  }
  // atoi of a sysfs file; undefined when it cannot be read.
  const number = (name: string, file: string): number | undefined => {
    try {
      return Number.parseInt(readFileSync(`${sysfs}/${name}/${file}`, 'utf8'), 10) || 0;
    } catch {
      return undefined;
    }
  };
  const busid = names.find((name) => number(name, 'busnum') === hostbus && number(name, 'devnum') === hostaddr);
  const deviceClass = busid === undefined ? undefined : number(busid, 'bDeviceClass');
  if (busid === undefined || deviceClass === undefined || deviceClass === USBHUB_CLASS_CODE) return { errors: [notAssignable] };
  return { busid };
}
