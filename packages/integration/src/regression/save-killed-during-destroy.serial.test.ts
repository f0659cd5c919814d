/**
 * `xl save` killed once it has begun destroying the domain: the whole image is already at the
 * target (complete and synced before the destroy starts), so the guest comes back from it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHost, domainViews, viewProblems, type XlHost } from './xl-host.ts';

let host: XlHost | undefined;
afterEach(() => host?.cleanup());

describe('a save killed during its destroy', () => {
  it.each(['xenstore.committed#1', 'hypervisor.destroyDomain'])('killed at %s: the image is at the target and restores', (step) => {
    host = createXlHost('save-killed');
    const world = host;
    expect(world.xl(['create', world.config('guest')]).status).toBe(0);
    const target = join(world.dir, 'guest.save');
    const killed = world.xl(['save', 'guest', target], { crashAt: step });
    expect(killed.signal).toBe('SIGKILL');
    expect(readdirSync(world.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(domainViews(world.path)).toEqual([]);
    const restore = world.xl(['restore', target]);
    expect(restore.stderr).not.toMatch(/^\s+at /m);
    expect(restore.status).toBe(0);
    const after = domainViews(world.path);
    expect(after.map((domain) => domain.name)).toEqual(['guest']);
    expect(after.flatMap(viewProblems)).toEqual([]);
  }, 240_000);
});
