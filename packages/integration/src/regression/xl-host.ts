/**
 * The built `xl` run as a user runs it, on a host file of a temp directory, optionally killed with
 * SIGKILL at a named step (`XEN_GENID_HOST_CRASH_AT`), and the three views of every domain's
 * generation ID: libxl's stored config, xenstore `~/platform/generation-id`, and guest memory at HVM
 * param 34 as the guest reads it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';
import { HVM_PARAM_VM_GENERATION_ID_ADDR, PLATFORM_GENERATION_ID_KEY, createGuestMemory, domainPath } from '@xen-genid/xc-params';
import { MsVmGenid, USERDATA_LIBXL_JSON, domainConfigFromJsonText, genidOfConfig, retrieveUserdataText } from '@xen-genid/xl-lib';

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
  /** `xl` started in the background, killed with SIGKILL after `delayMs`, or left to finish. */
  xlKilledAfter(args: readonly string[], delayMs: number, options?: XlOptions): Promise<XlRun & { killed: boolean }>;
  cleanup(): void;
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
  writeFileSync(join(binDir, 'xl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} "$@"\n`);
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
      const child = spawn(process.execPath, [XL, ...args], { cwd: dir, env: environment(options), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      let killed = false;
      const timer = setTimeout(() => {
        killed = child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
      }, delayMs);
      return new Promise((resolve) => {
        child.on('close', (status, signal) => {
          clearTimeout(timer);
          resolve({ stdout, stderr, status, signal, killed: killed && signal === 'SIGKILL' });
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

/** Every guest domain of the host file at `path` (opening it runs the host's recovery first). */
export function domainViews(path: string): DomainViews[] {
  const host = openHost(path);
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
          name: text(`/local/domain/${domid}/name`),
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
