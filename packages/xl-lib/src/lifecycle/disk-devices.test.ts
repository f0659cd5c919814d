import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMachine } from '../__fixtures__/machine.ts';
import { XlError } from '../errors.ts';
import { DeviceDisk, DeviceNic } from '../types/devices.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { defaultOf } from '../types/idl.ts';
import { diskDevNumber, diskNodes, settleDisk, statImage, type ImageKind } from './disk-devices.ts';
import { nicNodes, settleNic } from './nic-devices.ts';

const dir = mkdtempSync(join(tmpdir(), 'disk-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const disk = (fields: Partial<DeviceDisk>): DeviceDisk => ({ ...defaultOf(DeviceDisk), format: 'raw', readwrite: 1, ...fields });
const file: ImageKind = { type: 'file' };

describe('libxl__device_disk_dev_number', () => {
  it.each([
    ['xvda', 51712],
    ['xvdb', 51728],
    ['xvda1', 51713],
    ['xvdp15', 51967],
    ['xvdq', (1 << 28) | (16 << 8)],
    ['xvda16', (1 << 28) | 16],
    ['xvdaa', (1 << 28) | (26 << 8)],
    ['d0p0', 51712],
    ['d3p2', 51762],
    ['hda', 768],
    ['hdb', 832],
    ['hdc', 5632],
    ['hdd', 5696],
    ['hda1', 769],
    ['sda', 2048],
    ['sdb2', 2066],
    ['sdp', 2288],
    ['51712', 51712],
    ['0x300', 768],
    ['010', 8],
    // No drive letter: index -1, which libxl's arithmetic turns into -16 (not its -1 for "invalid").
    ['xvd', -16],
  ])('%s is %i', (vdev, devid) => {
    expect(diskDevNumber(vdev)).toBe(devid);
  });

  it.each(['', 'xvda0', 'xvda01', 'xvda256', 'hde', 'hda64', 'sdq', 'sda16', 'vda', 'd0p256', 'xvdA', '1e3'])('%j is not a vdev', (vdev) => {
    expect(diskDevNumber(vdev)).toBe(-1);
  });
});

describe('libxl__device_disk_setdefault', () => {
  it('takes phy for a raw image that exists, with discard on for a writable disk and trusted', () => {
    const settled = settleDisk(3, false, disk({ pdevPath: '/img', vdev: 'xvda' }), 0, () => file);
    expect(settled).toMatchObject({ backend: 'phy', devid: 51712, discard: true, trusted: true, image: file });
    expect(settled.disk.specification).toBe('xen');
    expect(settleDisk(3, false, disk({ pdevPath: '/img', vdev: 'xvdb', readwrite: 0 }), 0, () => file).discard).toBe(false);
  });

  it('takes qdisk for another format, and for an HVM guest\'s CD-ROM without stat\'ing it', () => {
    expect(settleDisk(3, false, disk({ pdevPath: '/q.qcow2', vdev: 'xvda', format: 'qcow2' }), 0, () => file).backend).toBe('qdisk');
    const cdrom = settleDisk(3, true, disk({ vdev: 'hdc', format: 'empty', isCdrom: 1, readwrite: 0 }), 0, () => {
      throw new Error('not stat\'ed');
    });
    expect(cdrom.backend).toBe('qdisk');
  });

  it('fails as libxl does for a missing image, an empty non-CD-ROM, a bad vdev and a CD-ROM on phy', () => {
    const missing = (): ImageKind => ({ type: 'error', error: 'No such file or directory' });
    expect(() => settleDisk(3, false, disk({ pdevPath: '/nope', vdev: 'xvda' }), 0, missing)).toThrow(
      new XlError('INVAL', 'libxl_device.c:455:libxl__device_disk_set_backend: Disk vdev=xvda failed to stat: /nope: No such file or directory'),
    );
    expect(() => settleDisk(3, false, disk({ vdev: 'xvda', format: 'empty' }), 0, () => file)).toThrow(/Disk vdev=xvda is empty but not cdrom/);
    expect(() => settleDisk(3, false, disk({ pdevPath: '/img', vdev: 'vda' }), 0, () => file)).toThrow(
      new XlError('INVAL', 'libxl_disk.c:214:libxl__device_from_disk: Domain 3:Invalid or unsupported virtual disk identifier vda'),
    );
    expect(() => settleDisk(3, true, disk({ pdevPath: '/img', vdev: 'hdc', isCdrom: 1, backend: 'phy' }), 0, () => file)).toThrow(
      /Backend for CD devices on HVM guests must be Qdisk/,
    );
    expect(() => settleDisk(3, false, disk({ pdevPath: '/img', vdev: 'xvda', backend: 'tap' }), 0, () => file)).toThrow(/no suitable backend for disk xvda/);
  });

  it('stats on the machine: a file, a directory, a missing path', () => {
    const image = join(dir, 'a.img');
    writeFileSync(image, '');
    expect(statImage(image)).toEqual({ type: 'file' });
    expect(statImage(dir)).toEqual({ type: 'other' });
    expect(statImage(join(dir, 'absent'))).toEqual({ type: 'error', error: 'No such file or directory' });
  });

  it('writes device_disk_add\'s entries in its order: params, script, then the rest; the frontend with a PV guest\'s protocol', () => {
    const nodes = diskNodes(3, true, settleDisk(3, false, disk({ pdevPath: '/img', vdev: 'xvdb', readwrite: 0 }), 0, () => file));
    expect(nodes).toMatchObject({ kind: 'vbd', backendKind: 'vbd', devid: 51728, backendDomid: 0 });
    expect(nodes.back.filter(([, value]) => value !== undefined)).toEqual([
      ['params', '/img'],
      ['script', '/etc/xen/scripts/block'],
      ['frontend-id', '3'],
      ['online', '1'],
      ['removable', '0'],
      ['bootable', '1'],
      ['state', '1'],
      ['dev', 'xvdb'],
      ['type', 'phy'],
      ['mode', 'r'],
      ['device-type', 'disk'],
      ['discard-enable', '0'],
      ['specification', 'xen'],
    ]);
    expect(nodes.front.filter(([, value]) => value !== undefined)).toEqual([
      ['backend-id', '0'],
      ['state', '1'],
      ['virtual-device', '51728'],
      ['device-type', 'disk'],
      ['trusted', '1'],
      ['protocol', 'x86_64-abi'],
    ]);
    const qdisk = diskNodes(3, false, settleDisk(3, true, disk({ vdev: 'hdc', format: 'empty', isCdrom: 1, readwrite: 0 }), 0, () => file));
    expect(qdisk).toMatchObject({ kind: 'vbd', backendKind: 'qdisk', devid: 5632 });
    expect(qdisk.back[0]).toEqual(['params', 'aio:']);
  });
});

describe('libxl__device_nic_setdefault', () => {
  const random = { fill: (bytes: Uint8Array) => bytes.set([0xff, 0x01, 0x02].slice(0, bytes.length)) };

  it('fills MTU, model, a random MAC in Xen\'s OUI, bridge, script and the type', () => {
    const nic = settleNic(4, 'hvm', { ...defaultOf(DeviceNic), devid: 0 }, random);
    expect(nic).toMatchObject({ mtu: 1500, model: 'rtl8139', mac: '00:16:3e:7f:01:02', bridge: 'xenbr0', script: '/etc/xen/scripts/vif-bridge', nictype: 'vif_ioemu', trusted: 'true' });
    expect(settleNic(4, 'pv', { ...defaultOf(DeviceNic), devid: 0, mac: '00:16:3e:00:00:01' }, random)).toMatchObject({ mac: '00:16:3e:00:00:01', nictype: 'vif' });
    expect(() => settleNic(4, 'pvh', { ...defaultOf(DeviceNic), devid: 0, nictype: 'vif_ioemu' }, random)).toThrow(
      /Domain 4:trying to create PV or PVH guest with an emulated interface/,
    );
  });

  it('writes libxl__set_xenstore_nic\'s entries; mtu on the read-only frontend', () => {
    const nodes = nicNodes(4, settleNic(4, 'pv', { ...defaultOf(DeviceNic), devid: 1, mac: '00:16:3e:00:00:01', rateBytesPerInterval: 1000n, rateIntervalUsecs: 50 }, random));
    expect(nodes.back.filter(([, value]) => value !== undefined)).toEqual([
      ['frontend-id', '4'],
      ['online', '1'],
      ['state', '1'],
      ['script', '/etc/xen/scripts/vif-bridge'],
      ['mac', '00:16:3e:00:00:01'],
      ['rate', '1000,50'],
      ['bridge', 'xenbr0'],
      ['handle', '1'],
      ['type', 'vif'],
      ['hotplug-status', ''],
    ]);
    expect(nodes.roFront).toEqual([['mtu', '1500']]);
  });
});

describe('the block script\'s loop devices', () => {
  it('gives each file image the first loop device no vbd of the host holds', () => {
    const image = join(dir, 'loop.img');
    writeFileSync(image, '');
    const m = createMachine(9);
    const pv = (name: string, vdevs: string[]) => {
      const config = defaultDomainConfig('pv');
      config.createInfo.name = name;
      config.disks = vdevs.map((vdev) => disk({ pdevPath: image, vdev }));
      return m.libxl.createDomain(config);
    };
    const node = (domid: number, devid: number) => m.xenstore.connect(0).tryReadString(`/local/domain/0/backend/vbd/${domid}/${devid}/node`);
    const first = pv('first', ['xvda', 'xvdb']);
    const second = pv('second', ['xvda']);
    expect([node(first, 51712), node(first, 51728), node(second, 51712)]).toEqual(['/dev/loop0', '/dev/loop1', '/dev/loop2']);
    expect(m.xenstore.connect(0).tryReadString(`/local/domain/0/backend/vbd/${second}/51712/physical-device`)).toBe('7:2');
    m.libxl.destroyDomain(first);
    expect(node(pv('third', ['xvda']), 51712)).toBe('/dev/loop0');
  });
});
