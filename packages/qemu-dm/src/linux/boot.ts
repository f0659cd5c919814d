/**
 * Boots a real Linux kernel under QEMU on firmware-produced ACPI tables and guest memory, and
 * reports what Linux's vmgenid driver (`drivers/virt/vmgenid.c`) enumerated, bound and read.
 *
 * The plan is machine-level: tables for Linux's initrd table upgrade, memory images for the
 * loader device, the RAM ranges the kernel must keep off (`memmap=<size>$<addr>`, shown in
 * `/proc/iomem` as Reserved, like the hole hvmloader leaves in the E820), and where the ID lives.
 */
import { QemuDmError } from '../errors.ts';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseGuestLog, type EnumeratedDevice, type GuestLog, type KprobeHit, type PhaseLog } from './guest-log.ts';
import { KPROBE_EVENTS, LOG_PREFIX } from './init-script.ts';
import { buildInitramfs, DEFAULT_BUSYBOX, type UpgradeTable } from './initramfs.ts';
import { buildNotifySsdt } from './notify-ssdt.ts';
import { DEFAULT_QEMU, type QemuMachine } from '../device-model.ts';
import { runQemu, type QemuRun } from './qemu.ts';

export const GENERATION_ID_LENGTH = 16;

/** Bytes to place in guest RAM at `address` before the CPU starts. */
export interface GuestMemoryImage {
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/** A guest-physical range the kernel must treat as reserved. */
export interface ReservedRange {
  readonly address: bigint;
  readonly size: bigint;
}

export interface GuestBootPlan {
  readonly machine: QemuMachine;
  /** Complete tables for the initrd upgrade (a DSDT with QEMU's ids replaces QEMU's; others are added). */
  readonly tables: readonly UpgradeTable[];
  readonly memory: readonly GuestMemoryImage[];
  readonly reserved: readonly ReservedRange[];
  /** The guest-physical address of the 16-byte ID buffer, as the firmware placed it. */
  readonly idAddress: bigint;
  /** Absolute ACPI path of the VGID device (the target of the harness's notify). */
  readonly devicePath: string;
}

export interface BootLinuxGuestOptions {
  /** The bzImage to boot. */
  readonly kernel: string;
  readonly qemu?: string;
  readonly busybox?: string;
  /** A second ID: written over the buffer by the running guest, then notified (three notifies in all). */
  readonly renewalId?: Uint8Array;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RenewalReport {
  readonly expected: string;
  readonly unchanged: PhaseLog | undefined;
  readonly changed: PhaseLog | undefined;
  readonly again: PhaseLog | undefined;
  /** One fork message and the new bytes after the change; nothing before or after. */
  readonly ok: boolean;
}

export type BootVerdict = 'match' | 'mismatch' | 'not-bound' | 'no-read' | 'incomplete';

export interface LinuxBootReport {
  readonly machine: QemuMachine;
  readonly kernelRelease: string | undefined;
  /** The ACPI device the kernel enumerated for the VGID, if any. */
  readonly device: EnumeratedDevice | undefined;
  readonly bound: boolean;
  /** The kprobe hit of `add_device_randomness` from `vmgenid_add`. */
  readonly probeRead: KprobeHit | undefined;
  /** The expected ID, 32 hex digits in memory order. */
  readonly expected: string;
  /** What the driver read, 32 hex digits in memory order. */
  readonly read: string | undefined;
  /** dmesg lines of a failed vmgenid probe (`probe of XEN0000:00 failed with error -22`). */
  readonly probeErrors: readonly string[];
  readonly verdict: BootVerdict;
  readonly renewal: RenewalReport | undefined;
  readonly log: GuestLog;
  readonly qemu: Pick<QemuRun, 'exitCode' | 'timedOut' | 'killedAfterEnd' | 'durationMs' | 'stderr'>;
  /** The guest powered itself off (needs the DSDT's `\_S5`). */
  readonly poweredOff: boolean;
  /** The full serial console, for diagnosis. */
  readonly console: string;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(program: string): boolean {
  if (program.includes('/')) return isExecutable(program);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, program)));
}

/** What is missing to boot, each with the Debian package that provides it; empty when all is there. */
export function missingBootTools(options: { qemu?: string; busybox?: string; kernel?: string }): string[] {
  const missing: string[] = [];
  const qemu = options.qemu ?? DEFAULT_QEMU;
  if (!onPath(qemu)) missing.push(`${qemu} not found (Debian package qemu-system-x86)`);
  const busybox = options.busybox ?? DEFAULT_BUSYBOX;
  if (!isReadable(busybox)) missing.push(`${busybox} not found (Debian package busybox-static)`);
  if (options.kernel !== undefined && !isReadable(options.kernel)) missing.push(`kernel ${options.kernel} not found or unreadable`);
  return missing;
}

/** `memmap=` arguments: KASLR's decompressor and the kernel both keep off these ranges. */
export function memmapArguments(reserved: readonly ReservedRange[]): string[] {
  return reserved.map((range) => {
    if (range.size <= 0n || range.address < 0n) throw new QemuDmError('INVALID_ARGUMENT', 'reserved range must have a positive size');
    return `memmap=0x${range.size.toString(16)}$0x${range.address.toString(16)}`;
  });
}

function insideReserved(image: GuestMemoryImage, reserved: readonly ReservedRange[]): boolean {
  const end = image.address + BigInt(image.bytes.length);
  return reserved.some((range) => image.address >= range.address && end <= range.address + range.size);
}

/** The kernel command line for a plan. */
export function kernelCommandLine(plan: GuestBootPlan): string {
  return [
    'console=ttyS0',
    'panic=-1',
    'loglevel=1',
    ...memmapArguments(plan.reserved),
    'trace_buf_size=1M',
    'trace_event=kprobes:vgrand',
    `kprobe_event=${KPROBE_EVENTS.join(';')}`,
  ].join(' ');
}

function phaseQuiet(phase: PhaseLog | undefined): boolean {
  return phase !== undefined && phase.forkMessages.length === 0 && phase.vmfork.length === 0 && phase.notifies > 0;
}

function renewalReport(log: GuestLog, renewalId: Uint8Array): RenewalReport {
  const expected = toHex(renewalId);
  const { unchanged, changed, again } = log.phases;
  const changedOk =
    changed !== undefined &&
    changed.forkMessages.length === 1 &&
    changed.vmfork.length === 1 &&
    changed.vmfork[0] !== undefined &&
    toHex(changed.vmfork[0].bytes) === expected;
  return { expected, unchanged, changed, again, ok: phaseQuiet(unchanged) && changedOk && phaseQuiet(again) };
}

function checkId(id: Uint8Array, what: string): void {
  if (id.length !== GENERATION_ID_LENGTH) throw new QemuDmError('INVALID_ARGUMENT', `${what} must be ${GENERATION_ID_LENGTH} bytes, not ${id.length}`);
}

/**
 * Boots `options.kernel` on `plan` and reports. The work files live in a private temporary
 * directory, removed afterwards. Throws only when QEMU cannot be started at all.
 */
export async function bootLinuxGuest(
  plan: GuestBootPlan,
  expectedId: Uint8Array,
  options: BootLinuxGuestOptions,
): Promise<LinuxBootReport> {
  checkId(expectedId, 'the expected ID');
  if (options.renewalId) {
    checkId(options.renewalId, 'the renewal ID');
    if (plan.idAddress === 0n) throw new QemuDmError('INVALID_ARGUMENT', 'a renewal needs an ID buffer, and the firmware placed none');
  }
  for (const image of plan.memory) {
    if (!insideReserved(image, plan.reserved)) {
      throw new QemuDmError('INVALID_ARGUMENT', `memory image at 0x${image.address.toString(16)} lies outside the reserved ranges`);
    }
  }
  const tables = [...plan.tables];
  const files = [];
  if (options.renewalId) {
    tables.push({ name: 'vgnotify.aml', bytes: buildNotifySsdt({ devicePath: plan.devicePath }) });
    files.push({ path: 'genid-renewal.bin', bytes: options.renewalId });
  }
  const initrd = buildInitramfs({
    tables,
    files,
    busybox: options.busybox,
    renewal: options.renewalId ? { address: plan.idAddress, bytesFile: '/genid-renewal.bin' } : undefined,
  });
  const workDir = mkdtempSync(join(tmpdir(), 'xen-genid-boot-'));
  try {
    const initrdPath = join(workDir, 'initrd.img');
    writeFileSync(initrdPath, initrd);
    const loads = plan.memory.map((image, index) => {
      const file = join(workDir, `memory-${index}.bin`);
      writeFileSync(file, image.bytes);
      return { address: image.address, file };
    });
    const run = await runQemu({
      qemu: options.qemu,
      machine: plan.machine,
      kernel: options.kernel,
      initrd: initrdPath,
      append: kernelCommandLine(plan),
      loads,
      timeoutMs: options.timeoutMs,
      endMarker: `${LOG_PREFIX} end`,
      signal: options.signal,
    });
    return buildReport(plan, expectedId, options.renewalId, run);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function buildReport(plan: GuestBootPlan, expectedId: Uint8Array, renewalId: Uint8Array | undefined, run: QemuRun): LinuxBootReport {
  const log = parseGuestLog(run.console);
  const device = log.devices.find((candidate) => candidate.driver !== undefined) ?? log.devices[0];
  const bound = device?.driver === 'vmgenid';
  const probeRead = log.probeReads[0];
  const expected = toHex(expectedId);
  const read = probeRead ? toHex(probeRead.bytes) : undefined;
  const probeErrors = log.bootDmesg.filter((line) => /vmgenid/.test(line) && /probe.*fail/.test(line));
  let verdict: BootVerdict;
  if (!log.completed) verdict = 'incomplete';
  else if (!bound) verdict = 'not-bound';
  else if (read === undefined) verdict = 'no-read';
  else verdict = read === expected ? 'match' : 'mismatch';
  return {
    machine: plan.machine,
    kernelRelease: log.kernelRelease,
    device,
    bound,
    probeRead,
    expected,
    read,
    probeErrors,
    verdict,
    renewal: renewalId ? renewalReport(log, renewalId) : undefined,
    log,
    qemu: { exitCode: run.exitCode, timedOut: run.timedOut, killedAfterEnd: run.killedAfterEnd, durationMs: run.durationMs, stderr: run.stderr },
    poweredOff: run.exitCode === 0 && !run.timedOut && !run.killedAfterEnd,
    console: run.console,
  };
}
