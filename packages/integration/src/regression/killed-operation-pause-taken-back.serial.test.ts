/**
 * An operation killed while the domain it paused is still paused: the next `xl` takes the pause
 * back (the guest runs on, its ID unchanged), instead of leaving a paused domain nobody resumes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHost, domainViews, viewProblems, type XlHost } from './xl-host.ts';

let host: XlHost | undefined;
afterEach(() => host?.cleanup());

describe('a save killed while its domain is paused', () => {
  it.each([[[]], [['-c']]])('xl save %j killed right after the pause: the guest runs again', (flags) => {
    host = createXlHost('paused-left');
    const world = host;
    expect(world.xl(['create', world.config('guest')]).status).toBe(0);
    const before = domainViews(world.path);
    const killed = world.xl(['save', ...flags, 'guest', 'guest.save'], { crashAt: 'hypervisor.pauseDomain' });
    expect(killed.signal).toBe('SIGKILL');
    // No image was made: nothing stands at the target, not even an empty file.
    expect(existsSync(join(world.dir, 'guest.save'))).toBe(false);
    const list = world.xl(['list', 'guest']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^guest\s+\d+\s+\d+\s+\d+\s+-b----/m);
    const after = domainViews(world.path);
    expect(after.map(({ name, paused, config }) => ({ name, paused, config }))).toEqual(
      before.map(({ name, config }) => ({ name, paused: false, config })),
    );
    expect(after.flatMap(viewProblems)).toEqual([]);
  }, 240_000);

  it('xl create killed once the domain is complete but before it starts: removed, as any half-done create', () => {
    host = createXlHost('paused-create');
    const world = host;
    const killed = world.xl(['create', world.config('guest')], { crashAt: 'xenstore.introduced' });
    expect(killed.signal).toBe('SIGKILL');
    expect(world.xl(['list']).status).toBe(0);
    expect(domainViews(world.path)).toEqual([]);
    expect(world.xl(['create', world.config('guest')]).status).toBe(0);
  }, 240_000);

  it('xl create -p and xl pause still leave the domain paused, as asked', () => {
    host = createXlHost('paused-asked');
    const world = host;
    expect(world.xl(['create', '-p', world.config('first')]).status).toBe(0);
    expect(world.xl(['create', world.config('second')]).status).toBe(0);
    expect(world.xl(['pause', 'second']).status).toBe(0);
    expect(world.xl(['list']).status).toBe(0);
    expect(domainViews(world.path).map(({ name, paused }) => ({ name, paused }))).toEqual([
      { name: 'first', paused: true },
      { name: 'second', paused: true },
    ]);
  }, 240_000);
});
