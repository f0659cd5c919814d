/**
 * The real-xen scenarios on our host: the built `xl` on a host file of a temp directory standing in
 * for dom0, its xenstore served by host's `xenstored` bin so that Debian's `xenstore-ls` and
 * `xenstore-read` print it (the tools the scenarios run in dom0), and the host's xenstore trace
 * (`XEN_GENID_XENSTORE_TRACE`) sliced per command as `tmark`/`tend`/`tshow` slice xenstored's in dom0.
 * dom0's `/etc/xen/` (the configs) is the directory, `/var/lib/xen/save/` its `save/` and
 * `/var/lib/xen/images/` (the disk images) its `images/`, in commands and configs: outputs name them
 * as dom0 does.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { spawnUntil } from '@xen-genid/test-utils';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XL } from '../regression/xl-host.ts';
import { REAL_XEN_DIR, type ScenarioResult } from './scenarios.ts';

const XENSTORED = new URL('../../../host/dist/bin/xenstored.js', import.meta.url).pathname;
export const XENSTORE_TOOLS = ['/usr/bin/xenstore-ls', '/usr/bin/xenstore-read'];

export interface OurHost {
  readonly dir: string;
  /** The host file. */
  readonly path: string;
  /**
   * Runs a scenario's shell line as dom0 runs it (`xl` is ours, `xenstore-*` Debian's on our store,
   * `tmark`/`tend`/`tshow` slice our trace), stdout and stderr merged; sleeps are dropped (nothing
   * here runs behind the toolstack's back).
   */
  run(command: string): Omit<ScenarioResult, 'name'>;
  close(): Promise<void>;
}

/** A temp dom0: configs from real-xen/, a host file, the trace, and xenstored serving the host file. */
export async function startOurHost(): Promise<OurHost> {
  for (const file of [XL, XENSTORED]) if (!existsSync(file)) throw new Error(`${file} is missing: build first (pnpm build)`);
  const dir = mkdtempSync(join(tmpdir(), 'real-xen-ours-'));
  const inDir = (text: string): string =>
    text.replaceAll('/etc/xen/', `${dir}/`).replaceAll('/var/lib/xen/save/', `${dir}/save/`).replaceAll('/var/lib/xen/images', `${dir}/images`);
  for (const file of readdirSync(REAL_XEN_DIR)) {
    if (file.endsWith('.cfg')) writeFileSync(join(dir, file), inDir(readFileSync(join(REAL_XEN_DIR, file), 'utf8')));
  }
  const path = join(dir, 'host.db');
  const trace = join(dir, 'xenstored-trace.log');
  const socket = join(dir, 'xenstored.socket');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(join(dir, 'save'));
  const script = (name: string, body: string): void => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  script('xl', `exec "${process.execPath}" "${XL}" "$@"`);
  // As init-dom0.sh makes them in dom0, over our trace.
  writeFileSync(trace, '');
  script('tmark', `stat -c %s "${trace}" > "${dir}/trace-$1.start"`);
  script('tend', `s=$(cat "${dir}/trace-$1.start"); e=$(stat -c %s "${trace}"); echo "$s $e" > "${dir}/trace-$1.end"\ntail -c +$((s+1)) "${trace}" | head -c $((e-s)) > "${dir}/trace-$1.txt"`);
  script('tshow', `echo "# trace bytes $(cat "${dir}/trace-$1.end")"; cat "${dir}/trace-$1.txt"`);
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: dir,
    XEN_GENID_HOST: path,
    XEN_GENID_XENSTORE_TRACE: trace,
    XENSTORED_PATH: socket,
  };
  // The host file exists before xenstored serves it: the first `xl` makes Domain-0's entries, as
  // xen-init-dom0 does before any scenario runs in dom0.
  spawnSync('xl', ['list'], { env, cwd: dir });
  const { child: xenstored } = await spawnUntil(process.execPath, [XENSTORED, '--socket', socket, '--host', path], 'serving', 20_000);
  return {
    dir,
    path,
    run(command) {
      // dom0's /etc/xen is the temp directory.
      const line = inDir(command).replace(/\bsleep \d+; /g, '');
      const result = spawnSync('sh', ['-c', `exec 2>&1; ${line}`], { env, cwd: dir, encoding: 'utf8', timeout: 180_000 });
      const output = (result.stdout ?? '')
        .replaceAll(`${dir}/save/`, '/var/lib/xen/save/')
        .replaceAll(`${dir}/images`, '/var/lib/xen/images')
        .replaceAll(`${dir}/`, '/etc/xen/');
      return { output, rc: result.status ?? 128 };
    },
    async close() {
      await stop(xenstored);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
