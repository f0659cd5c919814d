import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMachine } from '../__fixtures__/machine.ts';
import { DeviceChannel, DeviceP9, DevicePvcallsif, DeviceUsbctrl, DeviceUsbdev, DeviceVdispl, DeviceVsnd, DeviceVtpm } from '../types/devices.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { NIL_UUID, defaultOf } from '../types/idl.ts';
import { channelConsoles, vdisplNodes, vsndNodes } from './other-devices.ts';
import { findHostUsbDevice, settleUsbctrl, usbctrlNodes } from './usb-devices.ts';

const dom0 = () => 0;
const defined = (entries: readonly (readonly [string, string | undefined])[]) => entries.filter(([, value]) => value !== undefined);

describe('channels', () => {
  it('a channel at devid 0 is refused as a primary console with a name, and skipped; the others are ioemu consoles', () => {
    const channel = (devid: number, u: DeviceChannel['u']): DeviceChannel => ({ ...defaultOf(DeviceChannel), devid, name: `c${devid}`, u });
    const [first, second, third] = channelConsoles(5, [channel(0, { connection: 'pty' }), channel(1, { connection: 'socket', path: '/run/s' }), channel(-1, { connection: 'pty' })], dom0);
    expect(first).toEqual({ skipped: 'libxl_console.c:271:libxl__device_console_add: Domain 5:Primary console has invalid configuration' });
    expect(second).toMatchObject({ nodes: { kind: 'console', devid: 1, backendKind: 'console' } });
    if (second === undefined || !('nodes' in second)) throw new Error('channel 1 was not added');
    const { nodes } = second;
    expect(defined(nodes.back)).toEqual([
      ['frontend-id', '5'],
      ['online', '1'],
      ['state', '1'],
      ['protocol', 'vt100'],
      ['name', 'c1'],
      ['connection', 'socket'],
      ['path', '/run/s'],
    ]);
    expect(nodes.front).toEqual([
      ['backend-id', '0'],
      ['state', '1'],
      ['protocol', 'vt100'],
    ]);
    expect(nodes.roFront).toEqual([
      ['name', 'c1'],
      ['limit', '1048576'],
      ['type', 'ioemu'],
      ['output', 'chardev:libxl-channel1'],
      ['tty', ''],
    ]);
    expect(third).toMatchObject({ nodes: { devid: 3 } });
    expect(() => channelConsoles(5, [{ ...defaultOf(DeviceChannel), devid: 1, name: 'x' }], dom0)).toThrow(/channel 1 has no defined connection; to where should it be connected\?/);
  });
});

describe('vdispl and vsnd', () => {
  it('write be-alloc and the connectors, and the card, pcm and stream parameters', () => {
    const [vdispl] = vdisplNodes(2, [{ ...defaultOf(DeviceVdispl), devid: -1, beAlloc: true, connectors: [{ uniqueId: 'id0', width: 800, height: 600 }] }], dom0);
    expect(vdispl!.devid).toBe(0);
    expect(vdispl!.roFront).toEqual([
      ['be-alloc', '1'],
      ['0/resolution', '800x600'],
      ['0/unique-id', 'id0'],
    ]);
    const params = { sampleRates: [], sampleFormats: [], channelsMin: 0, channelsMax: 0, bufferSize: 0 };
    const [vsnd] = vsndNodes(2, [{
      ...defaultOf(DeviceVsnd),
      devid: 0,
      shortName: 'c',
      params: { ...params, sampleRates: [44100, 48000], sampleFormats: ['s16_le'], channelsMax: 2 },
      pcms: [{ name: 'p', params, streams: [{ uniqueId: 's', type: 'p', params: { ...params, bufferSize: 4096 } }] }],
    }], dom0);
    expect(defined(vsnd!.front)).toEqual([
      ['backend-id', '0'],
      ['state', '1'],
      ['short-name', 'c'],
      ['sample-rates', '44100,48000'],
      ['sample-formats', 's16_le'],
      ['channels-max', '2'],
      ['0/name', 'p'],
      ['0/0/unique-id', 's'],
      ['0/0/type', 'p'],
      ['0/0/buffer-size', '4096'],
    ]);
  });
});

describe('create with the other device lists', () => {
  it('adds their nodes, answers for the vtpm, vdispl and vsnd backends, and stores the vtpm\'s uuid', () => {
    const m = createMachine(7);
    const config = defaultDomainConfig('hvm');
    config.createInfo.name = 'devices';
    config.buildInfo.maxMemkb = 65536n;
    config.buildInfo.targetMemkb = 65536n;
    config.vtpms = [{ ...defaultOf(DeviceVtpm), devid: 0 }];
    config.p9s = [{ ...defaultOf(DeviceP9), devid: 0, tag: 't', path: '/srv', securityModel: 'none' }];
    config.pvcallsifs = [{ ...defaultOf(DevicePvcallsif), devid: 0 }];
    config.vdispls = [{ ...defaultOf(DeviceVdispl), devid: 0 }];
    config.vsnds = [{ ...defaultOf(DeviceVsnd), devid: 0 }];
    const domid = m.libxl.createDomain(config);
    const read = (path: string) => m.xenstore.connect(0).tryReadString(path);
    expect(read(`/local/domain/0/backend/vtpm/${domid}/0/state`)).toBe('2');
    expect(read(`/local/domain/0/backend/vdispl/${domid}/0/state`)).toBe('2');
    expect(read(`/local/domain/0/backend/vsnd/${domid}/0/state`)).toBe('2');
    expect(read(`/local/domain/0/backend/9pfs/${domid}/0/path`)).toBe('/srv');
    expect(read(`/local/domain/${domid}/device/9pfs/0/tag`)).toBe('t');
    expect(read(`/local/domain/0/backend/pvcalls/${domid}/0/state`)).toBe('1');
    const uuid = read(`/local/domain/0/backend/vtpm/${domid}/0/uuid`);
    expect(uuid).not.toBe(NIL_UUID);
    expect(m.libxl.retrieveDomainConfiguration(domid).vtpms[0]!.uuid).toBe(uuid);
    m.libxl.destroyDomain(domid);
    expect(m.xenstore.connect(0).exists('/local/domain/0/backend')).toBe(false);
  });
});

describe('usb', () => {
  const usbctrl = (fields: Partial<DeviceUsbctrl>): DeviceUsbctrl => ({ ...defaultOf(DeviceUsbctrl), devid: 0, ...fields });

  it('an auto controller is qemu\'s emulated one for HVM (ports fixed by version) and qusb otherwise; bad versions and port counts fail', () => {
    expect(settleUsbctrl(true, usbctrl({}))).toMatchObject({ type: 'devicemodel', version: 2, ports: 6 });
    expect(settleUsbctrl(true, usbctrl({ version: 3 }))).toMatchObject({ type: 'devicemodel', version: 3, ports: 8 });
    expect(settleUsbctrl(false, usbctrl({}))).toMatchObject({ type: 'qusb', version: 2, ports: 8 });
    expect(() => settleUsbctrl(true, usbctrl({ version: 1, ports: 4 }))).toThrow(/libxl_usb\.c:88:libxl__device_usbctrl_setdefault: Number of ports for USB controller of version 1 is always 2/);
    expect(() => settleUsbctrl(false, usbctrl({ version: 3 }))).toThrow(/USB version for paravirtualized devices must be 1 or 2/);
    expect(() => settleUsbctrl(false, usbctrl({ type: 'pv', ports: 32 }))).toThrow(/Number of ports for USB controller is limited to 31/);
    expect(() => settleUsbctrl(true, usbctrl({ version: 4 }))).toThrow(/Illegal USB version/);
  });

  it('an emulated controller has libxl\'s entries only; a PV one a vusb frontend and its backend', () => {
    const emulated = usbctrlNodes(3, settleUsbctrl(true, usbctrl({ version: 1 })));
    expect(emulated).toMatchObject({ backendKind: 'none', front: [] });
    expect(emulated.back).toEqual([['type', 'devicemodel'], ['usb-ver', '1'], ['num-ports', '2'], ['port', ''], ['port/1', ''], ['port/2', '']]);
    const m = createMachine(8);
    const config = defaultDomainConfig('hvm');
    config.createInfo.name = 'usb';
    config.buildInfo.maxMemkb = 65536n;
    config.buildInfo.targetMemkb = 65536n;
    config.usbctrls = [usbctrl({ version: 1 }), usbctrl({ devid: 1, type: 'qusb', ports: 2 })];
    const domid = m.libxl.createDomain(config);
    const xs = m.xenstore.connect(0);
    expect(xs.directory(`/libxl/${domid}/device/vusb/0`)).toEqual(['type', 'usb-ver', 'num-ports', 'port']);
    expect(xs.exists(`/local/domain/${domid}/device/vusb/0`)).toBe(false);
    expect(xs.tryReadString(`/local/domain/0/backend/qusb/${domid}/1/num-ports`)).toBe('2');
    expect(xs.tryReadString(`/local/domain/${domid}/device/vusb/1/backend`)).toBe(`/local/domain/0/backend/qusb/${domid}/1`);
    m.libxl.destroyDomain(domid);
    expect(xs.exists(`/libxl/${domid}`)).toBe(false);
  });

  it('finds a host device by bus and address in sysfs; a hub, an absent one or no sysfs is not assignable', () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'usb-sysfs-'));
    try {
      const device = (name: string, bus: number, addr: number, cls: string) => {
        mkdirSync(join(sysfs, name));
        writeFileSync(join(sysfs, name, 'busnum'), `${bus}\n`);
        writeFileSync(join(sysfs, name, 'devnum'), `${addr}\n`);
        writeFileSync(join(sysfs, name, 'bDeviceClass'), `${cls}\n`);
      };
      device('usb1', 1, 1, '09');
      device('1-1', 1, 2, '00');
      const hostdev = (hostbus: number, hostaddr: number): DeviceUsbdev => ({ ...defaultOf(DeviceUsbdev), u: { type: 'hostdev', hostbus, hostaddr } });
      expect(findHostUsbDevice(4, hostdev(1, 2), sysfs)).toEqual({ busid: '1-1' });
      const refused = { errors: ['libxl_usb.c:1732:libxl__device_usbdev_add: Domain 4:USB device is not assignable.'] };
      expect(findHostUsbDevice(4, hostdev(1, 1), sysfs)).toEqual(refused);
      expect(findHostUsbDevice(4, hostdev(2, 1), sysfs)).toEqual(refused);
      expect(findHostUsbDevice(4, hostdev(1, 2), join(sysfs, 'absent'))).toEqual({
        errors: [`libxl_usb.c:837:usbdev_busaddr_to_busid: opendir failed: '${join(sysfs, 'absent')}': No such file or directory`, ...refused.errors],
      });
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });
});
