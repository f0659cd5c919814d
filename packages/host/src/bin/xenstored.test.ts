import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithReferee, findReferee, spawnUntil, type SpawnedChild } from '@xen-genid/test-utils';
import { afterEach, expect, it } from 'vitest';
import { hostFile, useTempDir } from '../__fixtures__/temp-dir.ts';
import { MsVmGenid, createLibxl, defaultDomainConfig, libxlGuestModel } from '@xen-genid/xl-lib';
import { openHost } from '../open-host.ts';

const bin = fileURLToPath(new URL('../../dist/bin/xenstored.js', import.meta.url));
const referee = findReferee('xenstore-utils', ['/usr/bin/xenstore-ls', '/usr/bin/xenstore-watch', '/usr/bin/xenstore-write', '/usr/bin/xenstore-read']);
const tempDir = useTempDir();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the built bin and waits for its "serving" line. */
async function startXenstored(args: string[]): Promise<SpawnedChild> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build @xen-genid/host first (pnpm turbo run build --filter=@xen-genid/host...)`);
  const started = await spawnUntil(process.execPath, [bin, ...args], 'serving', 10_000);
  children.push(started.child);
  return started;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

/** A Debian `xenstore-watch` on `path` through `socket`; `seen(text)` waits until it has printed `text`. */
function startWatch(socket: string, path: string): { seen(text: string): Promise<void> } {
  const watch = spawn(referee.paths['/usr/bin/xenstore-watch']!, [path], {
    env: { ...process.env, XENSTORED_PATH: socket },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(watch);
  let printed = '';
  watch.stdout!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
  return {
    async seen(text: string) {
      for (let waited = 0; !printed.includes(text); waited += 20) {
        if (waited > 10_000) throw new Error(`xenstore-watch printed only: ${JSON.stringify(printed)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

function xenstore(tool: string, socket: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(referee.paths[`/usr/bin/${tool}`]!, args, {
    env: { ...process.env, XENSTORED_PATH: socket },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describeWithReferee('xenstored bin with Debian xenstore-utils', referee, () => {
  it('serves a host file: xenstore-ls shows what another process wrote through the host', async () => {
    const dir = tempDir();
    const path = hostFile(dir);
    const socket = join(dir, 'sock');
    const { child } = await startXenstored(['--socket', socket, '--host', path]);
    const host = openHost(path);
    try {
      const xs = host.store.connect(0);
      const domain = host.hypervisor.createDomain({ type: 'hvm' });
      xs.write(`/local/domain/${domain.domid}/platform/generation-id`, '11400714819323198485:123');
      xs.write(`/local/domain/${domain.domid}/name`, 'guest');
      const listed = xenstore('xenstore-ls', socket, [`/local/domain/${domain.domid}`]);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toBe('platform = ""\n generation-id = "11400714819323198485:123"\nname = "guest"\n');
      // And the other way: a write through the socket lands in the host file.
      expect(xenstore('xenstore-write', socket, ['/vm/x', 'from-client']).status).toBe(0);
      expect(xs.readString('/vm/x')).toBe('from-client');
    } finally {
      host.close();
    }
    expect(await stop(child, 'SIGTERM')).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('fires a xenstore-watch started before another process writes', async () => {
    const dir = tempDir();
    const path = hostFile(dir);
    const socket = join(dir, 'sock');
    const { child } = await startXenstored(['--socket', socket, '--host', path]);
    const { seen } = startWatch(socket, '/local/domain');
    await seen('/local/domain\n');
    const host = openHost(path);
    try {
      host.store.connect(0).write('/local/domain/7/platform/generation-id', '1:2');
    } finally {
      host.close();
    }
    await seen('/local/domain/7/platform/generation-id\n');
    expect(await stop(child, 'SIGINT')).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('shows what an xl-lib create wrote, to xenstore-ls and to a xenstore-watch started before it', async () => {
    const dir = tempDir();
    const path = hostFile(dir);
    const socket = join(dir, 'sock');
    const { child } = await startXenstored(['--socket', socket, '--host', path]);
    const { seen } = startWatch(socket, '/local/domain');
    await seen('/local/domain\n');
    const host = openHost(path, { guestModel: libxlGuestModel });
    const libxl = createLibxl({ hypervisor: host.hypervisor, xenstore: host.store, userdata: host.userdata });
    const genid = MsVmGenid.fromWords(11400714819323198485n, 123n);
    let domid: number;
    try {
      const config = defaultDomainConfig('hvm');
      config.createInfo.name = 'genid-guest';
      config.buildInfo.maxMemkb = 65536n;
      config.buildInfo.targetMemkb = 65536n;
      if (config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = genid;
      domid = libxl.createDomain(config, { paused: true });
    } finally {
      libxl.close();
      host.close();
    }
    const listed = xenstore('xenstore-ls', socket, ['-f', `/local/domain/${domid}`]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`/local/domain/${domid}/name = "genid-guest"\n`);
    expect(listed.stdout).toContain(`/local/domain/${domid}/platform/generation-id = "${genid.toXenstore()}"\n`);
    expect(xenstore('xenstore-read', socket, [`/local/domain/${domid}/platform/generation-id`]).stdout).toBe('11400714819323198485:123\n');
    await seen(`/local/domain/${domid}/platform/generation-id\n`);
    await seen(`/local/domain/${domid}/name\n`);
    expect(await stop(child, 'SIGTERM')).toBe(0);
  });

  it('serves an in-memory store without --host', async () => {
    const dir = tempDir();
    const socket = join(dir, 'sock');
    const { child, stderr } = await startXenstored(['--socket', socket]);
    expect(stderr()).toContain('in-memory');
    expect(xenstore('xenstore-write', socket, ['/a', 'b']).status).toBe(0);
    expect(xenstore('xenstore-read', socket, ['/a']).stdout).toBe('b\n');
    expect(await stop(child, 'SIGTERM')).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});

it('xenstored refuses to start without --socket, and on a damaged host file', () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build @xen-genid/host first`);
  const usage = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toContain('Usage: xenstored --socket <path> [--host <file>]');
  const dir = tempDir();
  const bad = join(dir, 'bad.db');
  spawnSync('sh', ['-c', `echo garbage > ${bad}`]);
  const refused = spawnSync(process.execPath, [bin, '--socket', join(dir, 's'), '--host', bad], { encoding: 'utf8' });
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('not a SQLite database');
});
