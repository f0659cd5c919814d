import { describe, expect, it } from 'vitest';
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
