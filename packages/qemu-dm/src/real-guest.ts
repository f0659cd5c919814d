/**
 * A real Linux guest on our firmware's output, run by the device model. In Xen 4.17, `kernel=`,
 * `ramdisk=` and `cmdline=` of an HVM guest go to qemu-xen's `-kernel`/`-initrd`/`-append`
 * (`tools/libs/light/libxl_dm.c` libxl__build_device_model_args_new); here QEMU boots them on a
 * plain `pc`/`q35` machine whose RAM already holds what hvmloader-sim's firmware wrote (the tables,
 * the ID at param 34's address), the firmware's DSDT replacing QEMU's through Linux's initrd table
 * upgrade, as the boot harness does. Beyond Xen, the device model's own SSDT has a thermal zone the
 * kernel polls (`_TZP`), whose `_TMP` notifies the VGID device once each time the ID in RAM differs
 * from the one it last saw: QEMU 7.2 lets the host raise no GPE on a running guest, so a new ID
 * written into RAM reaches Linux's vmgenid driver this way, with one notify per new ID.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { buildGenidNotifySsdt, type GenerationIdWords } from '@xen-genid/hvmloader-sim';
import { DeviceModel, launchDeviceModel, reapDeviceModel, type DeviceModelFiles, type QemuMachine } from './device-model.ts';
import { QemuDmError } from './errors.ts';
import { buildResidentInit, MODULES_DIR } from './guest/resident-init.ts';
import { parseGuestConsole, type GuestConsoleView } from './guest/console-view.ts';
import type { GuestBootPlan } from './linux/boot.ts';
import { writeCpio, type CpioEntry } from './linux/cpio.ts';
import { KPROBE_EVENTS } from './linux/init-script.ts';
import { DEFAULT_BUSYBOX, buildTableUpgradeCpio, type UpgradeTable } from './linux/initramfs.ts';
import { zlib } from './node-builtins.ts';
import { RamFile } from './ram-file.ts';

/** How often the kernel reads the notify zone: every tenth of a second (`_TZP`, tenths of a second). */
export const NOTIFY_POLL_TENTHS = 1;

const MIB = 1024 * 1024;

export interface RealGuestOptions {
  /** What QEMU boots: a bzImage, or a vmlinux with a PVH entry. */
  readonly kernel: string;
  /** Modules the resident `/init` loads (the ACPI button driver). */
  readonly modules?: readonly string[];
  /** The user's own ramdisk instead of our resident busybox root: the table upgrade is put in front of it. */
  readonly ramdisk?: string;
  /** Appended to the kernel command line (xl's `cmdline`, or `root=` + `extra`). */
  readonly commandLine?: string;
  readonly busybox?: string;
  readonly qemu?: string;
  readonly machine: QemuMachine;
  readonly memoryMiB: number;
  readonly files: DeviceModelFiles;
  /** The RAM file exists and already holds the firmware's pages (`plan.memory` is not written). */
  readonly existingRam?: boolean;
}

/**
 * The firmware's DSDT for the upgrade, and the device model's polled notify table; with the ID the
 * guest boots with (and an ID address), the table watches the ID and notifies only when it changes.
 */
export function realGuestTables(plan: GuestBootPlan, bootId?: GenerationIdWords): UpgradeTable[] {
  const watch = bootId !== undefined && plan.idAddress !== 0n ? { watch: { address: plan.idAddress, initial: bootId } } : {};
  return [
    ...plan.tables,
    { name: 'vgnotify.aml', bytes: buildGenidNotifySsdt({ devicePath: plan.devicePath, thermalZone: true, pollTenths: NOTIFY_POLL_TENTHS, ...watch }) },
  ];
}

export type RealGuestInitrdOptions = Pick<RealGuestOptions, 'modules' | 'ramdisk' | 'busybox'> & { readonly bootId?: GenerationIdWords };

/** The initrd: the table-upgrade cpio, then the resident busybox root (or the user's ramdisk). */
export function realGuestInitrd(plan: GuestBootPlan, options: RealGuestInitrdOptions): Uint8Array {
  const upgrade = buildTableUpgradeCpio(realGuestTables(plan, options.bootId));
  let root: Uint8Array;
  if (options.ramdisk !== undefined) {
    root = readFileSync(options.ramdisk);
  } else {
    const entries: CpioEntry[] = [
      { kind: 'directory', path: 'bin' },
      { kind: 'directory', path: MODULES_DIR },
      { kind: 'file', path: 'bin/busybox', data: readFileSync(options.busybox ?? DEFAULT_BUSYBOX), mode: 0o755 },
      { kind: 'file', path: 'init', data: new TextEncoder().encode(buildResidentInit()), mode: 0o755 },
    ];
    for (const module of options.modules ?? []) {
      entries.push({ kind: 'file', path: `${MODULES_DIR}/${module.split('/').pop()!}`, data: readFileSync(module) });
    }
    root = zlib().gzipSync(writeCpio(entries), { level: 1 });
  }
  const image = new Uint8Array(upgrade.length + root.length);
  image.set(upgrade, 0);
  image.set(root, upgrade.length);
  return image;
}

/**
 * The kernel command line: the serial console, the firmware's reserved RAM kept off
 * (`memmap=<size>$<addr>`, the E820 hole hvmloader leaves), and the boot kprobes that show which
 * bytes vmgenid read (as the boot harness, `linux/init-script.ts`).
 */
export function realGuestCommandLine(plan: GuestBootPlan, extra?: string): string {
  return [
    'console=ttyS0',
    'loglevel=6',
    ...plan.reserved.map((range) => `memmap=0x${range.size.toString(16)}$0x${range.address.toString(16)}`),
    'trace_buf_size=1M',
    'trace_event=kprobes:vgrand',
    `kprobe_event=${KPROBE_EVENTS.join(';')}`,
    ...(extra ? [extra] : []),
  ].join(' ');
}

/**
 * The least guest RAM for the plan: the end of the firmware's reserved area rounded up to 16 MiB
 * (128 MiB for the QEMU layouts, whose area is 112..113 MiB), so the kernel has RAM above it too.
 */
export function minimumMemoryMiB(plan: GuestBootPlan): number {
  const top = plan.reserved.reduce((end, range) => (range.address + range.size > end ? range.address + range.size : end), 0n);
  return Math.ceil(Number(top) / (16 * MIB)) * 16;
}

/**
 * Creates the domain's RAM file with the firmware's pages in it, writes the initrd and starts QEMU.
 * Anything made is removed again if a step fails.
 */
export function startRealGuest(plan: GuestBootPlan, options: RealGuestOptions): DeviceModel {
  const needed = minimumMemoryMiB(plan);
  if (options.memoryMiB < needed) {
    throw new QemuDmError('INVALID_ARGUMENT', `a real guest on this firmware layout needs at least ${needed} MiB of memory, not ${options.memoryMiB}`);
  }
  if (plan.machine !== options.machine) throw new QemuDmError('INVALID_ARGUMENT', `the plan is for ${plan.machine}, not ${options.machine}`);
  const { files } = options;
  try {
    let bootId: GenerationIdWords;
    {
      using ram = options.existingRam ? RamFile.open(files.ram) : RamFile.create(files.ram, options.memoryMiB * MIB);
      if (!options.existingRam) for (const image of plan.memory) ram.write(image.address, image.bytes);
      const bytes = ram.read(plan.idAddress, 16);
      const id = new DataView(bytes.buffer, bytes.byteOffset, 16);
      bootId = { low: id.getBigUint64(0, true), high: id.getBigUint64(8, true) };
    }
    writeFileSync(files.initrd, realGuestInitrd(plan, { ...options, bootId }), { mode: 0o600 });
    const pid = launchDeviceModel({
      ...(options.qemu !== undefined ? { qemu: options.qemu } : {}),
      machine: options.machine,
      memoryMiB: options.memoryMiB,
      files,
      kernel: options.kernel,
      initrd: files.initrd,
      append: realGuestCommandLine(plan, options.commandLine),
    });
    return new DeviceModel(files, pid);
  } catch (error) {
    reapDeviceModel(files);
    throw error;
  }
}

/** What the guest's kernel has said so far on its console. */
export function readGuestConsole(files: DeviceModelFiles): GuestConsoleView {
  let text = '';
  try {
    text = readFileSync(files.consoleLog, 'latin1');
  } catch {
    // Nothing logged yet.
  }
  return parseGuestConsole(text);
}

/** Waits (polling the console log) until `test` holds, or fails after `timeoutMs` with the log's tail. */
export async function waitForGuest(files: DeviceModelFiles, test: (view: GuestConsoleView) => boolean, timeoutMs = 120_000): Promise<GuestConsoleView> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const view = readGuestConsole(files);
    if (test(view)) return view;
    if (Date.now() > end) {
      let tail = '';
      try {
        tail = readFileSync(files.consoleLog, 'latin1').slice(-2000);
      } catch {
        // No log.
      }
      throw new QemuDmError('SPAWN', `the guest did not get there within ${timeoutMs} ms; its console ended:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
