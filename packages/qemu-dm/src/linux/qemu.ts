/**
 * QEMU as the guest's machine: `qemu-system-x86_64` with TCG (no KVM is assumed), SeaBIOS,
 * `-kernel`/`-initrd` direct boot, the serial console on stdout, and the firmware's memory
 * contents placed in guest RAM by the generic loader device (`-device loader,force-raw=on`).
 */
import { DEFAULT_QEMU, type QemuMachine } from '../device-model.ts';
import { childProcess } from '../node-builtins.ts';
import { QemuDmError } from '../errors.ts';

/** A file loaded raw at a guest-physical address before the CPU starts. */
export interface QemuLoad {
  readonly address: bigint;
  readonly file: string;
}

export interface QemuBootOptions {
  readonly qemu?: string;
  readonly machine: QemuMachine;
  readonly kernel: string;
  readonly initrd: string;
  readonly append: string;
  readonly loads: readonly QemuLoad[];
  /** Guest RAM in MiB (default 256). */
  readonly memoryMiB?: number;
  /** Kill QEMU after this long (default 120 s). */
  readonly timeoutMs?: number;
  /**
   * A console line the guest prints just before it powers off. Once seen, QEMU gets
   * `endGraceMs` (default 15 s) to exit before it is killed: a guest that cannot power off (a DSDT
   * without `\_S5`) then costs seconds, not the whole timeout.
   */
  readonly endMarker?: string;
  readonly endGraceMs?: number;
  readonly signal?: AbortSignal;
}

export interface QemuRun {
  /** Everything the guest wrote to its serial console. */
  readonly console: string;
  /** QEMU's own diagnostics. */
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The guest printed `endMarker` but did not power off within the grace time. */
  readonly killedAfterEnd: boolean;
  readonly durationMs: number;
}

/** The argument vector (without the program name). */
export function qemuArguments(options: QemuBootOptions): string[] {
  const args = [
    '-machine', options.machine,
    '-accel', 'tcg',
    '-cpu', 'max',
    '-m', String(options.memoryMiB ?? 256),
    '-smp', '1',
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-serial', 'stdio',
    '-monitor', 'none',
    '-no-reboot',
    '-kernel', options.kernel,
    '-initrd', options.initrd,
    '-append', options.append,
  ];
  for (const load of options.loads) {
    if (load.file.includes(',')) throw new QemuDmError('INVALID_ARGUMENT', `loader file name may not contain a comma: ${load.file}`);
    args.push('-device', `loader,file=${load.file},addr=0x${load.address.toString(16)},force-raw=on`);
  }
  return args;
}

/** Runs QEMU to completion (the guest powers off), or kills it at the timeout or on abort. */
export function runQemu(options: QemuBootOptions): Promise<QemuRun> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(options.qemu ?? DEFAULT_QEMU, qemuArguments(options), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let killedAfterEnd = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let tail = '';
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    options.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (options.endMarker === undefined || graceTimer) return;
      tail = (tail + chunk.toString('latin1')).slice(-4 * options.endMarker.length - 64);
      if (tail.includes(options.endMarker)) {
        graceTimer = setTimeout(() => {
          killedAfterEnd = true;
          kill();
        }, options.endGraceMs ?? 15_000);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', kill);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', kill);
      resolve({
        console: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code,
        timedOut,
        killedAfterEnd,
        durationMs: performance.now() - started,
      });
    });
  });
}
