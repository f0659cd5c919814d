/**
 * The device model of a domain that runs a real kernel: Debian's `qemu-system-x86_64` (TCG) started
 * as libxl starts qemu-xen (`tools/libs/light/libxl_dm.c` libxl__spawn_local_dm: its own QMP socket,
 * `-daemonize`-style start, the pid recorded under `image/device-model-pid`), with guest RAM in a
 * shared file the toolstack reads and writes, the serial console on a socket with a log kept, and
 * the lifecycle over QMP. Device state moves without RAM (`x-ignore-shared`), as qemu-xen's
 * `xen-save-devices-state` carries only devices next to libxc's stream of the RAM.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { childProcess } from './node-builtins.ts';
import { QemuDmError } from './errors.ts';
import { qmpRun, type QmpStep } from './qmp.ts';

export const DEFAULT_QEMU = 'qemu-system-x86_64';

export type QemuMachine = 'pc' | 'q35';

/** The files of one device model, all in one directory, named for the host file and the domain. */
export interface DeviceModelFiles {
  readonly ram: string;
  readonly qmp: string;
  readonly console: string;
  readonly consoleLog: string;
  readonly pid: string;
  readonly initrd: string;
  /** Device state read from a restored image, until the device model starts from it. */
  readonly incoming: string;
  /** Device state being saved (QEMU writes it, the toolstack reads it into the image). */
  readonly outgoing: string;
  /** Present while the toolstack holds QEMU stopped (from before its `stop` to after its `cont`). */
  readonly stopped: string;
}

/** Characters QEMU's option parser and `exec:` URIs take without quoting. */
const SAFE_PATH = /^[A-Za-z0-9_./+-]+$/;

function safePath(path: string): string {
  if (!SAFE_PATH.test(path)) throw new QemuDmError('INVALID_ARGUMENT', `path ${JSON.stringify(path)} has characters QEMU options cannot carry`);
  return path;
}

/**
 * File names for domain `domid` of the host identified by `hostId` (two host files reuse domids, so
 * the identity keeps their files apart) under `dir`.
 */
export function deviceModelFiles(dir: string, hostId: string, domid: number): DeviceModelFiles {
  if (!/^[A-Za-z0-9_-]+$/.test(hostId)) throw new QemuDmError('INVALID_ARGUMENT', `host identity ${JSON.stringify(hostId)} is not a plain name`);
  const base = join(dir, `${hostId}-${domid}`);
  const files = {
    ram: `${base}.ram`,
    qmp: `${base}.qmp`,
    console: `${base}.console`,
    consoleLog: `${base}.log`,
    pid: `${base}.pid`,
    initrd: `${base}.initrd`,
    incoming: `${base}.incoming`,
    outgoing: `${base}.outgoing`,
    stopped: `${base}.stopped`,
  };
  for (const path of Object.values(files)) safePath(path);
  // A Unix socket path is at most 107 bytes (sun_path).
  if (Buffer.byteLength(files.qmp) > 107) throw new QemuDmError('INVALID_ARGUMENT', `socket path ${files.qmp} is longer than 107 bytes`);
  return files;
}

export interface DeviceModelLaunch {
  readonly qemu?: string;
  readonly machine: QemuMachine;
  readonly memoryMiB: number;
  readonly files: DeviceModelFiles;
  /** The kernel to boot directly (`-kernel`, with `initrd` and `append`); without it SeaBIOS finds nothing to boot and idles. */
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  /** Start waiting for device state (`-incoming defer`) instead of booting. */
  readonly incoming?: boolean;
}

/** QEMU's argument vector (without the program). */
export function deviceModelArguments(launch: DeviceModelLaunch): string[] {
  const { files } = launch;
  const boot: string[] = [];
  if (launch.kernel !== undefined) {
    boot.push('-kernel', safePath(launch.kernel));
    if (launch.initrd !== undefined) boot.push('-initrd', safePath(launch.initrd));
    if (launch.append !== undefined) boot.push('-append', launch.append);
  } else if (launch.initrd !== undefined || launch.append !== undefined) {
    throw new QemuDmError('INVALID_ARGUMENT', 'an initrd or a command line needs a kernel');
  }
  return [
    '-machine', `${launch.machine},memory-backend=ram`,
    '-accel', 'tcg',
    '-cpu', 'max',
    '-m', `${launch.memoryMiB}M`,
    '-smp', '1',
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-object', `memory-backend-file,id=ram,size=${launch.memoryMiB}M,mem-path=${files.ram},share=on`,
    '-chardev', `socket,id=console,path=${files.console},server=on,wait=off,logfile=${files.consoleLog},logappend=on`,
    '-serial', 'chardev:console',
    '-qmp', `unix:${files.qmp},server=on,wait=off`,
    '-pidfile', files.pid,
    '-daemonize',
    ...boot,
    ...(launch.incoming ? ['-incoming', 'defer'] : []),
  ];
}

/**
 * Starts QEMU and returns its pid once it is ready for QMP (`-daemonize` returns then). A QEMU
 * that cannot start (no such program, a kernel it cannot load) is a `SPAWN` error with its message.
 */
export function launchDeviceModel(launch: DeviceModelLaunch): number {
  const qemu = launch.qemu ?? DEFAULT_QEMU;
  const result = childProcess().spawnSync(qemu, deviceModelArguments(launch), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new QemuDmError(missing ? 'MISSING' : 'SPAWN', missing ? `${qemu} not found (Debian package qemu-system-x86)` : `${qemu}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new QemuDmError('SPAWN', `${qemu} exited with status ${String(result.status)}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`);
  }
  const pid = Number.parseInt(readFileSync(launch.files.pid, 'utf8'), 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new QemuDmError('SPAWN', `${qemu} left no pid in ${launch.files.pid}`);
  return pid;
}

/** The device model of a running domain, reached through its QMP socket. */
export class DeviceModel {
  readonly files: DeviceModelFiles;
  readonly pid: number;

  constructor(files: DeviceModelFiles, pid: number) {
    this.files = files;
    this.pid = pid;
  }

  private run(steps: readonly QmpStep[], timeoutMs?: number): unknown[] {
    return qmpRun(this.files.qmp, steps, timeoutMs === undefined ? {} : { timeoutMs });
  }

  /** `running`, `paused`, `inmigrate`, `postmigrate`, `shutdown`, ... */
  status(): string {
    const [answer] = this.run([{ execute: 'query-status' }]) as [{ status: string }];
    return answer.status;
  }

  pause(): void {
    this.run([{ execute: 'stop' }]);
  }

  unpause(): void {
    this.run([{ execute: 'cont' }]);
  }

  /** Presses the ACPI power button (`xl shutdown -F`). */
  powerdown(): void {
    this.run([{ execute: 'system_powerdown' }]);
  }

  /** A hard reset (`xl reboot -F`): the machine starts again from the firmware. */
  reset(): void {
    this.run([{ execute: 'system_reset' }]);
  }

  /** An NMI (`xl trigger <domain> nmi`): QEMU's `inject-nmi` reaches every vCPU. */
  injectNmi(): void {
    this.run([{ execute: 'inject-nmi' }]);
  }

  /** Waits up to `timeoutMs` for QEMU to end (a guest that powered off); true if it did. */
  waitForExit(timeoutMs: number): boolean {
    const until = Date.now() + timeoutMs;
    while (processAlive(this.pid) && runningDeviceModel(this.files) === this.pid) {
      if (Date.now() > until) return false;
      sleepMs(100);
    }
    return true;
  }

  /**
   * Stops the guest and writes its device state, without the shared RAM, to `file`
   * (`migrate` with `x-ignore-shared` to `exec:cat`; `xen-save-devices-state` cannot be loaded back
   * by QEMU 7.2).
   */
  saveDeviceState(file: string): void {
    safePath(file);
    this.run(
      [
        { execute: 'stop' },
        { execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'x-ignore-shared', state: true }] } },
        { execute: 'migrate', arguments: { uri: `exec:cat > ${file}` } },
        { waitMigration: true },
      ],
      120_000,
    );
  }

  /** Loads device state written by `saveDeviceState` into a QEMU started `incoming`; it stays paused. */
  loadDeviceState(file: string): void {
    safePath(file);
    this.run(
      [
        { execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'x-ignore-shared', state: true }] } },
        { execute: 'migrate-incoming', arguments: { uri: `exec:cat ${file}` } },
        { waitMigration: true },
      ],
      120_000,
    );
  }

  /** Ends QEMU (`quit`), then kills it if it is still there. */
  quit(): void {
    try {
      this.run([{ execute: 'quit' }], 10_000);
    } catch {
      // Already gone, or not answering: the kill below ends it.
    }
    killDeviceModel(this.pid);
  }
}

/** The child that hands keyboard input to QEMU's console socket: plain JavaScript, no imports from this package. */
const CONSOLE_WRITER = String.raw`
const sock = require('node:net').connect(process.argv[1]);
sock.on('connect', () => sock.end(Buffer.from(process.argv[2], 'base64')));
sock.on('close', () => process.exit(0));
sock.on('error', (error) => { process.stderr.write(error.message); process.exit(1); });
`;

/**
 * Keyboard input for the guest's serial port: written into QEMU's console socket (what xenconsole
 * does with the pty qemu-xen serves). Synchronous, as the toolstack is: a short child process.
 */
export function writeConsoleInput(files: DeviceModelFiles, data: Uint8Array): void {
  const child = childProcess().spawnSync(process.execPath, ['-e', CONSOLE_WRITER, files.console, Buffer.from(data).toString('base64')], { encoding: 'utf8', timeout: 10_000 });
  if (child.error || child.status !== 0) {
    throw new QemuDmError('CLOSED', `console ${files.console}: ${child.error?.message ?? (child.stderr.trim() || `exit status ${String(child.status)}`)}`);
  }
}

/** True while process `pid` exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Blocks the thread for `ms` milliseconds (the toolstack's waits on QEMU are synchronous). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILL to `pid` if it is alive, then waits (up to 5 s) until it is gone. */
export function killDeviceModel(pid: number): void {
  if (!processAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const until = Date.now() + 5000;
  while (processAlive(pid) && Date.now() < until) sleepMs(20);
}

/**
 * The QEMU whose pid file is `files.pid`, if it still runs: checked against its command line (it
 * must name this device model's QMP socket), so a pid reused by another process is never killed.
 */
export function runningDeviceModel(files: DeviceModelFiles): number | undefined {
  let pid: number;
  let commandLine: string;
  try {
    pid = Number.parseInt(readFileSync(files.pid, 'utf8'), 10);
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return undefined;
  }
  return commandLine.split('\0').includes(`unix:${files.qmp},server=on,wait=off`) ? pid : undefined;
}

/**
 * Ends whatever is left of a device model (its QEMU, killed, and every file): what recovery does
 * after an `xl` was killed in the middle of a create, save or restore, and what destroy does last.
 */
export function reapDeviceModel(files: DeviceModelFiles): void {
  const pid = runningDeviceModel(files);
  if (pid !== undefined) killDeviceModel(pid);
  removeDeviceModelFiles(files);
}

/** Removes every file of a device model (after its QEMU has gone). */
export function removeDeviceModelFiles(files: DeviceModelFiles): void {
  for (const path of Object.values(files)) rmSync(path, { force: true });
}

export function deviceModelFilesExist(files: DeviceModelFiles): string[] {
  return Object.values(files).filter((path) => existsSync(path));
}
