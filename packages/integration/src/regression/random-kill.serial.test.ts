/**
 * `kill -9` at random moments: each operation's length is measured first (a run left to finish),
 * then the operations are run again and again, each killed after a delay drawn uniformly from zero
 * to that length, and after every kill the next command must find every domain whole (see
 * `crash-invariants.ts`). Several operations share a host file, one after another, so the file
 * carries what every earlier kill left. The delays come from a fixed-seed generator whose seed is
 * printed (`XEN_GENID_KILL_SEED=<seed>` runs the same delays again).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectWholeAfterCrash, type Outcome } from './crash-invariants.ts';
import { createXlHost, domainViews, type XlHost } from './xl-host.ts';

const KILLS = 200;
const SEED = Number(process.env.XEN_GENID_KILL_SEED ?? 0x5eed17);

/** mulberry32: a small PRNG with a 32-bit state, the same sequence for the same seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Operation {
  readonly name: string;
  readonly args: readonly string[];
  readonly outcome: Outcome;
  /** Whether it can run now: `guest` exists, or it does not. */
  readonly needsGuest: boolean;
}

const NEW_ID = 'fedcba9876543210fedcba9876543210';
const OPERATIONS: readonly Operation[] = [
  { name: 'create', args: ['create', 'guest.cfg'], outcome: { kind: 'created' }, needsGuest: false },
  { name: 'save', args: ['save', 'guest', 'guest.save'], outcome: { kind: 'saved-away', file: 'guest.save' }, needsGuest: true },
  { name: 'save -c', args: ['save', '-c', 'guest', 'guest.save'], outcome: { kind: 'kept' }, needsGuest: true },
  { name: 'destroy', args: ['destroy', 'guest'], outcome: { kind: 'destroyed' }, needsGuest: true },
  { name: 'reboot', args: ['reboot', 'guest'], outcome: { kind: 'kept' }, needsGuest: true },
  { name: 'vm-genid --new', args: ['vm-genid', '--new', 'guest'], outcome: { kind: 'renewed' }, needsGuest: true },
  { name: 'vm-genid --set', args: ['vm-genid', '--set', NEW_ID, 'guest'], outcome: { kind: 'renewed', to: NEW_ID }, needsGuest: true },
  { name: 'restore', args: ['restore', 'guest.save'], outcome: { kind: 'restored' }, needsGuest: false },
];

const worlds: XlHost[] = [];
afterAll(() => {
  for (const world of worlds) world.cleanup();
});

function newWorld(): XlHost {
  const world = createXlHost('random-kill');
  worlds.push(world);
  world.config('guest', 'on_reboot = "restart"\n');
  expect(world.xl(['create', world.config('other')]).status).toBe(0);
  expect(world.xl(['create', 'guest.cfg']).status).toBe(0);
  return world;
}

/**
 * Runs random operations on host files of its own, each killed after a delay drawn uniformly over
 * its length, until `kills` runs were killed before they finished; checks every domain after each.
 * Returns how many runs it took.
 */
async function killLoop(lengths: ReadonlyMap<string, number>, seed: number, kills: number): Promise<number> {
  const random = generator(seed);
  let killed = 0;
  let attempts = 0;
  let world = newWorld();
  while (killed < kills) {
    attempts += 1;
    expect(attempts, 'too few runs were killed before they finished').toBeLessThan(kills * 3);
    // A fresh host file now and then: many operations share one, and setting one up costs little.
    if (attempts % 50 === 0) world = newWorld();
    const guest = hasGuest(world);
    const candidates = OPERATIONS.filter(
      (operation) => operation.needsGuest === guest && (operation.name !== 'restore' || existsSync(join(world.dir, 'guest.save'))),
    );
    const operation = candidates[Math.floor(random() * candidates.length)]!;
    const delay = random() * lengths.get(operation.name)!;
    const before = domainViews(world.path);
    const run = await world.xlKilledAfter(operation.args, delay);
    if (run.killed) killed += 1;
    try {
      if (!run.killed) expect(run.status, run.stderr).toBe(0);
      expectWholeAfterCrash(world, [world.path], operation.outcome, before, { list: false });
    } catch (error) {
      const context = `${operation.name} killed after ${Math.round(delay)} ms (seed ${seed}, run ${attempts})`;
      throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
    }
  }
  return attempts;
}

const hasGuest = (world: XlHost): boolean => domainViews(world.path).some((domain) => domain.name === 'guest');

describe('xl killed with SIGKILL at random moments', () => {
  it(`${KILLS} kills spread over each operation's length leave every domain whole`, async () => {
    console.log(`random kill seed ${SEED} (XEN_GENID_KILL_SEED=${SEED} to repeat)`);
    // Each operation's whole length, measured on a world of its own, left to finish.
    const lengths = new Map<string, number>();
    const measuring = newWorld();
    // An order in which each can run: the guest saved away, restored, destroyed, created again.
    const order = ['save -c', 'vm-genid --new', 'vm-genid --set', 'reboot', 'save', 'restore', 'destroy', 'create'];
    for (const operation of order.map((name) => OPERATIONS.find((each) => each.name === name)!)) {
      const started = performance.now();
      const run = await measuring.xlKilledAfter(operation.args, 600_000);
      expect(run.status, `${operation.name}: ${run.stderr}`).toBe(0);
      lengths.set(operation.name, performance.now() - started);
    }
    console.log(`lengths (ms): ${[...lengths].map(([name, ms]) => `${name} ${Math.round(ms)}`).join(', ')}`);

    // Two host files killed at once, each with its own stream of the seed's delays.
    const counts = await Promise.all([0, 1].map((stream) => killLoop(lengths, SEED + stream, KILLS / 2)));
    console.log(`${KILLS} kills in ${counts.reduce((sum, count) => sum + count, 0)} runs`);
  }, 900_000);
});
