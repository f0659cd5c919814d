/**
 * A domain's disks as libxl 4.17 adds them at create (`libxl__add_disks` → `device_disk_add` in
 * `tools/libs/light/libxl_disk.c`):
 * - `libxl__device_disk_setdefault`: discard on for a writable disk, trusted, the `xen`
 *   specification, qdisk for an HVM guest's CD-ROM, then `libxl__device_disk_set_backend`
 *   (`libxl_device.c`), which stats the image (a missing one fails the create) and takes the first
 *   of phy (a block device or regular file in raw format), qdisk, tap (never: no blktap) and
 *   standalone (virtio only) that suits it;
 * - `libxl__device_from_disk`: the devid is the vdev's number (`libxl__device_disk_dev_number`);
 * - the backend entries `device_disk_add` writes, in its order, and the frontend's.
 * The stored config keeps the disk as written (`device_disk_add` saves it before the defaults).
 */
import { realpathSync, statSync } from 'node:fs';
import { XlError, strerrorOf } from '../errors.ts';
import type { DeviceDisk } from '../types/devices.ts';
import { defboolValue } from '../types/idl.ts';
import { XENBUS_STATE_INITIALISING, type DeviceEntry, type DeviceNodes } from './devices.ts';

/** `libxl__xen_script_dir_path()` of Debian's build. */
export const XEN_SCRIPT_DIR = '/etc/xen/scripts';
/** What `xc_domain_get_native_protocol` reports for the machine's (64-bit) PV guests. */
const PV_NATIVE_PROTOCOL = 'x86_64-abi';

/** libxl's log line prefix for a function of `libxl_device.c` (Debian's 4.17 build). */
const deviceLog = (line: number, fn: string, text: string): string => `libxl_device.c:${line}:${fn}: ${text}`;
const diskLog = (line: number, fn: string, domid: number, text: string): string => `libxl_disk.c:${line}:${fn}: Domain ${domid}:${text}`;

/** `device_virtdisk_matches`: the drive letters as base-26 digits, then an optional partition without leading zero. */
function virtdiskMatches(vdev: string, prefix: string, maxIndex: number, maxPartition: number): { disk: number; partition: number } | undefined {
  if (!vdev.startsWith(prefix)) return undefined;
  let index = -1;
  let at = prefix.length;
  for (; at < vdev.length; at += 1) {
    const code = vdev.charCodeAt(at);
    if (code < 0x61 || code > 0x7a) break;
    index = (index + 1) * 26 + (code - 0x61);
    if (index > maxIndex) return undefined;
  }
  const rest = vdev.slice(at);
  if (rest === '') return { disk: index, partition: 0 };
  if (rest.startsWith('0')) return undefined;
  // strtoul: optional blanks and sign, then decimal digits, all of the rest.
  const match = /^\s*([+-]?)(\d+)$/.exec(rest);
  if (!match) return undefined;
  const partition = match[1] === '-' ? -Number(match[2]) : Number(match[2]);
  if (partition > maxPartition) return undefined;
  return { disk: index, partition };
}

/** `libxl__device_disk_dev_number`: the devid of a vdev (`xvda` 51712, `hda` 768, `sda` 2048), or -1. */
export function diskDevNumber(vdev: string): number {
  const dp = /^d(\d+)p(\d+)$/.exec(vdev);
  const xvd = dp ? { disk: Number(dp[1]), partition: Number(dp[2]) } : virtdiskMatches(vdev, 'xvd', (1 << 20) - 1, 255);
  if (xvd && (!dp || (xvd.disk < 1 << 20 && xvd.partition < 256))) {
    const { disk, partition } = xvd;
    return disk <= 15 && partition <= 15 ? (202 << 8) | (disk << 4) | partition : (1 << 28) | (disk << 8) | partition;
  }
  // strtoul(vdev, &ep, 0) over the whole string: a plain number is the devid itself.
  if (/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.test(vdev)) {
    const number = Number(vdev.startsWith('0') && !/^0[xX]/.test(vdev) ? Number.parseInt(vdev, 8) : vdev);
    if (number <= 0x7fffffff) return number;
  }
  const hd = virtdiskMatches(vdev, 'hd', 3, 63);
  if (hd) return ((hd.disk < 2 ? 3 : 22) << 8) | ((hd.disk & 1) << 6) | hd.partition;
  const sd = virtdiskMatches(vdev, 'sd', 15, 15);
  if (sd) return (8 << 8) | (sd.disk << 4) | sd.partition;
  return -1;
}


/** What `libxl__device_disk_setdefault` settled for a disk. */
export interface SettledDisk {
  readonly disk: DeviceDisk;
  readonly backend: 'phy' | 'qdisk' | 'standalone';
  readonly devid: number;
  readonly discard: boolean;
  readonly trusted: boolean;
  /** What stat found at the image path (`other` when libxl did not stat it). */
  readonly image: ImageKind;
}

/** The file system's answer for a disk image: a block device (its device number), a regular file, something else, or stat's error. */
export type ImageKind =
  | { readonly type: 'block'; readonly major: number; readonly minor: number; readonly path: string }
  | { readonly type: 'file' }
  | { readonly type: 'other' }
  | { readonly type: 'error'; readonly error: string };

/** `stat(2)` of an image path, as libxl does it in dom0 (here: on the machine running the toolstack). */
export function statImage(path: string): ImageKind {
  try {
    const stats = statSync(path);
    if (!stats.isBlockDevice()) return stats.isFile() ? { type: 'file' } : { type: 'other' };
    // Linux's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
    const rdev = BigInt(stats.rdev);
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    return { type: 'block', major, minor, path: realpathSync(path) };
  } catch (error) {
    return { type: 'error', error: strerrorOf(error) };
  }
}

/**
 * `libxl__device_disk_setdefault` and `libxl__device_disk_set_backend` for one of `domid`'s disks;
 * `backendDomid` is the disk's backend domain, already resolved. A disk no backend suits, or an
 * image that cannot be stat'ed, is `ERROR_INVAL` with libxl's log line.
 */
export function settleDisk(domid: number, hvm: boolean, disk: DeviceDisk, backendDomid: number, stat: (path: string) => ImageKind = statImage): SettledDisk {
  const vdev = disk.vdev ?? '';
  const specification = disk.specification === 'unknown' ? 'xen' : disk.specification;
  if (specification === 'xen' && disk.transport !== 'unknown') {
    throw new XlError('INVAL', diskLog(172, 'libxl__device_disk_setdefault', domid, 'Transport is only supported for specification virtio'));
  }
  let requested = disk.backend;
  if (disk.isCdrom !== 0 && hvm) {
    if (requested !== 'qdisk' && requested !== 'unknown') {
      throw new XlError('FAIL', diskLog(196, 'libxl__device_disk_setdefault', domid, 'Backend for CD devices on HVM guests must be Qdisk'));
    }
    requested = 'qdisk';
  }

  let image: ImageKind = { type: 'other' };
  const colo = defboolValue(disk.coloEnable, false);
  if (disk.format === 'empty') {
    if (disk.isCdrom === 0) throw new XlError('INVAL', deviceLog(439, 'libxl__device_disk_set_backend', `Disk vdev=${vdev} is empty but not cdrom`));
    if (disk.pdevPath !== undefined && disk.pdevPath !== '') {
      throw new XlError('INVAL', deviceLog(444, 'libxl__device_disk_set_backend', `Disk vdev=${vdev} is empty but an image has been provided: ${disk.pdevPath}`));
    }
  } else if ((requested === 'unknown' || requested === 'phy' || requested === 'standalone') && backendDomid === 0 && disk.script === undefined) {
    image = stat(disk.pdevPath ?? '');
    if (image.type === 'error') {
      throw new XlError('INVAL', deviceLog(455, 'libxl__device_disk_set_backend', `Disk vdev=${vdev} failed to stat: ${disk.pdevPath ?? '(null)'}: ${image.error}`));
    }
  }
  const physical = image.type === 'block' || image.type === 'file';
  const tryBackend = (backend: DeviceDisk['backend']): SettledDisk['backend'] | undefined => {
    if ((specification === 'virtio') !== (backend === 'standalone')) return undefined;
    switch (backend) {
      case 'phy':
        if (disk.format !== 'raw' || colo) return undefined;
        return backendDomid !== 0 || disk.script !== undefined || physical ? 'phy' : undefined;
      case 'qdisk':
        return disk.script === undefined ? 'qdisk' : undefined;
      case 'standalone':
        if (disk.format !== 'raw' || disk.script !== undefined || colo) return undefined;
        return backendDomid !== 0 || physical ? 'standalone' : undefined;
      default:
        return undefined;
    }
  };
  const backend = requested !== 'unknown' ? tryBackend(requested) : (tryBackend('phy') ?? tryBackend('qdisk') ?? tryBackend('standalone'));
  if (backend === undefined) throw new XlError('INVAL', deviceLog(475, 'libxl__device_disk_set_backend', `no suitable backend for disk ${vdev}`));

  const devid = diskDevNumber(vdev);
  if (devid === -1) {
    throw new XlError('INVAL', diskLog(214, 'libxl__device_from_disk', domid, `Invalid or unsupported virtual disk identifier ${vdev}`));
  }
  return {
    disk: { ...disk, specification, backend, transport: specification === 'virtio' ? 'mmio' : disk.transport },
    backend,
    devid,
    discard: defboolValue(disk.discardEnable, disk.readwrite !== 0),
    trusted: defboolValue(disk.trusted, true),
    image,
  };
}

/** `libxl__device_disk_string_of_format`. */
function formatString(format: DeviceDisk['format']): string {
  return format === 'raw' || format === 'empty' ? 'aio' : format;
}

/** The vbd (or qdisk, or virtio-disk) `device_disk_add` writes for a settled disk of `domid`. */
export function diskNodes(domid: number, pv: boolean, settled: SettledDisk): DeviceNodes {
  const { disk, backend, devid } = settled;
  const colo: DeviceEntry[] =
    backend === 'qdisk' && defboolValue(disk.coloEnable, false)
      ? [
          ['colo-host', disk.coloHost ?? '(null)'],
          ['colo-port', String(disk.coloPort)],
          ['colo-export', disk.coloExport ?? '(null)'],
          ['active-disk', disk.activeDisk ?? '(null)'],
          ['hidden-disk', disk.hiddenDisk ?? '(null)'],
        ]
      : [];
  const params: DeviceEntry[] =
    backend === 'qdisk'
      ? [['params', `${formatString(disk.format)}:${disk.pdevPath ?? ''}`], ...colo]
      : backend === 'phy'
        ? [
            ['params', disk.pdevPath],
            ['script', absScript(disk.script ?? 'block')],
          ]
        : [['params', disk.pdevPath]];
  const virtio: DeviceEntry[] =
    disk.specification === 'virtio'
      ? [
          ['transport', 'mmio'],
          ['base', String(disk.base)],
          ['irq', String(disk.irq)],
        ]
      : [];
  const deviceType = disk.isCdrom !== 0 ? 'cdrom' : 'disk';
  return {
    domid,
    kind: backend === 'standalone' ? 'virtio_disk' : 'vbd',
    devid,
    backendKind: backend === 'qdisk' ? 'qdisk' : backend === 'standalone' ? 'virtio_disk' : 'vbd',
    backendDomid: disk.backendDomid,
    back: [
      ...params,
      ['frontend-id', String(domid)],
      ['online', '1'],
      ['removable', disk.removable !== 0 ? '1' : '0'],
      ['bootable', '1'],
      ['state', XENBUS_STATE_INITIALISING],
      ['dev', disk.vdev],
      ['type', backend === 'standalone' ? 'standalone' : backend],
      ['mode', disk.readwrite !== 0 ? 'w' : 'r'],
      ['device-type', deviceType],
      ['direct-io-safe', disk.directIoSafe ? '1' : undefined],
      ['discard-enable', settled.discard ? '1' : '0'],
      ['specification', disk.specification],
      ...virtio,
    ],
    front: [
      ['backend-id', String(disk.backendDomid)],
      ['state', XENBUS_STATE_INITIALISING],
      ['virtual-device', String(devid)],
      ['device-type', deviceType],
      ['trusted', settled.trusted ? '1' : '0'],
      ['protocol', pv ? PV_NATIVE_PROTOCOL : undefined],
    ],
    roFront: [],
  };
}

/** `libxl__abs_path`: a relative script name is under the script directory. */
export function absScript(script: string): string {
  return script.startsWith('/') ? script : `${XEN_SCRIPT_DIR}/${script}`;
}
