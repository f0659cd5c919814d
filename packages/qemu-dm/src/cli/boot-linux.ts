/**
 * `qemu-dm boot-linux --generation-id <lo:hi> [--machine pc|q35] [--kernel <vmlinuz>]
 * [--renew <lo:hi>] [--json]`: runs the firmware for the ID, boots Debian's Linux on its tables
 * under QEMU, and prints what the kernel enumerated, bound and read.
 * Exit status: 0 when the bytes Linux's vmgenid driver read at probe equal the ID (and, with
 * `--renew`, the renewal was seen exactly once); 1 on a mismatch, no binding or no read;
 * 2 on bad usage or when QEMU, busybox or the kernel is missing.
 */
import { parseArgs } from 'node:util';
import { HvmloaderError, generationIdBytes } from '@xen-genid/hvmloader-sim';
import { QemuDmError } from '../errors.ts';
import { toHex, type LinuxBootReport } from '../linux/boot.ts';
import { bootLinux, parseGenerationIdArgument, type BootLinuxResult } from '../linux/boot-linux.ts';
import type { QemuMachine } from '../device-model.ts';

export const BOOT_LINUX_USAGE =
  'usage: qemu-dm boot-linux --generation-id <lo:hi> [--machine pc|q35] [--kernel <vmlinuz>] [--renew <lo:hi>] [--json]\n';

export const BOOT_LINUX_SUMMARY = "Boot Debian's Linux under QEMU on the firmware's tables and check the ID its vmgenid driver reads";

export interface BootLinuxContext {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly signal?: AbortSignal;
  /** Programs to use instead of `qemu-system-x86_64` on PATH and `/bin/busybox`. */
  readonly tools?: { readonly qemu?: string; readonly busybox?: string };
}

function formatReport(result: Extract<BootLinuxResult, { status: 'booted' }>): string {
  const report: LinuxBootReport = result.report;
  const lines = [
    `machine:  ${report.machine} (QEMU TCG), firmware layout ${result.layout}`,
    `kernel:   ${report.kernelRelease ?? 'unknown'} (${result.kernel.path}${result.kernel.bootImage !== result.kernel.path ? `, booted through its PVH entry from ${result.kernel.bootImage}` : ''})`,
    `firmware: ID buffer at 0x${result.idAddress.toString(16)}${result.idAddress === 0n ? ' (none: _STA 0)' : ''}`,
  ];
  const device = report.device;
  lines.push(
    device
      ? `device:   ${device.path} ${device.name} hid=${device.hid} uid=${device.uid} status=${device.status ?? '?'} modalias=${device.modalias || '(none)'}`
      : 'device:   none enumerated',
    `driver:   ${report.bound ? 'vmgenid bound' : `not bound${device?.driver ? ` (bound to ${device.driver})` : ''}`}`,
  );
  for (const error of report.probeErrors) lines.push(`probe:    ${error}`);
  lines.push(`kprobe:   ${report.probeRead?.line ?? '(no add_device_randomness call from vmgenid_add)'}`);
  lines.push(`read:     ${report.read ?? '-'}`, `expected: ${report.expected}`);
  if (report.renewal) {
    const renewal = report.renewal;
    const describe = (name: string, phase: typeof renewal.unchanged): string =>
      `renewal ${name}: notifies=${phase?.notifies ?? 0} fork messages=${phase?.forkMessages.length ?? 0}` +
      (phase?.vmfork[0] ? ` add_vmfork_randomness=${toHex(phase.vmfork[0].bytes)}` : '');
    lines.push(describe('unchanged', renewal.unchanged));
    lines.push(describe('changed', renewal.changed));
    for (const message of renewal.changed?.forkMessages ?? []) lines.push(`  ${message}`);
    for (const hit of renewal.changed?.vmfork ?? []) lines.push(`  ${hit.line}`);
    lines.push(describe('again', renewal.again));
    lines.push(`renewal:  ${renewal.ok ? 'seen once, with the new bytes' : 'NOT as expected'} (expected ${renewal.expected})`);
  }
  if (report.verdict === 'incomplete') {
    lines.push(`guest did not finish (QEMU exit ${report.qemu.exitCode}${report.qemu.timedOut ? ', timed out' : ''}); console tail:`);
    lines.push(...report.console.split(/\r?\n/).slice(-25).map((line) => `  | ${line}`));
    if (report.qemu.stderr.trim()) lines.push('QEMU said:', ...report.qemu.stderr.trim().split('\n').map((line) => `  ! ${line}`));
  }
  if (report.verdict !== 'incomplete' && !report.poweredOff) {
    lines.push(`warning:  the guest did not power off by itself (QEMU exit ${report.qemu.exitCode}${report.qemu.killedAfterEnd ? ', killed after the guest finished' : ''}): does the DSDT have \\_S5?`);
  }
  lines.push(`result:   ${report.verdict}`);
  return `${lines.join('\n')}\n`;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (value instanceof Uint8Array) return toHex(value);
  return value;
}

/** Runs the subcommand with its own arguments (after `boot-linux`). */
export async function run(args: readonly string[], context: BootLinuxContext): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        'generation-id': { type: 'string' },
        machine: { type: 'string', default: 'pc' },
        kernel: { type: 'string' },
        renew: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    context.stderr.write(`boot-linux: ${(error as Error).message}\n${BOOT_LINUX_USAGE}`);
    return 2;
  }
  if (values.help) {
    context.stdout.write(`${BOOT_LINUX_SUMMARY}.\n${BOOT_LINUX_USAGE}`);
    return 0;
  }
  const machine = values.machine;
  if (machine !== 'pc' && machine !== 'q35') {
    context.stderr.write(`boot-linux: --machine must be pc or q35, not ${JSON.stringify(machine)}\n`);
    return 2;
  }
  if (values['generation-id'] === undefined) {
    context.stderr.write(`boot-linux: --generation-id is required\n${BOOT_LINUX_USAGE}`);
    return 2;
  }
  let result: BootLinuxResult;
  try {
    const generationId = parseGenerationIdArgument(values['generation-id']);
    const renewalGenerationId = values.renew === undefined ? undefined : parseGenerationIdArgument(values.renew);
    if (renewalGenerationId && toHex(generationIdBytes(renewalGenerationId)) === toHex(generationIdBytes(generationId))) {
      context.stderr.write('boot-linux: --renew must differ from --generation-id\n');
      return 2;
    }
    result = await bootLinux({
      generationId,
      renewalGenerationId,
      machine: machine as QemuMachine,
      kernel: values.kernel,
      qemu: context.tools?.qemu,
      busybox: context.tools?.busybox,
      signal: context.signal,
    });
  } catch (error) {
    if (QemuDmError.is(error) || HvmloaderError.is(error)) {
      context.stderr.write(`boot-linux: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (result.status === 'unavailable') {
    context.stderr.write(`boot-linux: cannot boot a Linux guest:\n${result.missing.map((line) => `  ${line}\n`).join('')}`);
    return 2;
  }
  if (values.json) {
    const { console: _console, ...report } = result.report;
    context.stdout.write(`${JSON.stringify({ ...result, report }, jsonReplacer, 2)}\n`);
  } else {
    context.stdout.write(formatReport(result));
  }
  const renewalOk = result.report.renewal ? result.report.renewal.ok : true;
  return result.report.verdict === 'match' && renewalOk ? 0 : 1;
}
