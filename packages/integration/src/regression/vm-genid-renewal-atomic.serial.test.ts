/**
 * `xl vm-genid --new/--set` changes the stored config, xenstore and guest memory as one: a process
 * killed after any of its writes, or several runs at once, never leave the three disagreeing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHostWithGuest, domainViews, viewProblems, type XlHost } from './xl-host.ts';

let world: XlHost | undefined;
afterEach(() => world?.cleanup());

describe('xl vm-genid renewal', () => {
  it.each([
    ['--new', 'xenstore.committed'],
    ['--new', 'xenstore.commit'],
    ['--set', 'xenstore.committed'],
  ])('%s killed at %s: the three views still agree', (flag, step) => {
    const host = (world = createXlHostWithGuest('vm-genid-atomic'));
    const args = flag === '--new' ? ['vm-genid', '--new', 'guest'] : ['vm-genid', '--set', 'hex:00112233445566778899aabbccddeeff', 'guest'];
    const killed = host.xl(args, { crashAt: step });
    expect(killed.signal).toBe('SIGKILL');
    const after = domainViews(host.path);
    expect(after.map((domain) => domain.name)).toEqual(['guest']);
    expect(after.flatMap(viewProblems)).toEqual([]);
  }, 240_000);

  it('four runs at once, three rounds: the three views agree after each round', async () => {
    const host = (world = createXlHostWithGuest('vm-genid-atomic'));
    for (let round = 0; round < 3; round += 1) {
      const runs = await Promise.all(Array.from({ length: 4 }, () => host.xlKilledAfter(['vm-genid', '--new', 'guest'], 200_000)));
      for (const run of runs) expect(run.stderr, run.stderr).not.toMatch(/^\s+at /m);
      expect(runs.map((run) => run.status)).toEqual([0, 0, 0, 0]);
      expect(domainViews(host.path).flatMap(viewProblems)).toEqual([]);
    }
  }, 300_000);
});
