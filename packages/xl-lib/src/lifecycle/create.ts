/**
 * Domain creation (`tools/libs/light/libxl_create.c`): `libxl_domain_create_new` and
 * `libxl_domain_create_restore` (initiate_domain_create → libxl__domain_make → libxl__domain_build
 * → libxl__build_post, or domcreate_stream_done → libxl__build_post for a restore), with the checks
 * and defaults of `libxl__domain_config_setdefault` that matter here.
 */
import { XlError, wrapFailure } from '../errors.ts';
import { msVmGenidSet } from '../genid/genid-set.ts';
import { genidOfConfig } from '../genid/lifecycle-policy.ts';
import { storeDomainConfiguration } from '../stored-config.ts';
import { validateDomainConfig, type DomainConfig } from '../types/domain-config.ts';
import { INVALID_DOMID, LIBXL_MEMKB_DEFAULT, NIL_UUID } from '../types/idl.ts';
import { generateUuid } from '../uuid.ts';
import { addDevices, backendDomid, createTimeDevices, nextDevids, type DeviceNodes } from './devices.ts';
import { diskNodes, settleDisk, type SettledDisk } from './disk-devices.ts';
import { nicNodes, settleNic } from './nic-devices.ts';
import { channelConsoles, p9Nodes, pvcallsNodes, settleVtpms, vdisplNodes, vsndNodes } from './other-devices.ts';
import { findHostUsbDevice, settleUsbctrl, usbctrlNodes } from './usb-devices.ts';
import { destroyQuietly } from './destroy.ts';
import { runDom0Backends, runSimulatedBackends, type ServedDevice } from './simulated-backends.ts';
import { setSpecialPageParams } from './hvm-build.ts';
import { UNTIL_COMMITTED, type LibxlInternals } from './internal.ts';
import { setSchedParams } from './sched-params.ts';
import { writeBuildPostEntries, writeDeviceModelEntries, writeDomainSkeleton, writeLibxlEntry, type BuildValues } from './xenstore-layout.ts';

/** Restoring a domain from a stream instead of booting it (`libxl_domain_create_restore`). */
export interface RestoreHooks {
  /**
   * Called once the hypervisor domain, its xenstore entries and its stored config exist, before
   * `libxl__build_post`: load guest memory and HVM params here. A throw aborts the create (and
   * everything made is destroyed).
   */
  load(domid: number): void;
}

export interface CreateDomainOptions {
  /** Leave the domain paused (`xl create -p`): the firmware has not run yet. */
  readonly paused?: boolean;
  /** Build from a stream instead of booting: the guest resumes on its first unpause. */
  readonly restore?: RestoreHooks;
  /** libxl's error lines for what it logs and goes on past (a channel it cannot add), without `libxl: error: `. */
  readonly log?: (line: string) => void;
}

const DEFAULT_MAX_MEMKB = 32n * 1024n;
const HVM_VIDEO_MEMKB = 8n * 1024n;

/**
 * `libxl_domain_create_new` (or `_restore` with `options.restore`): returns the new domid.
 * The config is copied, never changed; the stored copy gets a generated uuid when it had none.
 * A name in use is `XlError('INVAL')` (`Domain with name "x" already exists.`); any failure
 * destroys whatever was made.
 */
export function createDomain(ctx: LibxlInternals, config: DomainConfig, options: CreateDomainOptions = {}): number {
  // Checked, and a deep copy: the value a schema parses to is made anew (IDs, immutable, are shared).
  const saved = validateDomainConfig(config);
  const values = checkConfig(saved);
  if (saved.createInfo.uuid === NIL_UUID) saved.createInfo.uuid = generateUuid(ctx.random);
  updateDomainConfiguration(saved, values);
  // libxl_domain_create_new and _restore: no disk restores from a COLO checkpoint.
  for (const disk of saved.disks) disk.coloRestoreEnable = 'false';
  const name = saved.createInfo.name!;
  if (name !== '' && ctx.names.domidsNamed(name).length > 0) {
    throw new XlError('INVAL', `Domain with name "${name}" already exists.`);
  }

  let domid: number | undefined;
  try {
    domid = ctx.hypervisor.createDomain({
      type: saved.createInfo.type as 'hvm' | 'pv' | 'pvh',
      uuid: saved.createInfo.uuid,
      maxMemKb: Number(values.maxMemkb),
      vcpus: values.maxVcpus,
    }).domid;
  } catch (error) {
    throw wrapFailure('domain creation fail', error);
  }
  const made = domid;
  try {
    makeDomain(ctx, made, saved);
    const devices = settleDevices(ctx, made, saved);
    storeDomainConfiguration(ctx.userdata, made, saved);
    if (options.restore) {
      options.restore.load(made);
      ctx.hypervisor.setPendingStart(made, 'resume');
    } else if (saved.createInfo.type === 'hvm') {
      // One transaction of the machine for the dozen params (libxc sets them one hypercall at a time).
      ctx.atomically(() => setSpecialPageParams(ctx.xc, made));
    }
    buildPost(ctx, made, saved, values, options.restore !== undefined);
    // domcreate_rebuild_done stores the device model's version once more, then adds the devices
    // and spawns the device model.
    writeLibxlEntry(ctx.xs, made, saved);
    addServedDevices(ctx, devices.disks);
    launchDeviceModel(ctx, made, saved, options.log);
    // domcreate_attach_devices, in device_type_tbl's order.
    addServedDevices(ctx, devices.nics);
    addServedDevices(ctx, devices.vtpms);
    addServedDevices(ctx, devices.usbctrls);
    addServedDevices(ctx, devices.vdispls);
    addServedDevices(ctx, devices.vsnds);
    if (!options.paused) {
      ctx.hypervisor.unpauseDomain(made);
    }
    return made;
  } catch (error) {
    destroyQuietly(ctx, made);
    // domcreate_complete's destroy of the half-made domain, as Debian's libxl 4.17 logs it.
    throw withLines(wrapFailure(`domain ${made}: creation failed`, error), [
      `libxl_domain.c:1183:libxl__destroy_domid: Domain ${made}:Non-existant domain`,
      `libxl_domain.c:1137:domain_destroy_callback: Domain ${made}:Unable to destroy guest`,
      `libxl_domain.c:1064:domain_destroy_cb: Domain ${made}:Destruction of domain failed`,
    ]);
  }
}

/**
 * `libxl__update_domain_configuration` (`libxl_internal.c`) and its x86 part
 * (`libxl__arch_update_domain_config`): what libxl's defaults chose that the stored config keeps,
 * the video memory and `msr_relaxed` (false unless set).
 */
export function updateDomainConfiguration(saved: DomainConfig, values: BuildValues): void {
  saved.buildInfo.videoMemkb = values.videoMemkb;
  if (saved.buildInfo.archX86.msrRelaxed === 'default') saved.buildInfo.archX86.msrRelaxed = 'false';
}

/** The devices of a domain being made that libxl waits for, settled, with what serves them. */
interface SettledDevices {
  readonly disks: readonly ServedDevice[];
  readonly nics: readonly ServedDevice[];
  readonly vtpms: readonly ServedDevice[];
  readonly usbctrls: readonly ServedDevice[];
  readonly vdispls: readonly ServedDevice[];
  readonly vsnds: readonly ServedDevice[];
}

/**
 * `initiate_domain_create`'s device defaults: each disk's (`libxl__device_disk_setdefault`, which
 * stats its image), then the nics' (`libxl__device_nic_set_devids`: their defaults, then a devid for
 * each left at -1 after the highest given); and those the attach step sets for vtpms, usb
 * controllers (a usb device must be one the machine has; a dtdev fails, as on x86 Xen), vdispls
 * and vsnds. The stored config gets what their `update_config` copies back when the create completes
 * (`libxl__update_domain_configuration`): the nics' devid, type and MAC, the vtpms' devid and uuid,
 * the vdispls' and vsnds' devid.
 */
function settleDevices(ctx: LibxlInternals, domid: number, saved: DomainConfig): SettledDevices {
  const type = saved.createInfo.type;
  const disks = saved.disks.map((disk, index): ServedDevice => {
    let settled: SettledDisk;
    try {
      const backend = backendDomid(ctx, disk);
      settled = settleDisk(domid, type === 'hvm', { ...disk, backendDomid: backend }, backend);
    } catch (error) {
      throw withLines(error, [`libxl_create.c:1318:initiate_domain_create: Domain ${domid}:Unable to set disk defaults for disk ${index}`]);
    }
    const device = diskNodes(domid, type === 'pv', settled);
    const image = settled.image.type === 'block' || settled.image.type === 'file' ? settled.image : undefined;
    const script = settled.backend === 'phy' ? device.back.find(([key]) => key === 'script')?.[1] : undefined;
    return { device, ...(image && { image }), ...(script && { script }) };
  });
  const nics = saved.nics.map((nic, index) => {
    try {
      return settleNic(domid, type, { ...nic, backendDomid: backendDomid(ctx, nic) }, ctx.random);
    } catch (error) {
      throw withLines(error, [`libxl_nic.c:517:libxl__device_nic_set_devids: Domain ${domid}:Unable to set nic defaults for nic ${index}`]);
    }
  });
  let last = Math.max(-1, ...nics.map((nic) => nic.devid));
  for (const nic of nics) if (nic.devid < 0) nic.devid = ++last;
  saved.nics.forEach((nic, index) => {
    nic.devid = nics[index]!.devid;
    nic.nictype = nics[index]!.nictype;
    nic.mac = nics[index]!.mac;
  });
  const vtpms = settleVtpms(domid, saved.vtpms, (vtpm) => backendDomid(ctx, vtpm), ctx.random);
  vtpms.forEach(({ vtpm }, index) => Object.assign(saved.vtpms[index]!, { devid: vtpm.devid, uuid: vtpm.uuid }));
  const vdispls = vdisplNodes(domid, saved.vdispls, (vdispl) => backendDomid(ctx, vdispl));
  vdispls.forEach((nodes, index) => (saved.vdispls[index]!.devid = nodes.devid));
  const vsnds = vsndNodes(domid, saved.vsnds, (vsnd) => backendDomid(ctx, vsnd));
  vsnds.forEach((nodes, index) => (saved.vsnds[index]!.devid = nodes.devid));
  // domcreate_attach_devices' line for a device list it could not add.
  const unableToAdd = (kind: string): string => `libxl_create.c:1921:domcreate_attach_devices: Domain ${domid}:unable to add ${kind} devices`;
  let usbctrls: DeviceNodes[];
  try {
    usbctrls = nextDevids(saved.usbctrls).map((usbctrl) => usbctrlNodes(domid, settleUsbctrl(type === 'hvm', { ...usbctrl, backendDomid: backendDomid(ctx, usbctrl) })));
  } catch (error) {
    throw withLines(error, [unableToAdd('vusb')]);
  }
  for (const usbdev of saved.usbdevs) {
    const host = findHostUsbDevice(domid, usbdev);
    if ('errors' in host) throw withLines(new XlError('FAIL', host.errors[0]), [...host.errors.slice(1), unableToAdd('vusb')]);
    // A device the machine has: libxl would bind it to usbback or hand it to qemu, neither of which the simulated host runs.
    throw new XlError('FAIL', `USB device ${host.busid} cannot be passed through: the simulated host has no usbback and no device model to hand it to`);
  }
  // libxl__add_dtdevs: device-tree passthrough, which x86 Xen does not have (XEN_DOMCTL_assign_device fails).
  if (saved.dtdevs.length > 0) {
    throw withLines(new XlError('FAIL', `libxl_create.c:1857:libxl__add_dtdevs: Domain ${domid}:xc_assign_dtdevice failed: -1`), [unableToAdd('none')]);
  }
  const served = (device: DeviceNodes): ServedDevice => ({ device });
  return {
    disks,
    nics: nics.map((nic) => ({ device: nicNodes(domid, nic), script: nic.script })),
    vtpms: vtpms.map(({ nodes }) => served(nodes)),
    usbctrls: usbctrls.map(served),
    vdispls: vdispls.map(served),
    vsnds: vsnds.map(served),
  };
}

/** An XlError with more of libxl's log lines after its own. */
function withLines(error: unknown, lines: readonly string[]): unknown {
  if (!XlError.is(error)) return error;
  return new XlError(error.code, [error.message, ...lines.map((line) => `libxl: error: ${line}`)].join('\n'), { cause: error });
}

/**
 * `libxl__device_disk_add` / `libxl__device_add_async` for each device in turn, each in its own
 * transaction; then what serves them answers (`libxl__wait_device_connection`).
 */
function addServedDevices(ctx: LibxlInternals, served: readonly ServedDevice[]): void {
  addDevices(ctx, served.map(({ device }): DeviceNodes => device));
  // What Domain-0's backends and hotplug scripts write in answer, as one transaction of the machine.
  ctx.atomically(() => runDom0Backends(ctx.xenstore, served));
}

/** libxl's checks and defaults that matter here (`libxl__domain_config_setdefault`). */
export function checkConfig(config: DomainConfig): BuildValues {
  const type = config.createInfo.type;
  if (type === 'invalid') throw new XlError('INVAL', 'invalid domain type: c_info.type must be hvm, pv or pvh');
  if (config.buildInfo.u.type !== type) {
    throw new XlError('INVAL', `c_info.type (${type}) and b_info.type (${config.buildInfo.u.type}) differ`);
  }
  if (config.createInfo.name === undefined) throw new XlError('INVAL', 'New domain name not specified');
  // Neither 0 nor INVALID_DOMID names a domid (`libxl__domain_make`): the hypervisor picks one.
  if (config.createInfo.domid !== 0 && config.createInfo.domid !== INVALID_DOMID) {
    throw new XlError('INVAL', `a chosen domid (${config.createInfo.domid}) is not supported; leave c_info.domid at 0 or INVALID_DOMID`);
  }
  const build = config.buildInfo;
  const maxVcpus = build.maxVcpus === 0 ? 1 : build.maxVcpus;
  if (maxVcpus < 1) throw new XlError('INVAL', `max_vcpus ${build.maxVcpus} is not a positive number`);
  const availVcpus = build.availVcpus.length > 0 ? build.availVcpus : Array.from({ length: maxVcpus }, (_, vcpu) => vcpu);
  if (availVcpus.some((vcpu) => vcpu >= maxVcpus)) {
    throw new XlError('INVAL', `avail_vcpus names a vcpu beyond max_vcpus (${maxVcpus})`);
  }
  const maxMemkb = build.maxMemkb === LIBXL_MEMKB_DEFAULT ? DEFAULT_MAX_MEMKB : build.maxMemkb;
  const targetMemkb = build.targetMemkb === LIBXL_MEMKB_DEFAULT ? maxMemkb : build.targetMemkb;
  if (maxMemkb === 0n || maxMemkb > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new XlError('INVAL', `max_memkb ${maxMemkb} is out of range`);
  }
  if (targetMemkb > maxMemkb) throw new XlError('INVAL', `target_memkb ${targetMemkb} is above max_memkb ${maxMemkb}`);
  const videoMemkb = build.videoMemkb !== LIBXL_MEMKB_DEFAULT ? build.videoMemkb : type === 'hvm' ? HVM_VIDEO_MEMKB : 0n;
  if (type === 'hvm' && targetMemkb <= videoMemkb) {
    throw new XlError('INVAL', `target_memkb ${targetMemkb} leaves no room beside ${videoMemkb} KiB of video memory`);
  }
  return { maxVcpus, availVcpus, maxMemkb, targetMemkb, videoMemkb };
}

/** `libxl__domain_make`'s xenstore transaction. */
function makeDomain(ctx: LibxlInternals, domid: number, config: DomainConfig): void {
  const name = config.createInfo.name!;
  ctx.xs.transaction((transaction) => {
    if (name !== '') {
      const others = ctx.names.domidsNamed(name).filter((other) => other !== domid);
      if (others.length > 0) throw new XlError('INVAL', `Domain with name "${name}" already exists.`);
    }
    writeDomainSkeleton(transaction, domid, config);
  }, UNTIL_COMMITTED);
  writeLibxlEntry(ctx.xs, domid, config);
}

/**
 * `libxl__build_post`: the scheduler parameters, the generation ID, then the remaining entries,
 * then introduce. A refused scheduler parameter ends the build as `domcreate_rebuild_done` logs it
 * (Debian's libxl_create.c logs from two lines below the source's: the recorded `cannot make
 * domain`, `Unable to set disk defaults`, `unable to add disk devices` and `device model did not
 * start` all do).
 */
export function buildPost(ctx: LibxlInternals, domid: number, config: DomainConfig, values: BuildValues, restored = false): void {
  try {
    setSchedParams(ctx.hypervisor, domid, config.buildInfo.schedParams);
  } catch (error) {
    if (!XlError.is(error)) throw error;
    throw withLines(error, [`libxl_create.c:1640:domcreate_rebuild_done: Domain ${domid}:cannot (re-)build domain: ${error.rc}`]);
  }
  const genid = genidOfConfig(config);
  if (config.buildInfo.u.type === 'hvm' && !genid.isZero()) msVmGenidSet(ctx, domid, genid);
  const startTime = ctx.now();
  ctx.xs.transaction((transaction) => writeBuildPostEntries(transaction, domid, config, values, startTime, restored), UNTIL_COMMITTED);
  if (!ctx.xs.isDomainIntroduced(domid)) ctx.xs.introduceDomain(domid);
}

/**
 * `domcreate_launch_dm`: the channels' consoles, the p9s and pvcallsifs, the console and keyboard
 * devices, then `libxl__spawn_local_dm`'s entries and the (simulated) device model, which answers
 * for the backends it serves.
 */
function launchDeviceModel(ctx: LibxlInternals, domid: number, config: DomainConfig, log?: (line: string) => void): void {
  const resolve = (device: { backendDomid: number; backendDomname?: string }): number => backendDomid(ctx, device);
  const channels: DeviceNodes[] = [];
  for (const channel of channelConsoles(domid, config.channels, resolve)) {
    if ('skipped' in channel) log?.(channel.skipped);
    else channels.push(channel.nodes);
  }
  const devices = [...channels, ...p9Nodes(domid, config.p9s, resolve), ...pvcallsNodes(domid, config.pvcallsifs, resolve), ...createTimeDevices(ctx, domid, config)];
  addDevices(ctx, devices);
  writeDeviceModelEntries(ctx.xs, domid, config);
  // What the device model writes in answer, as one transaction of the machine.
  ctx.atomically(() => runSimulatedBackends(ctx.xenstore, domid, config.createInfo.type === 'hvm', devices));
}
