/**
 * Debian's real libxenstore clients (xenstore-utils 4.17) and Xen's own test-xenstore against our
 * server, through XENSTORED_PATH.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.ts';
import type { XenStore, XsConnection } from './store.ts';
import { createXenstored, type Xenstored } from './xenstored.ts';

const TOOLS = ['write', 'read', 'ls', 'list', 'exists', 'rm', 'chmod', 'watch'].map((name) => `/usr/bin/xenstore-${name}`);
const clients = findReferee('xenstore-* clients (xenstore-utils)', TOOLS);
const testXenstore = findReferee('test-xenstore (xen-utils-4.17)', ['/usr/lib/xen-4.17/bin/test-xenstore']);

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(socketPath: string, tool: string, args: readonly string[]): Promise<Result> {
  const file = tool.startsWith('/') ? tool : `/usr/bin/xenstore-${tool}`;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { PATH: '/usr/bin:/bin', XENSTORED_PATH: socketPath }, timeout: 20_000, encoding: 'latin1' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
let store: XenStore;
let dom0: XsConnection;
let server: Xenstored;
let guestServer: Xenstored;
let socketPath: string;
let guestPath: string;

const setup = () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xs-real-'));
    store = createMemoryStore();
    dom0 = store.connect(0);
    socketPath = join(dir, 'socket');
    guestPath = join(dir, 'guest');
    server = await createXenstored(store, socketPath);
    guestServer = await createXenstored(store, guestPath, { domid: 3 });
  });
  afterAll(async () => {
    await guestServer?.close();
    await server?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
};

describeWithReferee('Debian xenstore-* clients against createXenstored', clients, () => {
  setup();

  it('xenstore-write and xenstore-read round-trip values, escapes and several keys', async () => {
    expect(await run(socketPath, 'write', ['/local/domain/1/platform/generation-id', '11400714819323198485:123'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(dom0.readString('/local/domain/1/platform/generation-id')).toBe('11400714819323198485:123');
    expect(await run(socketPath, 'read', ['/local/domain/1/platform/generation-id'])).toEqual({ code: 0, stdout: '11400714819323198485:123\n', stderr: '' });
    // Several pairs go through one transaction; \ooo and \xNN are unescaped by the client.
    expect((await run(socketPath, 'write', ['/esc/a', 'x\\001y', '/esc/b', 'tab\\there'])).code).toBe(0);
    expect([...dom0.read('/esc/a')]).toEqual([0x78, 1, 0x79]);
    expect(await run(socketPath, 'read', ['/esc/a', '/esc/b'])).toEqual({ code: 0, stdout: 'x\\001y\ntab\\there\n', stderr: '' });
    expect(await run(socketPath, 'read', ['-p', '/esc/b'])).toEqual({ code: 0, stdout: '/esc/b: tab\\there\n', stderr: '' });
    // Relative paths of a socket (dom0) connection land under /local/domain/0.
    expect((await run(socketPath, 'write', ['relkey', 'relval'])).code).toBe(0);
    expect(dom0.readString('/local/domain/0/relkey')).toBe('relval');
  });

  it('xenstore-read of a missing node fails with exit 1', async () => {
    expect(await run(socketPath, 'read', ['/missing/node'])).toEqual({ code: 1, stdout: '', stderr: "xenstore-read: couldn't read path /missing/node\n" });
  });

  it('xenstore-write refuses a request longer than XENSTORE_PAYLOAD_MAX on its own side', async () => {
    expect((await run(socketPath, 'write', ['/b', 'x'.repeat(4093)])).code).toBe(0);
    expect(dom0.read('/b').length).toBe(4093);
    const tooLong = await run(socketPath, 'write', ['/b', 'y'.repeat(4094)]);
    expect(tooLong.code).toBe(1);
    expect(dom0.read('/b').length).toBe(4093);
  });

  it('xenstore-ls prints the tree, with -p permissions, and reports a missing path', async () => {
    dom0.write('/ls/a', 'A');
    dom0.write('/ls/a/deep', 'D');
    dom0.mkdir('/ls/empty');
    dom0.setPerms('/ls/a', [{ id: 0, access: 'n' }, { id: 1, access: 'r' }]);
    expect(await run(socketPath, 'ls', ['/ls'])).toEqual({ code: 0, stdout: 'a = "A"\n deep = "D"\nempty = ""\n', stderr: '' });
    const withPerms = await run(socketPath, 'ls', ['-p', '/ls']);
    expect(withPerms.code).toBe(0);
    expect(withPerms.stdout.split('\n')[0]).toMatch(/^a = "A" [ .]*\(n0,r1\)$/);
    expect(await run(socketPath, 'ls', ['-f', '/ls'])).toEqual({ code: 0, stdout: '/ls/a = "A"\n/ls/a/deep = "D"\n/ls/empty = ""\n', stderr: '' });
    expect(await run(socketPath, 'ls', ['/nope'])).toEqual({ code: 1, stdout: '', stderr: 'xenstore-ls: xs_directory (/nope): No such file or directory\n' });
  });

  it('xenstore-ls lists a directory too long for one reply (DIRECTORY_PART)', async () => {
    const names = Array.from({ length: 250 }, (_, index) => `entry-number-${String(index).padStart(4, '0')}`);
    for (const name of names) dom0.mkdir(`/big/${name}`);
    const result = await run(socketPath, 'list', ['/big']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(names.map((name) => `${name}\n`).join(''));
  });

  it('xenstore-list and xenstore-exists', async () => {
    dom0.write('/list/one', '1');
    dom0.write('/list/two', '2');
    expect(await run(socketPath, 'list', ['/list'])).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
    expect(await run(socketPath, 'list', ['-p', '/list'])).toEqual({ code: 0, stdout: '/list/one\n/list/two\n', stderr: '' });
    expect(await run(socketPath, 'exists', ['/list/one'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await run(socketPath, 'exists', ['/list/three'])).toEqual({ code: 1, stdout: '', stderr: '' });
    expect((await run(socketPath, 'list', ['/list/three'])).code).toBe(1);
  });

  it('xenstore-rm removes subtrees, -t removes empty parents, a missing parent fails', async () => {
    dom0.write('/rm/a/b/c', 'x');
    dom0.write('/rm/keep', 'k');
    expect(await run(socketPath, 'rm', ['/rm/a/b'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(dom0.directory('/rm/a')).toEqual([]);
    expect(await run(socketPath, 'rm', ['/rm/a/missing'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await run(socketPath, 'rm', ['/rm/gone/missing'])).toEqual({ code: 1, stdout: '', stderr: 'xenstore-rm: could not remove path /rm/gone/missing\n' });
    dom0.write('/rmt/x/y', 'v');
    expect((await run(socketPath, 'rm', ['-t', '/rmt/x/y'])).code).toBe(0);
    expect(dom0.exists('/rmt')).toBe(false);
  });

  it('xenstore-chmod sets permissions and rejects a bad letter', async () => {
    dom0.write('/chmod/node', 'v');
    expect(await run(socketPath, 'chmod', ['/chmod/node', 'n0', 'r1', 'b2'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(dom0.getPerms('/chmod/node')).toEqual([{ id: 0, access: 'n' }, { id: 1, access: 'r' }, { id: 2, access: 'b' }]);
    expect((await run(socketPath, 'chmod', ['-r', '/chmod', 'r5'])).code).toBe(0);
    expect(dom0.getPerms('/chmod/node')).toEqual([{ id: 5, access: 'r' }]);
    expect(await run(socketPath, 'chmod', ['/chmod/node', 'x0'])).toEqual({ code: 1, stdout: '', stderr: "xenstore-chmod: Invalid permission specification: 'x'\n" });
    // The client had started a transaction before giving up: the server must not keep it.
    expect(dom0.getPerms('/chmod/node')).toEqual([{ id: 5, access: 'r' }]);
  });

  it('xenstore-watch prints the initial event and then each change', async () => {
    dom0.mkdir('/watched');
    const child = spawn('/usr/bin/xenstore-watch', ['-n', '3', '/watched'], { env: { PATH: '/usr/bin:/bin', XENSTORED_PATH: socketPath } });
    let stdout = '';
    const waiting: Array<() => void> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('latin1');
      for (const wake of waiting.splice(0)) wake();
    });
    const lines = async (count: number): Promise<void> => {
      while (stdout.split('\n').length <= count) await new Promise<void>((resolve) => waiting.push(resolve));
    };
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await lines(1);
      expect((await run(socketPath, 'write', ['/watched/x', '1'])).code).toBe(0);
      await lines(2);
      expect((await run(socketPath, 'rm', ['/watched/x'])).code).toBe(0);
      expect(await exit).toBe(0);
      expect(stdout).toBe('/watched\n/watched/x\n/watched/x\n');
    } finally {
      child.kill();
    }
  });

  describeWithReferee('as an unprivileged domain (server option domid: 3)', clients, () => {
    it('denies what the permissions deny, with the clients\' own messages and exit 1', async () => {
      dom0.write('/private/secret', 's');
      dom0.write('/local/domain/3/readable', 'r');
      dom0.setPerms('/local/domain/3', [{ id: 3, access: 'n' }]);
      dom0.setPerms('/local/domain/3/readable', [{ id: 0, access: 'n' }, { id: 3, access: 'r' }]);
      expect(await run(guestPath, 'read', ['/private/secret'])).toEqual({ code: 1, stdout: '', stderr: "xenstore-read: couldn't read path /private/secret\n" });
      expect(await run(guestPath, 'write', ['/private/secret', 'x'])).toEqual({ code: 1, stdout: '', stderr: 'xenstore-write: could not write path /private/secret\n' });
      expect(await run(guestPath, 'ls', ['/private'])).toEqual({ code: 1, stdout: '', stderr: 'xenstore-ls: xs_directory (/private): Permission denied\n' });
      expect(await run(guestPath, 'rm', ['/private/secret'])).toEqual({ code: 1, stdout: '', stderr: 'xenstore-rm: could not remove path /private/secret\n' });
      expect(await run(guestPath, 'chmod', ['/private/secret', 'b3'])).toEqual({
        code: 1,
        stdout: '',
        stderr: "xenstore-chmod: Error occurred setting permissions on '/private/secret': Permission denied\n",
      });
      expect(await run(guestPath, 'exists', ['/private/secret'])).toEqual({ code: 1, stdout: '', stderr: '' });
      expect(dom0.readString('/private/secret')).toBe('s');
      // What its perms allow works, relative to its home /local/domain/3.
      expect(await run(guestPath, 'read', ['readable'])).toEqual({ code: 0, stdout: 'r\n', stderr: '' });
      expect(await run(guestPath, 'write', ['readable', 'w'])).toEqual({ code: 1, stdout: '', stderr: 'xenstore-write: could not write path readable\n' });
      expect(await run(guestPath, 'write', ['mine', 'v'])).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(dom0.getPerms('/local/domain/3/mine')).toEqual([{ id: 3, access: 'n' }]);
    });
  });
});

describeWithReferee("Xen's test-xenstore against createXenstored", testXenstore, () => {
  setup();

  it('passes every test', async () => {
    const result = await run(socketPath, '/usr/lib/xen-4.17/bin/test-xenstore', []);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const name of ['read 1', 'read 2000', 'write 1', 'write 2000', 'dir', 'rm node', 'rm dir', 'ta empty', 'ta empty x', 'ta rmw', 'ta rmw x', 'ta err']) {
      expect(result.stdout).toMatch(new RegExp(`^${name.padEnd(10)}: \\d+ ns$`, 'm'));
    }
    expect(result.stdout).not.toMatch(/failed/);
    // It cleans up after itself.
    expect(dom0.exists('/local/domain/0/xenstore-test')).toBe(false);
  });

  it('passes as an unprivileged domain in its own home, within 4.17\'s quotas', async () => {
    dom0.mkdir('/local/domain/3');
    dom0.setPerms('/local/domain/3', [{ id: 3, access: 'n' }]);
    const result = await run(guestPath, '/usr/lib/xen-4.17/bin/test-xenstore', []);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    expect(dom0.exists('/local/domain/3/xenstore-test')).toBe(false);
  });
});
