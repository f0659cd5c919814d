/**
 * Every crash point of every operation: each operation is run once with its steps traced, then once
 * per step it reached, killed there (`XEN_GENID_HOST_CRASH_AT=<step>#<n>`), each time on a copy of
 * the same prepared host file. The next `xl` (here `xl list`, on every host file involved) finishes
 * or rolls back what the dead process left, and then: every domain that was healthy before is still
 * there (or, for the domain the operation acted on, is where the operation may have put it), running,
 * with its stored config, xenstore and guest memory agreeing on its ID; no domain is left renamed
 * (`--incoming`, `--migratedaway`); a domain a save took away comes back from its file; a migrated
 * guest runs in at most one place and is paused (for the user to resume) only when the other end may
 * run it. The steps come from the code's list of crash points (`CRASH_POINTS`): one no operation
 * reaches fails the sweep, so a new crash point is swept as soon as it exists.
 */
import { join } from 'node:path';
import { CRASH_POINTS, MEMORY_FILE_CHUNKS_ENV, crashPointOf } from '@xen-genid/host';
import { afterAll, describe, expect, it } from 'vitest';
import { expectWholeAfterCrash, placedViews, type Outcome } from './crash-invariants.ts';
import { copyXlHost, createXlHost, type XlHost, type XlOptions } from './xl-host.ts';

const NEW_ID = '0123456789abcdef0123456789abcdef';
const TRACE = 'trace-only';

type Armed = 'xl' | 'sender' | 'receiver';

interface Operation {
  readonly name: string;
  readonly armed: Armed;
  readonly outcome: Outcome;
  /** Run once; every step's run starts from a copy of what it leaves. */
  prepare(world: XlHost): void;
  /** The environment of the armed run. */
  readonly env?: Readonly<Record<string, string>>;
  readonly args: (world: XlHost) => string[];
}

const guestConfig = (world: XlHost): string => world.config('guest', 'on_reboot = "restart"\n');

function prepareGuests(world: XlHost): void {
  expect(world.xl(['create', guestConfig(world)]).status).toBe(0);
  expect(world.xl(['create', world.config('other')]).status).toBe(0);
}

const targetOf = (world: XlHost): string => join(world.dir, 'target.db');

/** `xl migrate` to the world's second host file, the crash armed on one side only. */
function migrate(armed: 'sender' | 'receiver'): Operation {
  return {
    name: `migrate (${armed})`,
    armed,
    outcome: { kind: 'migrated' },
    prepare: prepareGuests,
    args: (world) => ['migrate', '-s', 'env', 'guest', `__RECEIVER_ENV__ XEN_GENID_HOST=${targetOf(world)}`],
  };
}

const OPERATIONS: readonly Operation[] = [
  {
    name: 'create',
    armed: 'xl',
    outcome: { kind: 'created' },
    prepare: (world) => {
      expect(world.xl(['create', world.config('other')]).status).toBe(0);
      guestConfig(world);
    },
    args: () => ['create', 'guest.cfg'],
  },
  { name: 'save', armed: 'xl', outcome: { kind: 'saved-away', file: 'guest.save' }, prepare: prepareGuests, args: () => ['save', 'guest', 'guest.save'] },
  { name: 'save -c', armed: 'xl', outcome: { kind: 'kept' }, prepare: prepareGuests, args: () => ['save', '-c', 'guest', 'guest.save'] },
  {
    name: 'restore',
    armed: 'xl',
    outcome: { kind: 'restored' },
    prepare: (world) => {
      prepareGuests(world);
      expect(world.xl(['save', 'guest', 'guest.save']).status).toBe(0);
    },
    args: () => ['restore', 'guest.save'],
  },
  {
    // Every chunk of the guest's memory in a memory file of its own (as a large guest's restore).
    name: 'restore (memory file)',
    armed: 'xl',
    outcome: { kind: 'restored' },
    env: { [MEMORY_FILE_CHUNKS_ENV]: '1' },
    prepare: (world) => {
      prepareGuests(world);
      expect(world.xl(['save', 'guest', 'guest.save']).status).toBe(0);
    },
    args: () => ['restore', 'guest.save'],
  },
  { name: 'destroy', armed: 'xl', outcome: { kind: 'destroyed' }, prepare: prepareGuests, args: () => ['destroy', 'guest'] },
  { name: 'reboot', armed: 'xl', outcome: { kind: 'kept' }, prepare: prepareGuests, args: () => ['reboot', 'guest'] },
  { name: 'vm-genid --new', armed: 'xl', outcome: { kind: 'renewed' }, prepare: prepareGuests, args: () => ['vm-genid', '--new', 'guest'] },
  { name: 'vm-genid --set', armed: 'xl', outcome: { kind: 'renewed', to: NEW_ID }, prepare: prepareGuests, args: () => ['vm-genid', '--set', NEW_ID, 'guest'] },
  migrate('sender'),
  migrate('receiver'),
];

/** Runs the operation with `spec` armed on its side (`TRACE`: steps printed, nothing killed). */
function runArmed(world: XlHost, operation: Operation, spec: string): ReturnType<XlHost['xl']> {
  const armedEnv = `XEN_GENID_HOST_CRASH_AT=${spec} XEN_GENID_HOST_TRACE_STEPS=${spec === TRACE ? 1 : 0}`;
  const receiverEnv = operation.armed === 'receiver' ? armedEnv : 'XEN_GENID_HOST_CRASH_AT= XEN_GENID_HOST_TRACE_STEPS=0';
  const args = operation.args(world).map((arg) => arg.replace('__RECEIVER_ENV__', receiverEnv));
  const options: XlOptions =
    operation.armed === 'receiver' ? {} : { crashAt: spec, env: { ...operation.env, XEN_GENID_HOST_TRACE_STEPS: spec === TRACE ? '1' : '0' } };
  return world.xl(args, options);
}

/** Each step the operation reaches, as `<step>#<n>` (the n-th time it reaches that step). */
function stepsOf(prepared: XlHost, operation: Operation): string[] {
  const world = copyXlHost(prepared, 'sweep-trace');
  try {
    const traced = runArmed(world, operation, TRACE);
    expect(traced.status, traced.stderr).toBe(0);
    const seen = new Map<string, number>();
    return [...traced.stderr.matchAll(/^step (\S+)$/gm)].map(([, step]) => {
      const count = (seen.get(step!) ?? 0) + 1;
      seen.set(step!, count);
      return `${step}#${count}`;
    });
  } finally {
    world.cleanup();
  }
}

const worlds: XlHost[] = [];
afterAll(() => {
  for (const world of worlds) world.cleanup();
});

const reached = new Set<string>();

describe.each(OPERATIONS)('a crash at each step of $name', (operation) => {
  it('leaves every domain whole after the next command', () => {
    const prepared = createXlHost('sweep');
    worlds.push(prepared);
    operation.prepare(prepared);
    const before = placedViews([prepared.path, targetOf(prepared)]);
    const steps = stepsOf(prepared, operation);
    expect(steps.length).toBeGreaterThan(0);
    console.log(`${operation.name}: ${steps.length} steps: ${steps.join(' ')}`);
    for (const spec of steps) {
      const step = spec.split('#')[0]!;
      expect(crashPointOf(step), `${step} is not in CRASH_POINTS`).toBeDefined();
      reached.add(crashPointOf(step)!);
      const world = copyXlHost(prepared, 'sweep-step');
      try {
        const run = runArmed(world, operation, spec);
        if (operation.armed !== 'receiver') expect(run.signal, `${operation.name} at ${spec}: ${run.stderr}`).toBe('SIGKILL');
        try {
          const hosts = [world.path, targetOf(world)];
          const beforeHere = before.map((domain) => ({ ...domain, host: hosts[[prepared.path, targetOf(prepared)].indexOf(domain.host)]! }));
          expectWholeAfterCrash(world, hosts, operation.outcome, beforeHere);
        } catch (error) {
          throw new Error(`${operation.name} killed at ${spec}: ${(error as Error).message}`, { cause: error });
        }
      } finally {
        world.cleanup();
      }
    }
  }, 600_000);
});

describe('the sweep', () => {
  it('reached every crash point the code lists', () => {
    expect(Object.keys(CRASH_POINTS).filter((point) => !reached.has(point))).toEqual([]);
  });
});
