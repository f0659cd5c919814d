/**
 * Load: 64 concurrent connections doing mixed reads, writes and transactions for a bounded time.
 * No write may be lost, every committed transaction must be visible, and every conflict must be
 * reported as EAGAIN.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XsClient } from './client.ts';
import { XsError } from './errors.ts';
import { createMemoryStore } from './memory-store.ts';
import type { XenStore } from './store.ts';
import { createXenstored, type Xenstored } from './xenstored.ts';

const CONNECTIONS = 64;
const DURATION_MS = Number(process.env.XEN_GENID_LOAD_MS ?? 4_000);

let dir: string;
let store: XenStore;
let server: Xenstored;
let socketPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xs-load-'));
  socketPath = join(dir, 'socket');
  store = createMemoryStore();
  server = await createXenstored(store, socketPath);
});

afterAll(async () => {
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Tally {
  writes: number;
  reads: number;
  commits: number;
  conflicts: number;
  pairCommits: number;
  lastValues: Map<string, string>;
}

async function worker(index: number, deadline: number): Promise<Tally> {
  const client = await XsClient.connect(socketPath);
  const tally: Tally = { writes: 0, reads: 0, commits: 0, conflicts: 0, pairCommits: 0, lastValues: new Map() };
  const home = `/load/c${index}`;
  try {
    // At least one round each, however loaded the machine is.
    for (let step = 0; step === 0 || Date.now() < deadline; step += 1) {
      // Plain write and read back.
      const key = `${home}/k${step % 8}`;
      const value = `${index}:${step}`;
      await client.write(key, value);
      tally.writes += 1;
      tally.lastValues.set(key, value);
      expect(await client.readString(key)).toBe(value);
      tally.reads += 1;
      // Read somebody else's area: it may or may not exist yet, never anything but ENOENT.
      await client.directory(`/load/c${(index + step) % CONNECTIONS}`).catch((error: unknown) => {
        if (!(XsError.is(error) && error.code === 'ENOENT')) throw error;
      });
      // Contended read-modify-write on one shared counter.
      const transaction = await client.transactionStart();
      try {
        const counter = Number(
          await client.readString('/load/counter', transaction).catch((error: unknown) => {
            if (XsError.is(error) && error.code === 'ENOENT') return '0';
            throw error;
          }),
        );
        await client.write('/load/counter', String(counter + 1), transaction);
        await client.transactionEnd(transaction, true);
        tally.commits += 1;
      } catch (error) {
        if (!(XsError.is(error) && error.code === 'EAGAIN')) throw error;
        tally.conflicts += 1;
      }
      // An uncontended two-key transaction: both keys always move together.
      const pair = await client.transactionStart();
      await client.write(`${home}/pair/a`, value, pair);
      await client.write(`${home}/pair/b`, value, pair);
      await client.transactionEnd(pair, true);
      tally.pairCommits += 1;
      tally.lastValues.set(`${home}/pair/a`, value);
      tally.lastValues.set(`${home}/pair/b`, value);
    }
  } finally {
    await client.close();
  }
  return tally;
}

it(
  `serves ${CONNECTIONS} concurrent connections of mixed traffic without losing anything`,
  async () => {
    const deadline = Date.now() + DURATION_MS;
    const started = Date.now();
    const tallies = await Promise.all(Array.from({ length: CONNECTIONS }, (_, index) => worker(index, deadline)));
    const elapsed = Date.now() - started;
    const dom0 = store.connect(0);
    const total = (field: 'writes' | 'reads' | 'commits' | 'conflicts' | 'pairCommits') => tallies.reduce((sum, tally) => sum + tally[field], 0);
    // Every committed increment is there, none twice: conflicts were all reported as EAGAIN.
    expect(Number(dom0.readString('/load/counter'))).toBe(total('commits'));
    // No lost write: the last value each connection wrote is what the store holds.
    for (const tally of tallies) {
      for (const [key, value] of tally.lastValues) expect(dom0.readString(key)).toBe(value);
    }
    expect(total('pairCommits')).toBeGreaterThanOrEqual(CONNECTIONS);
    expect(total('commits')).toBeGreaterThan(0);
    console.log(
      `${CONNECTIONS} connections, ${elapsed} ms: ${total('writes')} writes, ${total('reads')} reads, ` +
        `${total('commits')} counter commits, ${total('conflicts')} EAGAIN, ${total('pairCommits')} pair commits`,
    );
    expect(server.connectionCount).toBeLessThanOrEqual(CONNECTIONS);
  },
  60_000,
);
