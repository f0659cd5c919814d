/**
 * The built `xl` run as a user runs it, on a host file of a temp directory, optionally killed with
 * SIGKILL at a named step (`XEN_GENID_HOST_CRASH_AT`), and the three views of every domain's
 * generation ID: libxl's stored config, xenstore `~/platform/generation-id`, and guest memory at HVM
 * param 34 as the guest reads it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';
import { HVM_PARAM_VM_GENERATION_ID_ADDR, PLATFORM_GENERATION_ID_KEY, createGuestMemory, domainPath } from '@xen-genid/xc-params';
import { MsVmGenid, USERDATA_LIBXL_JSON, domainConfigFromJsonText, genidOfConfig, libxlGuestModel, retrieveUserdataText } from '@xen-genid/xl-lib';

export const XL = new URL('../../../xl-cli/dist/bin/xl.js', import.meta.url).pathname;

export interface XlRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface XlOptions {
  /** `XEN_GENID_HOST_CRASH_AT`: the step where the process kills itself. */
  readonly crashAt?: string;
  /** Another host file than the world's own (a second machine, for migrations). */
  readonly host?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string | Buffer;
  /** Milliseconds before the process is killed (default 60 s). */
  readonly timeoutMs?: number;
}

export interface XlHost {
  readonly dir: string;
  readonly path: string;
  /** Holds an `xl` that runs ours, first on every xl's PATH (a migration's receiver is found there). */
  readonly binDir: string;
  /** Writes a file in the directory and returns its path. */
  file(name: string, text: string): string;
  /** A guest config named `name` (hvm, 64 MiB, a generated ID), written beside the host file. */
  config(name: string, extra?: string): string;
  xl(args: readonly string[], options?: XlOptions): XlRun;
  /** `cat <file> | xl <args>`: xl's stdin is a pipe (`/dev/stdin` names it). */
  xlFromPipe(file: string, args: readonly string[], options?: XlOptions): XlRun;
  /**
   * `xl` started in the background, killed with SIGKILL after `delayMs`, or left to finish; `ms`
   * is how long it ran. With `victim: 'receiver'`, what is killed is the `xl migrate-receive` the
   * run started, `delayMs` after it started (if the migration still runs then), and `ms` is the
   * receiver's time from its start to the end of both; resolves once both have ended.
   */
  xlKilledAfter(
    args: readonly string[],
    delayMs: number,
    options?: XlOptions & { readonly victim?: 'xl' | 'receiver' },
  ): Promise<XlRun & { readonly killed: boolean; readonly ms: number }>;
  cleanup(): void;
}

/** A new world whose host file runs `guest` (hvm, a generated ID), made with `xl create`. */
export function createXlHostWithGuest(prefix: string): XlHost {
  const world = createXlHost(prefix);
  const created = world.xl(['create', world.config('guest')]);
  if (created.status !== 0) throw new Error(`xl create failed: ${created.stderr}`);
  return world;
}

/** A new world holding a copy of `from`'s files (host files, configs, saves; closed host files only). */
export function copyXlHost(from: XlHost, prefix: string): XlHost {
  const copy = createXlHost(prefix);
  for (const entry of readdirSync(from.dir)) {
    if (entry !== 'bin') cpSync(join(from.dir, entry), join(copy.dir, entry), { recursive: true });
  }
  return copy;
}

export function createXlHost(prefix: string): XlHost {
  if (!existsSync(XL)) throw new Error(`${XL} is missing: build first (pnpm turbo run build --filter=@xen-genid/xl-cli...)`);
  const dir = mkdtempSync(join(tmpdir(), `regression-${prefix}-`));
  const path = join(dir, 'host.db');
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  // `$XL_PID_FILE`, when set, receives the pid of the `xl` run through PATH (a migration's receiver).
  const pidFile = join(dir, 'xl.pid');
  writeFileSync(
    join(binDir, 'xl'),
    `#!/bin/sh\n[ -z "$XL_PID_FILE" ] || echo $$ > "$XL_PID_FILE"\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} "$@"\n`,
  );
  chmodSync(join(binDir, 'xl'), 0o755);
  const environment = (options: XlOptions): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      HOME: dir,
      XEN_GENID_HOST: options.host ?? path,
      ...options.env,
    };
    if (options.crashAt !== undefined) env.XEN_GENID_HOST_CRASH_AT = options.crashAt;
    return env;
  };
  const file = (name: string, text: string): string => {
    const target = join(dir, name);
    writeFileSync(target, text);
    return target;
  };
  return {
    dir,
    path,
    binDir,
    file,
    config: (name, extra = '') =>
      file(`${name}.cfg`, `name = "${name}"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n${extra}`),
    xl(args, options = {}) {
      const result = spawnSync(process.execPath, [XL, ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 180_000,
        env: environment(options),
        input: options.input,
      });
      return { stdout: result.stdout, stderr: result.stderr, status: result.status, signal: result.signal };
    },
    xlFromPipe(source, args, options = {}) {
      const script = 'file=$1 node=$2 xl=$3; shift 3; cat "$file" | "$node" "$xl" "$@"';
      const result = spawnSync('sh', ['-c', script, 'sh', source, process.execPath, XL, ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 180_000,
        env: environment(options),
      });
      return { stdout: result.stdout, stderr: result.stderr, status: result.status, signal: result.signal };
    },
    xlKilledAfter(args, delayMs, options = {}) {
      const receiver = options.victim === 'receiver';
      rmSync(pidFile, { force: true });
      // Every run records a migration receiver's pid: a receiver outlives a killed sender for a moment.
      const env = { ...environment(options), XL_PID_FILE: pidFile };
      const started = performance.now();
      const child = spawn(process.execPath, [XL, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      let killed = false;
      const running = () => child.exitCode === null && child.signalCode === null;
      let timer: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      let receiverStarted: number | undefined;
      if (receiver) {
        // The receiver's clock starts when it does (its pid appears); the kill comes `delayMs` later.
        poll = setInterval(() => {
          const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
          if (!(pid > 0)) return;
          clearInterval(poll);
          receiverStarted = performance.now();
          timer = setTimeout(() => {
            try {
              process.kill(pid, 'SIGKILL');
              killed = running();
            } catch {
              // it has ended already
            }
          }, delayMs);
        }, 5);
      } else {
        timer = setTimeout(() => {
          if (running()) killed = child.kill('SIGKILL');
        }, delayMs);
      }
      // 'close' waits for xl's stdout and stderr to end; a receiver whose sender was killed may still
      // be cleaning up after that, so the run ends when it has exited too.
      return new Promise((resolve) => {
        child.on('close', (status, signal) => {
          clearTimeout(timer);
          clearInterval(poll);
          const ms = performance.now() - (receiverStarted ?? started);
          const result = { stdout, stderr, status, signal, ms, killed: killed && (receiver || signal === 'SIGKILL') };
          const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
          const alive = (): boolean => {
            try {
              process.kill(pid, 0);
              return true;
            } catch {
              return false;
            }
          };
          const deadline = performance.now() + 60_000;
          const wait = (): void => {
            if (pid > 0 && alive() && performance.now() < deadline) setTimeout(wait, 10);
            else resolve(result);
          };
          wait();
        });
      });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One domain as the host holds it, with each view of its ID as 32 hex digits (null: absent). */
export interface DomainViews {
  readonly domid: number;
  readonly name: string | null;
  readonly uuid: string;
  readonly paused: boolean;
  readonly config: string | null;
  readonly xenstore: string | null;
  readonly memory: string | null;
}

/**
 * Every guest domain of the host file at `path`. Opening it runs the host's recovery first, with the
 * guest model bound as `xl` binds it, so a guest the recovery resumes runs as it would under `xl`.
 */
export function domainViews(path: string): DomainViews[] {
  const host = openHost(path, { guestModel: libxlGuestModel });
  const xs = host.store.connect(0);
  try {
    const text = (node: string): string | null => {
      const value = xs.tryRead(node);
      return value === undefined ? null : Buffer.from(value).toString('utf8');
    };
    return host.hypervisor
      .listDomains()
      .filter((domain) => domain.domid !== 0)
      .map(({ domid, uuid, paused }) => {
        const stored = retrieveUserdataText(host.userdata, domid, USERDATA_LIBXL_JSON);
        const key = text(`${domainPath(domid)}/${PLATFORM_GENERATION_ID_KEY}`);
        const address = host.hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
        let memory: string | null = null;
        if (address !== 0n) {
          const guest = createGuestMemory(host.hypervisor, domid);
          memory = guest.isPopulated(address, 16) ? Buffer.from(guest.read(address, 16)).toString('hex') : null;
        }
        return {
          domid,
          uuid,
          paused,
          name: text(`${domainPath(domid)}/name`),
          config: stored === undefined ? null : genidOfConfig(domainConfigFromJsonText(stored)).toHex(),
          xenstore: key === null ? null : MsVmGenid.fromXenstore(key).toHex(),
          memory,
        };
      });
  } finally {
    xs.close();
    host.close();
  }
}

/** The problems of a domain's views: its three IDs disagree, or it has lost its name or config. */
export function viewProblems(domain: DomainViews): string[] {
  const problems: string[] = [];
  if (domain.name === null) problems.push(`domain ${domain.domid} has no name`);
  if (domain.config === null) problems.push(`domain ${domain.domid} has no stored config`);
  if (domain.config !== domain.xenstore || domain.config !== domain.memory) {
    problems.push(`domain ${domain.domid}: config ${domain.config}, xenstore ${domain.xenstore}, memory ${domain.memory}`);
  }
  return problems;
}
