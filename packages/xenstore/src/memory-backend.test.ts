import { describe, expect, it } from 'vitest';
import { ChildList } from './child-list.ts';
import { createMemoryBackend, shareMemoryBackend, type MemoryBackend } from './memory-backend.ts';
import { createXenStore } from './store.ts';
import { defineBackendConformance } from './testing/index.ts';

defineBackendConformance({ describe, it }, { name: 'memory', createBackend: () => createMemoryBackend() });
defineBackendConformance(
  { describe, it },
  {
    name: 'memory, shared with a change log',
    createBackend: () => createMemoryBackend({ changeLog: true }),
    openSecondBackend: (backend) => shareMemoryBackend(backend as MemoryBackend),
  },
);

describe('shared memory storage', () => {
  it('delivers another store\'s changes on poll(), each once, and trims the log', () => {
    const backend = createMemoryBackend({ changeLog: true });
    const storeA = createXenStore(backend);
    const storeB = createXenStore(shareMemoryBackend(backend));
    const a = storeA.connect(0);
    const b = storeB.connect(0);
    b.watch('@introduceDomain', 'intro');
    a.watch('/x', 'own');
    b.takeWatchEvents();
    a.takeWatchEvents();
    a.introduceDomain(4);
    a.write('/x', '1');
    expect(a.takeWatchEvents()).toEqual([{ path: '/x', token: 'own' }]);
    expect(storeB.poll()).toBe(2);
    expect(b.takeWatchEvents()).toEqual([{ path: '@introduceDomain', token: 'intro' }]);
    expect(storeA.poll()).toBe(2);
    // storeA skips its own changes: it fired them when it committed.
    expect(a.takeWatchEvents()).toEqual([]);
    expect(storeB.poll()).toBe(0);
    expect(b.isDomainIntroduced(4)).toBe(true);
    storeA.close();
    storeB.close();
  });
});

describe('memory backend', () => {
  it('keeps size, owners and lookups right while one path is removed and recreated many times', () => {
    const backend = createMemoryBackend();
    const owned = (id: number) => ({ value: new Uint8Array(0), perms: [{ id, access: 'n' as const }], children: ChildList.EMPTY });
    const writes = Array.from({ length: 50 }, (_, index) => ({ kind: 'put' as const, path: `/n${index}`, node: owned(1) }));
    expect(backend.commit({ checks: new Map(), writes, changes: [], origin: 't' })).toBe(true);
    let generation = 0;
    for (let round = 0; round < 3000; round += 1) {
      expect(backend.commit({ checks: new Map(), writes: [{ kind: 'put', path: '/probe', node: owned(2) }], changes: [], origin: 't' })).toBe(true);
      const node = backend.getNode('/probe')!;
      expect(node.generation).toBeGreaterThan(generation);
      generation = node.generation;
      expect(backend.size).toBe(51);
      expect(backend.commit({ checks: new Map([['/probe', generation]]), writes: [{ kind: 'delete', path: '/probe' }, { kind: 'delete', path: '/probe' }], changes: [], origin: 't' })).toBe(true);
      expect(backend.getNode('/probe')).toBeUndefined();
      // A removed node is missing for the checks too.
      expect(backend.commit({ checks: new Map([['/probe', generation]]), writes: [], changes: [], origin: 't' })).toBe(false);
    }
    expect(backend.size).toBe(50);
    expect(backend.countOwnedNodes(1)).toBe(50);
    expect(backend.countOwnedNodes(2)).toBe(0);
    expect(backend.getNode('/n49')).toBeDefined();
  });
});
