/**
 * Several of Xen's test-xenstore processes at once against one server: real libxenstore clients
 * racing on transactions (test-xenstore retries EAGAIN itself) and in random mode.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.ts';
import type { XenStore } from './store.ts';
import { createXenstored, type Xenstored } from './xenstored.ts';

const TEST_XENSTORE = '/usr/lib/xen-4.17/bin/test-xenstore';
const referee = findReferee('test-xenstore (xen-utils-4.17)', [TEST_XENSTORE]);

let dir: string;
let store: XenStore;
let server: Xenstored;
let socketPath: string;

function testXenstore(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TEST_XENSTORE, args, { env: { PATH: '/usr/bin:/bin', XENSTORED_PATH: socketPath }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describeWithReferee('test-xenstore processes in parallel against createXenstored', referee, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xs-parallel-'));
    socketPath = join(dir, 'socket');
    store = createMemoryStore();
    server = await createXenstored(store, socketPath);
  });

  afterAll(async () => {
    await server?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('8 processes, 10 iterations of every test each', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => testXenstore(['-i', '10'])));
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toMatch(/failed/);
      expect(result.code).toBe(0);
    }
    expect(store.connect(0).exists('/local/domain/0/xenstore-test')).toBe(false);
  }, 120_000);

  it('4 processes in random mode for 3 seconds', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => testXenstore(['-r', '3'])));
    for (const result of results) {
      expect(result.stdout).not.toMatch(/failed/);
      expect(result.code).toBe(0);
    }
  }, 120_000);
});
