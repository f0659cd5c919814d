/**
 * The `xenstored` bin while another process holds the host file's write lock (a toolstack in the
 * middle of a long write): Debian's clients keep being served, reads at once, and a write waits for
 * the lock instead of failing; a transaction that cannot commit yet is told `EAGAIN`, and Debian's
 * `xenstore-write` of several keys starts it again until it commits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterEach, expect, it } from 'vitest';
import { hostFile, useTempDir } from '../__fixtures__/temp-dir.ts';
import { openHost } from '../open-host.ts';

const bin = fileURLToPath(new URL('../../dist/bin/xenstored.js', import.meta.url));
const holder = fileURLToPath(new URL('../__fixtures__/write-lock-holder.mjs', import.meta.url));
const referee = findReferee('xenstore-utils', ['/usr/bin/xenstore-write', '/usr/bin/xenstore-read', '/usr/bin/xenstore-ls']);
const tempDir = useTempDir();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Started {
  readonly child: ChildProcess;
  /** Resolves once `text` has appeared on the stream. */
  printed(text: string, stream?: 'stdout' | 'stderr'): Promise<void>;
  /** Resolves with the exit status and everything printed. */
  readonly done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  const listeners: (() => void)[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (chunk: string) => {
      output[stream] += chunk;
      for (const listener of listeners) listener();
    });
  }
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (status) => resolve({ status, ...output })),
  );
  return {
    child,
    printed: (text, stream = 'stdout') =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (output[stream].includes(text)) resolve();
        };
        listeners.push(check);
        check();
        void done.then(() => reject(new Error(`${command} ended without printing ${JSON.stringify(text)}: ${JSON.stringify(output)}`)));
      }),
    done,
  };
}

function client(tool: string, socket: string, args: readonly string[]): Started {
  return start(referee.paths[`/usr/bin/${tool}`]!, args, { ...process.env, XENSTORED_PATH: socket });
}

describeWithReferee('xenstored bin while another process holds the write lock', referee, () => {
  it('answers reads and other clients at once, queues a plain write, EAGAINs a transaction until the lock is free', async () => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build @xen-genid/host first`);
    const dir = tempDir();
    const path = hostFile(dir);
    const socket = join(dir, 'socket');
    {
      using host = openHost(path);
      host.store.connect(0).write('/local/domain/1/name', 'guest');
    }
    const server = start(process.execPath, [bin, '--socket', socket, '--host', path]);
    await server.printed('serving', 'stderr');

    const lock = start(process.execPath, [holder, path, '20000']);
    await lock.printed('locked');
    const plain = client('xenstore-write', socket, ['/tool/plain', 'queued']);
    const several = client('xenstore-write', socket, ['/tool/first', '1', '/tool/second', '2']);
    // Let both writes reach xenstored (not a measurement: the reads below must be answered either way).
    await new Promise((resolve) => setTimeout(resolve, 500));

    const read = await client('xenstore-read', socket, ['/local/domain/1/name']).done;
    expect(read).toMatchObject({ status: 0, stdout: 'guest\n' });
    const list = await client('xenstore-ls', socket, ['/local/domain/1']).done;
    expect(list).toMatchObject({ status: 0, stdout: 'name = "guest"\n' });
    // Both were answered while the lock was still held, and neither write could have been applied.
    expect(lock.child.exitCode).toBeNull();
    expect(plain.child.exitCode).toBeNull();
    expect(several.child.exitCode).toBeNull();

    lock.child.stdin!.write('release\n');
    expect((await lock.done).stdout).toBe('locked\nreleased on request\n');
    expect(await plain.done).toMatchObject({ status: 0, stderr: '' });
    expect(await several.done).toMatchObject({ status: 0, stderr: '' });
    const values = await client('xenstore-read', socket, ['/tool/plain', '/tool/first', '/tool/second']).done;
    expect(values).toMatchObject({ status: 0, stdout: 'queued\n1\n2\n' });
    server.child.kill('SIGTERM');
    expect((await server.done).status).toBe(0);
  }, 60_000);
});
