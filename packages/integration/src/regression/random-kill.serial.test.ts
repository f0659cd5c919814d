/**
 * `kill -9` at random moments: each operation's length is measured first (a run left to finish),
 * then the operations are run again and again, each killed after a delay drawn uniformly from zero
 * to that length, and after every kill the next command must find every domain whole (see
 * `crash-invariants.ts`). A world is two host files, each with a bystander domain; the guest lives
 * on one of them and `xl migrate` moves it to the other (the sender killed, or the receiver it
 * started). Many operations share a world, one after another, so its files carry what every
 * earlier kill left. The delays come from a fixed-seed generator whose seed is printed
 * (`XEN_GENID_KILL_SEED=<seed>` runs the same delays again).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectWholeAfterCrash, placedViews, type Outcome, type Placed } from './crash-invariants.ts';
import { createXlHost, type XlHost } from './xl-host.ts';

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
  /** Its arguments, given the host file the guest is not on (a migration's destination). */
  readonly args: (peer: string) => readonly string[];
  readonly outcome: Outcome;
  /** Whether it can run now: `guest` exists, or it does not. */
  readonly needsGuest: boolean;
  /** What is killed: `xl` itself, or the receiver of its migration. */
  readonly victim?: 'receiver';
  /** How often it is drawn against the others (default 1). */
  readonly weight?: number;
}

const NEW_ID = 'fedcba9876543210fedcba9876543210';
const migrateArgs = (peer: string): string[] => ['migrate', '-s', 'env', 'guest', `XEN_GENID_HOST=${peer}`];
const OPERATIONS: readonly Operation[] = [
  { name: 'create', args: () => ['create', 'guest.cfg'], outcome: { kind: 'created' }, needsGuest: false },
  { name: 'save', args: () => ['save', 'guest', 'guest.save'], outcome: { kind: 'saved-away', file: 'guest.save' }, needsGuest: true },
  { name: 'save -c', args: () => ['save', '-c', 'guest', 'guest.save'], outcome: { kind: 'kept' }, needsGuest: true },
  // Twice as often: most kills land before xl has started to destroy, and only a guest that is
  // gone lets create and restore be drawn.
  { name: 'destroy', args: () => ['destroy', 'guest'], outcome: { kind: 'destroyed' }, needsGuest: true, weight: 2 },
  { name: 'reboot', args: () => ['reboot', 'guest'], outcome: { kind: 'kept' }, needsGuest: true },
  { name: 'vm-genid --new', args: () => ['vm-genid', '--new', 'guest'], outcome: { kind: 'renewed' }, needsGuest: true },
  { name: 'vm-genid --set', args: () => ['vm-genid', '--set', NEW_ID, 'guest'], outcome: { kind: 'renewed', to: NEW_ID }, needsGuest: true },
  // One migration in the draw, as often as any other operation (it takes twice as long): its
  // sender or its receiver killed.
  { name: 'migrate (sender)', args: migrateArgs, outcome: { kind: 'migrated' }, needsGuest: true, weight: 0.5 },
  { name: 'migrate (receiver)', args: migrateArgs, outcome: { kind: 'migrated' }, needsGuest: true, victim: 'receiver', weight: 0.5 },
  { name: 'restore', args: () => ['restore', 'guest.save'], outcome: { kind: 'restored' }, needsGuest: false },
];

/** Per operation: runs, kills, and the time they took until the next check. */
type Tally = Map<string, { runs: number; kills: number; ms: number }>;

/** Two host files, each with a bystander; the guest on `hosts[current]` (or, when gone, last there). */
interface World {
  readonly xl: XlHost;
  readonly hosts: readonly [string, string];
  current: 0 | 1;
}

const worlds: XlHost[] = [];
afterAll(() => {
  for (const world of worlds) world.cleanup();
});

function newWorld(): World {
  const xl = createXlHost('random-kill');
  worlds.push(xl);
  const hosts = [xl.path, join(xl.dir, 'peer.db')] as const;
  xl.config('guest', 'on_reboot = "restart"\n');
  for (const host of hosts) expect(xl.xl(['create', xl.config('other')], { host }).status).toBe(0);
  expect(xl.xl(['create', 'guest.cfg']).status).toBe(0);
  // A save image from the start, so a restore can be drawn whenever the guest is gone (a save
  // killed before its rename leaves the image before it whole).
  expect(xl.xl(['save', '-c', 'guest', 'guest.save']).status).toBe(0);
  return { xl, hosts, current: 0 };
}

/**
 * After a migration: one guest, running, as a user leaves it (a paused copy the other end runs is
 * destroyed; a paused one alone is resumed); the world follows it to its host file.
 */
function settleMigration(world: World, domains: readonly Placed[]): void {
  const guests = domains.filter((domain) => domain.name === 'guest');
  const kept = guests.find((domain) => !domain.paused) ?? guests[0]!;
  for (const copy of guests.filter((domain) => domain !== kept)) {
    expect(world.xl.xl(['destroy', String(copy.domid)], { host: copy.host }).status).toBe(0);
  }
  if (kept.paused) expect(world.xl.xl(['unpause', 'guest'], { host: kept.host }).status).toBe(0);
  world.current = world.hosts.indexOf(kept.host as (typeof world.hosts)[number]) as 0 | 1;
}

/**
 * Runs random operations on worlds of its own, each killed after a delay drawn uniformly over its
 * length, until `kills` runs were killed before they finished; checks every domain after each.
 * Returns how many runs it took.
 */
async function killLoop(lengths: ReadonlyMap<string, number>, seed: number, kills: number, tally: Tally): Promise<number> {
  const random = generator(seed);
  let killed = 0;
  let attempts = 0;
  let world = newWorld();
  // What the last check left (a migration settled, or a new world, reads them again).
  let before: Placed[] | undefined;
  while (killed < kills) {
    attempts += 1;
    expect(attempts, 'too few runs were killed before they finished').toBeLessThan(kills * 3);
    // A fresh world now and then: many operations share one, and setting one up costs little.
    if (attempts % 50 === 0) [world, before] = [newWorld(), undefined];
    before ??= placedViews(world.hosts);
    const guest = before.some((domain) => domain.name === 'guest');
    const candidates = OPERATIONS.filter(
      (operation) => operation.needsGuest === guest && (operation.name !== 'restore' || existsSync(join(world.xl.dir, 'guest.save'))),
    );
    let point = random() * candidates.reduce((sum, each) => sum + (each.weight ?? 1), 0);
    const operation = candidates.find((each) => (point -= each.weight ?? 1) < 0) ?? candidates[candidates.length - 1]!;
    const delay = random() * lengths.get(operation.name)!;
    const host = world.hosts[world.current];
    const peer = world.hosts[1 - world.current]!;
    const started = performance.now();
    const run = await world.xl.xlKilledAfter(operation.args(peer), delay, { host, ...(operation.victim ? { victim: operation.victim } : {}) });
    if (run.killed) killed += 1;
    const counts = tally.get(operation.name) ?? { runs: 0, kills: 0, ms: 0 };
    tally.set(operation.name, { runs: counts.runs + 1, kills: counts.kills + (run.killed ? 1 : 0), ms: counts.ms + performance.now() - started });
    try {
      if (!run.killed) expect(run.status, run.stderr).toBe(0);
      before = expectWholeAfterCrash(world.xl, [host, peer], operation.outcome, before, { list: false });
      if (operation.outcome.kind === 'migrated') {
        settleMigration(world, before);
        before = undefined;
      }
    } catch (error) {
      const context = `${operation.name} killed after ${Math.round(delay)} ms (seed ${seed}, run ${attempts})`;
      throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
    }
  }
  return attempts;
}

describe('xl killed with SIGKILL at random moments', () => {
  it(`${KILLS} kills spread over each operation's length leave every domain whole`, async () => {
    console.log(`random kill seed ${SEED} (XEN_GENID_KILL_SEED=${SEED} to repeat)`);
    // Each operation's whole length, measured on a world of its own, left to finish.
    const lengths = new Map<string, number>();
    const measuring = newWorld();
    // An order in which each can run: the guest saved away, restored, destroyed, created again,
    // migrated to the other host file and back.
    const order = ['save -c', 'vm-genid --new', 'vm-genid --set', 'reboot', 'save', 'restore', 'destroy', 'create', 'migrate (sender)', 'migrate (receiver)'];
    for (const operation of order.map((name) => OPERATIONS.find((each) => each.name === name)!)) {
      const [host, peer] = [measuring.hosts[measuring.current], measuring.hosts[1 - measuring.current]!];
      const run = await measuring.xl.xlKilledAfter(operation.args(peer), 600_000, { host, ...(operation.victim ? { victim: operation.victim } : {}) });
      expect(run.status, `${operation.name}: ${run.stderr}`).toBe(0);
      // A receiver's length runs from its own start (its kills are timed from then).
      lengths.set(operation.name, run.ms);
      if (operation.outcome.kind === 'migrated') settleMigration(measuring, placedViews(measuring.hosts));
    }
    console.log(`lengths (ms): ${[...lengths].map(([name, ms]) => `${name} ${Math.round(ms)}`).join(', ')}`);

    // Two worlds killed at once, each with its own stream of the seed's delays.
    const tally: Tally = new Map();
    const counts = await Promise.all([0, 1].map((stream) => killLoop(lengths, SEED + stream, KILLS / 2, tally)));
    console.log(`${KILLS} kills in ${counts.reduce((sum, count) => sum + count, 0)} runs`);
    console.log([...tally].map(([name, { runs, kills, ms }]) => `${name}: ${kills} kills in ${runs} runs, ${Math.round(ms / 1000)} s`).join('\n'));
  }, 900_000);
});
