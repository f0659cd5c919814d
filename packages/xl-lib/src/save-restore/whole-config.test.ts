/**
 * Nothing of a domain's config is lost on the way: every device list and b_info member a config
 * holds (with what libxl's defaults store: `storedAfterCreate`) is what `retrieveDomainConfiguration` (`xl list -l`) returns after create, after a save and
 * restore, and after a migration (the xl header's config and libxl's JSON record both carry it);
 * of the scheduler parameters, what the live domain has (credit2's weight and cap).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMachine, storedAfterCreate } from '../__fixtures__/machine.ts';
import { arbitraryFor } from '../types/__fixtures__/arbitrary.ts';
import { DomainConfig, defaultDomainConfig, domainConfigToJsonText } from '../types/domain-config.ts';
import { LIBXL_DOMAIN_SCHED_PARAM_DEFAULT, defaultDomainSchedParams, type DomainSchedParams } from '../types/domain-sched-params.ts';
import { migrateDomain } from './migrate.ts';
import { restoreDomain, saveDomain } from './operations.ts';

const dir = mkdtempSync(join(tmpdir(), 'xl-lib-whole-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The disks' image (libxl stats it at create). */
const image = join(dir, 'disk.img');
writeFileSync(image, '');

/**
 * Scheduler parameters a credit2 host takes (its own scheduler, or `unknown`, a weight from 1 to
 * 65535 and a cap up to 100 for one vCPU, either left at its default), the rest as arbitrary.
 */
function credit2Params(params: DomainSchedParams): DomainSchedParams {
  const weight = params.weight === LIBXL_DOMAIN_SCHED_PARAM_DEFAULT ? params.weight : 1 + (Math.abs(params.weight) % 65535);
  const cap = params.cap === LIBXL_DOMAIN_SCHED_PARAM_DEFAULT ? params.cap : Math.abs(params.cap) % 101;
  return { ...params, sched: params.sched === 'unknown' ? 'unknown' : 'credit2', weight, cap };
}

/** What `libxl_retrieve_domain_configuration` reads back of them: credit2's weight and cap, nothing else. */
function liveSchedParams(params: DomainSchedParams): DomainSchedParams {
  const weight = params.weight === LIBXL_DOMAIN_SCHED_PARAM_DEFAULT ? 256 : params.weight;
  const cap = params.cap === LIBXL_DOMAIN_SCHED_PARAM_DEFAULT ? 0 : params.cap;
  return { ...defaultDomainSchedParams(), sched: 'credit2', weight, cap };
}

/** An HVM guest with arbitrary device lists and display settings, as parse_config_data could give. */
function richConfig(seed: number): DomainConfig {
  const [arbitrary] = fc.sample(arbitraryFor(DomainConfig, { noOpaque: true }), { numRuns: 1, seed }) as DomainConfig[];
  const config = defaultDomainConfig('hvm');
  config.createInfo.name = `rich-${seed}`;
  config.createInfo.uuid = '6a8b1f0e-2c1d-4d5e-9f10-111213141516';
  config.buildInfo.maxMemkb = 65536n;
  config.buildInfo.targetMemkb = 65536n;
  // No dtdev: x86 Xen has no device-tree passthrough, and libxl's create fails on one.
  const { pcidevs, rdms, vfbs, vkbs } = arbitrary!;
  const dom0 = { backendDomid: 0, backendDomname: undefined };
  Object.assign(config, { pcidevs, rdms, vfbs, vkbs });
  // USB controllers libxl can add (qemu's PV backend, its version and ports in range); no usb
  // device: one the machine does not have fails the create, as in libxl.
  config.usbctrls = arbitrary!.usbctrls.map((usbctrl, devid) => ({
    ...usbctrl,
    type: 'qusb',
    devid,
    version: 1 + (Math.abs(usbctrl.version) % 2),
    ports: 1 + (Math.abs(usbctrl.ports) % 31),
    ...dom0,
  }));
  // The devices libxl adds: backends in Domain-0, devids and a vtpm's uuid given, a channel with a
  // name and a connection it can make.
  config.vtpms = arbitrary!.vtpms.map((vtpm, devid) => ({ ...vtpm, ...dom0, devid, uuid: `6a8b1f0e-2c1d-4d5e-9f10-${String(devid).padStart(12, '0')}` }));
  config.p9s = arbitrary!.p9s.map((p9) => ({ ...p9, ...dom0 }));
  config.pvcallsifs = arbitrary!.pvcallsifs.map((pvcallsif) => ({ ...pvcallsif, ...dom0 }));
  config.vdispls = arbitrary!.vdispls.map((vdispl, devid) => ({ ...vdispl, ...dom0, devid }));
  config.vsnds = arbitrary!.vsnds.map((vsnd, devid) => ({ ...vsnd, ...dom0, devid }));
  config.channels = arbitrary!.channels.map((channel, devid) => ({
    ...channel,
    ...dom0,
    devid,
    name: channel.name ?? `channel${devid}`,
    u: channel.u.connection === 'socket' ? { connection: 'socket', path: channel.u.path ?? '/run/c' } : { connection: 'pty' },
  }));
  // Disks and nics libxl can add: an image that exists, a vdev of its own, Domain-0's backends, a MAC.
  config.disks = arbitrary!.disks.map((disk, index) => ({
    ...disk,
    pdevPath: image,
    vdev: `xvd${String.fromCharCode(0x61 + index)}`,
    backend: 'unknown',
    format: 'raw',
    script: undefined,
    isCdrom: 0,
    backendDomid: 0,
    backendDomname: undefined,
    specification: 'unknown',
    transport: 'unknown',
    coloEnable: 'default',
  }));
  config.nics = arbitrary!.nics.map((nic, index) => ({
    ...nic,
    devid: index % 2 === 0 ? -1 : 10 + index,
    backendDomid: 0,
    backendDomname: undefined,
    mac: `00:16:3e:00:00:${index.toString(16).padStart(2, '0')}`,
  }));
  const build = arbitrary!.buildInfo;
  Object.assign(config.buildInfo, {
    vcpuHardAffinity: build.vcpuHardAffinity,
    ioports: build.ioports,
    irqs: build.irqs,
    iomem: build.iomem,
    schedParams: credit2Params(build.schedParams),
    deviceModelVersion: build.deviceModelVersion,
    extra: build.extra,
  });
  if (config.buildInfo.u.type === 'hvm' && build.u.type === 'hvm') {
    Object.assign(config.buildInfo.u, { vnc: build.u.vnc, sdl: build.u.sdl, spice: build.u.spice, serialList: build.u.serialList, boot: build.u.boot, viridianEnable: build.u.viridianEnable });
  }
  return config;
}

describe('the whole config is kept', () => {
  it.each([1, 2, 3, 4])('through create, save, restore and migrate (seed %i)', async (seed) => {
    const config = richConfig(seed);
    const stored = storedAfterCreate(config);
    stored.buildInfo.schedParams = liveSchedParams(config.buildInfo.schedParams);
    const expected = domainConfigToJsonText(stored);
    expect(expected).toMatch(/"disks"|"vfbs"|"pcidevs"|"channels"/);

    const a = createMachine(seed);
    const domid = a.libxl.createDomain(config);
    expect(domainConfigToJsonText(a.libxl.retrieveDomainConfiguration(domid))).toBe(expected);

    const file = join(dir, `rich-${seed}.img`);
    await saveDomain(a.libxl, domid, { file });
    const restored = await restoreDomain(a.libxl, file);
    expect(domainConfigToJsonText(a.libxl.retrieveDomainConfiguration(restored.domid))).toBe(expected);

    const b = createMachine(seed + 100);
    const moved = await migrateDomain(a.libxl, restored.domid, b.libxl);
    expect(domainConfigToJsonText(b.libxl.retrieveDomainConfiguration(moved.domid))).toBe(expected);
  });
});
