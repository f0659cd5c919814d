/**
 * A toolstack killed while destroying one domain: the next `xl` finishes that destroy and touches no
 * other domain, not even one running the same VM (same uuid), as the two ends of a migration on one
 * host or a restored clone do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHost, domainViews, viewProblems, type XlHost } from './xl-host.ts';

const UUID = '6f1c2a3e-8d4b-4e5f-9a0b-1c2d3e4f5a6b';
let world: XlHost | undefined;
afterEach(() => world?.cleanup());

describe('a destroy killed half-way', () => {
  it.each(['xenstore.committed#1', 'xenstore.committed#2', 'hypervisor.destroyDomain'])(
    'killed at %s: only the domain being destroyed goes',
    (step) => {
      world = createXlHost('destroy-crash');
      const host = world;
      expect(host.xl(['create', host.config('first', `uuid = "${UUID}"\n`)]).status).toBe(0);
      expect(host.xl(['create', host.config('second', `uuid = "${UUID}"\n`)]).status).toBe(0);
      expect(host.xl(['create', host.config('other')]).status).toBe(0);
      const killed = host.xl(['destroy', 'first'], { crashAt: step });
      expect(killed.signal).toBe('SIGKILL');
      const list = host.xl(['list']);
      expect(list.status).toBe(0);
      expect(list.stdout).not.toMatch(/^first /m);
      const after = domainViews(host.path);
      expect(after.map((domain) => domain.name).sort()).toEqual(['other', 'second']);
      expect(after.flatMap(viewProblems)).toEqual([]);
    },
    240_000,
  );
});
