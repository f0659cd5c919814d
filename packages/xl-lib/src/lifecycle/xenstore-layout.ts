/**
 * The xenstore entries libxl writes for a domain, and removes when it goes:
 * - `libxl__domain_make` (`tools/libs/light/libxl_create.c`): `/local/domain/<domid>` and its
 *   skeleton, `/vm/<uuid>`, `/libxl/<domid>`, with libxl's permissions, in one transaction;
 *   the name by `libxl__domain_rename` (`libxl_domain.c`);
 * - `store_libxl_entry`: `/libxl/<domid>/dm-version`;
 * - `libxl__spawn_local_dm` (`libxl_dm.c`): an HVM guest's `hvmloader/*` keys and the device
 *   model's directory `/local/domain/0/device-model/<domid>`;
 * - `libxl__build_post` (`libxl_dom.c`): memory, domid, store, vcpu availability, the `platform/*`
 *   keys hvmloader reads, `/vm/<uuid>` image entries, then `xs_introduce_domain`;
 * - `devices_destroy_cb` (`libxl_domain.c`): removes `/vm/<uuid>`, `/local/domain/<domid>`,
 *   `/libxl/<domid>`.
 */
import { PLATFORM_ACPI_KEY, UINT64_MAX, domainPath } from '@xen-genid/xc-params';
import type { XsOperations, XsPermission } from '@xen-genid/xenstore';
import type { DomainConfig } from '../types/domain-config.ts';
import { defboolValue } from '../types/idl.ts';
import { HVM_STORE_PFN, STORE_EVTCHN } from './hvm-build.ts';

/** `LIBXL_MAXMEM_CONSTANT`: the KiB an HVM guest's maximum is raised by over its target. */
const LIBXL_MAXMEM_CONSTANT = 1024n;

/**
 * `libxl__get_targetmem_fudge` (`libxl_internal.h`): what lies between a domain's `memory/target`
 * and its build info's target (video memory, and `LIBXL_MAXMEM_CONSTANT` for an HVM guest whose
 * maximum is above its target). Sums wrap as C's `uint64_t` do: a stub config's video memory is
 * `LIBXL_MEMKB_DEFAULT`.
 */
export function targetMemFudge(hvm: boolean, memory: { readonly maxMemkb: bigint; readonly targetMemkb: bigint; readonly videoMemkb: bigint }): bigint {
  const slack = hvm && memory.maxMemkb > memory.targetMemkb ? LIBXL_MAXMEM_CONSTANT : 0n;
  return (memory.videoMemkb + slack) & UINT64_MAX;
}

/** `libxl__xs_libxl_path`: `/libxl/<domid>`. */
export function libxlPath(domid: number): string {
  return `/libxl/${domid}`;
}

/** `/vm/<uuid>`. */
export function vmPath(uuid: string): string {
  return `/vm/${uuid}`;
}

const noperm = (): XsPermission[] => [{ id: 0, access: 'n' }];
const roperm = (domid: number): XsPermission[] => [
  { id: 0, access: 'n' },
  { id: domid, access: 'r' },
];
const rwperm = (domid: number): XsPermission[] => [{ id: domid, access: 'n' }];

/** `xs_rm` as libxl calls it: its result ignored (a path whose parent is missing is ENOENT). */
function rmQuiet(xs: XsOperations, path: string): void {
  try {
    xs.rm(path);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
}

/** `libxl__xs_mknod`: an empty value written (XS_WRITE, not XS_MKDIR), then the given permissions. */
function mknod(xs: XsOperations, path: string, perms: XsPermission[]): void {
  xs.write(path, '');
  xs.setPerms(path, perms);
}

/** The skeleton of `libxl__domain_make`, written inside the caller's transaction. */
export function writeDomainSkeleton(xs: XsOperations, domid: number, config: DomainConfig): void {
  const info = config.createInfo;
  const dom = domainPath(domid);
  const vm = vmPath(info.uuid);
  const libxl = libxlPath(domid);
  const hvm = info.type === 'hvm';

  rmQuiet(xs, dom);
  mknod(xs, dom, roperm(domid));
  rmQuiet(xs, vm);
  mknod(xs, vm, roperm(domid));
  rmQuiet(xs, libxl);
  mknod(xs, libxl, noperm());
  mknod(xs, `${libxl}/device`, noperm());

  xs.write(`${dom}/vm`, vm);
  xs.write(`${dom}/name`, info.name ?? '');
  xs.write(`${vm}/name`, info.name ?? '');

  mknod(xs, `${dom}/cpu`, roperm(domid));
  mknod(xs, `${dom}/memory`, roperm(domid));
  if (!defboolValue(info.xendSuspendEvtchnCompat, false)) {
    mknod(xs, `${dom}/device`, roperm(domid));
    mknod(xs, `${dom}/device/suspend/event-channel`, rwperm(domid));
  } else {
    mknod(xs, `${dom}/device`, rwperm(domid));
  }
  mknod(xs, `${dom}/control`, roperm(domid));
  if (hvm) mknod(xs, `${dom}/hvmloader`, roperm(domid));
  const controls = ['shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend'];
  if (hvm) controls.push('feature-s3', 'feature-s4');
  controls.push('sysrq');
  for (const name of controls) mknod(xs, `${dom}/control/${name}`, rwperm(domid));
  for (const name of ['data', 'drivers', 'feature', 'attr', 'error']) mknod(xs, `${dom}/${name}`, rwperm(domid));
  if (defboolValue(info.driverDomain, false)) {
    mknod(xs, `${dom}/libxl`, rwperm(domid));
    mknod(xs, `${dom}/device-model`, rwperm(domid));
  }

  xs.write(`${vm}/uuid`, info.uuid);
  xs.write(`${vm}/name`, info.name ?? '');
  for (const [key, value] of info.xsdata) if (value !== null) xs.write(`${dom}/${key}`, value);
  for (const [key, value] of info.platformdata) if (value !== null) xs.write(`${dom}/platform/${key}`, value);
  xs.write(`${dom}/control/platform-feature-multiprocessor-suspend`, '1');
  xs.write(`${dom}/control/platform-feature-xs_reset_watches`, '1');
  xs.write(`${libxl}/type`, info.type);
}

/**
 * What `libxl__spawn_local_dm` writes for an HVM guest before it starts qemu-xen: the firmware
 * hvmloader loads (`hvmloader/bios`), whether hvmloader may relocate RAM to grow the MMIO hole
 * (only for qemu-traditional without vNUMA), qemu-traditional's `disable_pf`, and the device
 * model's own directory in Domain-0's subtree (qemu-xen reports its `state` there). Plain writes,
 * outside any transaction, as libxl makes them.
 */
export function writeDeviceModelEntries(xs: XsOperations, domid: number, config: DomainConfig): void {
  const build = config.buildInfo;
  if (build.u.type !== 'hvm') return;
  const traditional = build.deviceModelVersion === 'qemu_xen_traditional';
  const dom = domainPath(domid);
  xs.write(`${dom}/hvmloader/bios`, biosOf(config));
  xs.write(`${dom}/hvmloader/allow-memory-relocate`, traditional && build.vnumaNodes.length === 0 ? '1' : '0');
  const dm = deviceModelPath(domid);
  xs.mkdir(dm);
  if (traditional) xs.write(`${dm}/disable_pf`, defboolValue(build.u.xenPlatformPci, true) ? '0' : '1');
}

/** `libxl__destroy_device_model`'s removal of the device model's directory (before the devices go). */
export function removeDeviceModelEntries(xs: XsOperations, domid: number): void {
  rmQuiet(xs, deviceModelPath(domid));
}

/** `DEVICE_MODEL_XS_PATH(gc, 0, domid, "")`: the device model's directory in Domain-0's subtree. */
export function deviceModelPath(domid: number): string {
  return `${domainPath(0)}/device-model/${domid}`;
}

/** `libxl__domain_build_info_setdefault`'s firmware: SeaBIOS for qemu-xen, ROMBIOS for qemu-traditional. */
function biosOf(config: DomainConfig): string {
  const build = config.buildInfo;
  if (build.u.type !== 'hvm') return 'unknown';
  if (build.u.bios !== 'unknown') return build.u.bios;
  return build.deviceModelVersion === 'qemu_xen_traditional' ? 'rombios' : 'seabios';
}

/**
 * `store_libxl_entry`: the device model's version (a PV guest's too: qemu-xen serves its backends),
 * written after `libxl__domain_make`'s transaction.
 */
export function writeLibxlEntry(xs: XsOperations, domid: number, config: DomainConfig): void {
  xs.write(`${libxlPath(domid)}/dm-version`, deviceModelVersion(config));
}

function deviceModelVersion(config: DomainConfig): string {
  const version = config.buildInfo.deviceModelVersion;
  return version === 'unknown' ? 'qemu_xen' : version;
}

/** `libxl__acpi_defbool_val`: the b_info-level `acpi`, else the deprecated `u.hvm.acpi`, else true. */
export function acpiEnabled(config: DomainConfig): boolean {
  const build = config.buildInfo;
  if (build.acpi !== 'default') return build.acpi === 'true';
  if (build.u.type === 'hvm' && build.u.acpi !== 'default') return build.u.acpi === 'true';
  return true;
}

/** Memory and vcpu values after libxl's setdefault (`libxl__domain_build_info_setdefault`). */
export interface BuildValues {
  readonly maxVcpus: number;
  readonly availVcpus: readonly number[];
  readonly maxMemkb: bigint;
  readonly targetMemkb: bigint;
  readonly videoMemkb: bigint;
}


/**
 * The entries `libxl__build_post` writes after the generation ID, in one transaction. A restore
 * (`libxl__xc_domain_restore_done`) passes no local entries: an HVM guest's `platform/*` keys are
 * written only when it is built.
 */
export function writeBuildPostEntries(
  xs: XsOperations,
  domid: number,
  config: DomainConfig,
  values: BuildValues,
  startTime: number,
  restored = false,
): void {
  const dom = domainPath(domid);
  const vm = vmPath(config.createInfo.uuid);
  const type = config.createInfo.type;
  xs.write(`${dom}/memory/static-max`, values.maxMemkb.toString());
  xs.write(`${dom}/memory/target`, (values.targetMemkb - targetMemFudge(type === 'hvm', values)).toString());
  xs.write(`${dom}/memory/videoram`, values.videoMemkb.toString());
  xs.write(`${dom}/domid`, String(domid));
  xs.write(`${dom}/store/port`, String(STORE_EVTCHN));
  xs.write(`${dom}/store/ring-ref`, type === 'pv' ? String(domid) : String(HVM_STORE_PFN));
  const online = new Set(values.availVcpus);
  for (let vcpu = 0; vcpu < values.maxVcpus; vcpu += 1) {
    xs.write(`${dom}/cpu/${vcpu}/availability`, online.has(vcpu) ? 'online' : 'offline');
  }

  const seconds = Math.floor(startTime / 1000);
  const hundredths = Math.floor((startTime % 1000) / 10);
  const start = `${seconds}.${String(hundredths).padStart(2, '0')}`;
  const u = config.buildInfo.u;
  if (u.type === 'hvm') {
    if (!restored) {
      xs.write(`${dom}/${PLATFORM_ACPI_KEY}`, acpiEnabled(config) ? '1' : '0');
      xs.write(`${dom}/platform/acpi_s3`, defboolValue(u.acpiS3, true) ? '1' : '0');
      xs.write(`${dom}/platform/acpi_s4`, defboolValue(u.acpiS4, true) ? '1' : '0');
      xs.write(`${dom}/platform/acpi_laptop_slate`, defboolValue(u.acpiLaptopSlate, false) ? '1' : '0');
      xs.write(`${dom}/platform/device-model`, deviceModelVersion(config));
    }
    xs.write(`${vm}/rtc/timeoffset`, u.timeoffset ?? '');
    xs.write(`${vm}/image/ostype`, 'hvm');
    xs.write(`${vm}/start_time`, start);
  } else if (u.type === 'pv') {
    xs.write(`${vm}/image/ostype`, 'linux');
    xs.write(`${vm}/image/kernel`, config.buildInfo.kernel ?? u.kernel ?? '');
    xs.write(`${vm}/start_time`, start);
    const ramdisk = config.buildInfo.ramdisk ?? u.ramdisk;
    if (ramdisk !== undefined) xs.write(`${vm}/image/ramdisk`, ramdisk);
    const cmdline = config.buildInfo.cmdline ?? u.cmdline;
    if (cmdline !== undefined) xs.write(`${vm}/image/cmdline`, cmdline);
  } else {
    xs.write(`${vm}/start_time`, start);
  }
}

/**
 * `devices_destroy_cb`'s removals: `/vm/<uuid>`, `/local/domain/<domid>`, `/libxl/<domid>`. Run them
 * in one transaction, so that a toolstack that dies half-way leaves either all or none removed, and
 * the host can tell which domain the destroy was for. `/vm/<uuid>` stays while `keepVm` (another
 * domain, the other end of a migration on this host, runs the same VM).
 */
export function removeDomainEntries(xs: XsOperations, domid: number, keepVm = false): void {
  const dom = domainPath(domid);
  let vm: string | undefined;
  try {
    vm = xs.tryReadString(`${dom}/vm`);
  } catch {
    vm = undefined;
  }
  if (vm && vm.startsWith('/vm/') && !keepVm) rmQuiet(xs, vm);
  rmQuiet(xs, dom);
  rmQuiet(xs, libxlPath(domid));
}
