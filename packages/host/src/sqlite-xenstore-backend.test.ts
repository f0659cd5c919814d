import { createMemoryStore, createXenStore, type XenStoreBackend, type XsConnection } from '@xen-genid/xenstore';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { defineBackendConformance } from '@xen-genid/xenstore/testing';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost, type Host } from './open-host.ts';
import { ReadCache } from './read-cache.ts';
import { SqliteXenStoreBackend } from './sqlite-xenstore-backend.ts';

const tempDir = useTempDir();
const hosts = new Map<XenStoreBackend, Host>();

function openBackend(path: string): XenStoreBackend {
  const host = openHost(path);
  const inner = host.xenstoreBackend;
  // The conformance suite owns the backend: closing it closes its host.
  const backend: XenStoreBackend = {
    getNode: (nodePath) => inner.getNode(nodePath),
    commit: (commit) => inner.commit(commit),
    countOwnedNodes: (domid) => inner.countOwnedNodes(domid),
    isDomainIntroduced: (domid) => inner.isDomainIntroduced(domid),
    setDomainIntroduced: (domid, introduced) => inner.setDomainIntroduced(domid, introduced),
    readChanges: (cursor) => inner.readChanges(cursor),
    close: () => host.close(),
  };
  hosts.set(backend, host);
  return backend;
}

defineBackendConformance(
  { describe, it },
  {
    name: 'sqlite host file',
    createBackend: () => openBackend(hostFile(tempDir())),
    openSecondBackend: (backend) => openBackend(hosts.get(backend)!.path),
  },
);

describe('xenstore on the host file', () => {
  it('keeps children in the same order as the in-memory store, whatever the operations', () => {
    const names = ['a', 'b', 'c', 'd'];
    const operation = fc.record({
      kind: fc.constantFrom('write', 'rm', 'recreate'),
      parent: fc.constantFrom('/p', '/p/a', '/q'),
      name: fc.constantFrom(...names),
    });
    const path = hostFile(tempDir());
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 30 }), (operations) => {
        const host = openHost(path);
        const memory = createMemoryStore();
        try {
          const sides = [host.store.connect(0), memory.connect(0)];
          for (const xs of sides) {
            xs.rm('/p');
            xs.rm('/q');
          }
          for (const { kind, parent, name } of operations) {
            for (const xs of sides) {
              const target = `${parent}/${name}`;
              if (kind === 'write') xs.write(target, name);
              else if (kind === 'rm') {
                if (xs.exists(parent)) xs.rm(target);
              } else {
                xs.transaction((transaction) => {
                  if (transaction.exists(parent)) transaction.rm(target);
                  transaction.write(target, 'again');
                });
              }
            }
          }
          for (const parent of ['/', '/p', '/p/a', '/q']) {
            const [onFile, inMemory] = sides.map((xs) => (xs.exists(parent) ? xs.directory(parent) : null));
            expect(onFile).toEqual(inMemory);
          }
          // A fresh connection (no cache) reads the same order back from the file.
          const reopened = openHost(path);
          try {
            const xs = reopened.store.connect(0);
            for (const parent of ['/', '/p', '/p/a', '/q']) {
              expect(xs.exists(parent) ? xs.directory(parent) : null).toEqual(sides[1]!.exists(parent) ? sides[1]!.directory(parent) : null);
            }
          } finally {
            reopened.close();
          }
        } finally {
          host.close();
          memory.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a large directory in order when children come and go one by one, from two processes', () => {
    const path = hostFile(tempDir());
    const first = openHost(path);
    const second = openHost(path);
    const memory = createMemoryStore();
    try {
      const sides = [first.store.connect(0), second.store.connect(0), memory.connect(0)];
      const [a, b, inMemory] = sides as [XsConnection, XsConnection, XsConnection];
      const both = (body: (xs: XsConnection) => void, onFile: XsConnection): void => {
        body(onFile);
        body(inMemory);
      };
      for (let index = 0; index < 300; index += 1) both((xs) => xs.write(`/big/d${index}`, ''), index % 2 === 0 ? a : b);
      for (let index = 0; index < 40; index += 1) {
        const onFile = index % 3 === 0 ? b : a;
        both((xs) => xs.rm(`/big/d${index * 7}`), onFile);
        both((xs) => xs.write(`/big/e${index}`, ''), onFile);
        both((xs) => xs.transaction((transaction) => transaction.write(`/big/d${index * 5}`, 'again')), onFile);
      }
      const expected = inMemory.directory('/big');
      expect(a.directory('/big')).toEqual(expected);
      expect(b.directory('/big')).toEqual(expected);
      const reopened = openHost(path);
      try {
        expect(reopened.store.connect(0).directory('/big')).toEqual(expected);
      } finally {
        reopened.close();
      }
    } finally {
      first.close();
      second.close();
      memory.close();
    }
  });

  it('shows one process the writes of another, and fires its watches on poll', () => {
    const path = hostFile(tempDir());
    const one = openHost(path);
    const two = openHost(path);
    try {
      const writer = one.store.connect(0);
      const watcher = two.store.connect(0);
      watcher.watch('/local/domain/3', 'tok');
      expect(watcher.takeWatchEvents()).toEqual([{ path: '/local/domain/3', token: 'tok' }]);
      expect(two.store.poll()).toBe(0);
      writer.write('/local/domain/3/platform/generation-id', '1:2');
      expect(watcher.readString('/local/domain/3/platform/generation-id')).toBe('1:2');
      expect(two.store.poll()).toBeGreaterThan(0);
      expect(watcher.takeWatchEvents().map((event) => event.path)).toContain('/local/domain/3/platform/generation-id');
      writer.rm('/local/domain/3');
      two.store.poll();
      expect(watcher.takeWatchEvents()).toContainEqual({ path: '/local/domain/3', token: 'tok' });
      expect(watcher.exists('/local/domain/3')).toBe(false);
    } finally {
      one.close();
      two.close();
    }
  });

  it("watchOtherProcesses delivers another process's change without an explicit poll", async () => {
    const path = hostFile(tempDir());
    const one = openHost(path);
    const two = openHost(path);
    const stop = two.watchOtherProcesses(10);
    try {
      const events: string[] = [];
      const arrived = new Promise<void>((resolve) => {
        two.store.connect(0).watch('/vm', 'tok', (event) => {
          events.push(event.path);
          if (event.path === '/vm/x') resolve();
        });
      });
      one.store.connect(0).write('/vm/x', '1');
      await arrived;
      expect(events).toEqual(['/vm', '/vm/x']);
    } finally {
      stop();
      one.close();
      two.close();
    }
  });

  it('trims the change log by sequence number, whichever process writes', () => {
    const path = hostFile(tempDir());
    openHost(path).close();
    // Two connections, as two processes would have, with a small log.
    const connections = [0, 1].map(() => new Database(path));
    try {
      const stores = connections.map((db) =>
        createXenStore(new SqliteXenStoreBackend(db, path, new ReadCache(db, path), { changeLog: { keepRows: 10, trimEvery: 4 } })).connect(0),
      );
      for (let index = 0; index < 60; index += 1) stores[index % 2]!.write('/vm/x', String(index));
      expect(connections[0]!.prepare('SELECT count(*) FROM xs_changes').pluck().get()).toBeLessThanOrEqual(14);
      expect(stores[0]!.readString('/vm/x')).toBe('59');
    } finally {
      for (const db of connections) db.close();
    }
  });

  it('keeps the change log while another connection is open, and the last one out empties it and gives its pages back', () => {
    const path = hostFile(tempDir());
    const read = <T>(query: (db: Database.Database) => T): T => {
      const db = new Database(path, { readonly: true });
      try {
        return query(db);
      } finally {
        db.close();
      }
    };
    const changes = (): number => read((db) => db.prepare('SELECT count(*) FROM xs_changes').pluck().get() as number);
    const writer = openHost(path);
    const other = openHost(path);
    try {
      const xs = writer.store.connect(0);
      for (let index = 0; index < 400; index += 1) xs.write(`/vm/${index}`, 'x'.repeat(100));
      writer.close();
      // Another connection is still open: its watches may yet read them.
      expect(changes()).toBeGreaterThanOrEqual(400);
    } finally {
      other.close();
    }
    expect(changes()).toBe(0);
    expect(read((db) => db.pragma('freelist_count', { simple: true }))).toBe(0);
    // Sequence numbers go on from where they were.
    const again = openHost(path);
    try {
      again.store.connect(0).write('/vm/next', '1');
      expect(read((db) => db.prepare('SELECT min(seq) FROM xs_changes').pluck().get())).toBeGreaterThan(400);
    } finally {
      again.close();
    }
  });

  it('fails a transaction with EAGAIN when another process changed what it read', () => {
    const path = hostFile(tempDir());
    const one = openHost(path);
    const two = openHost(path);
    try {
      const a = one.store.connect(0);
      const b = two.store.connect(0);
      a.write('/vm/x', '1');
      const transaction = a.transactionStart();
      expect(transaction.readString('/vm/x')).toBe('1');
      b.write('/vm/x', '2');
      transaction.write('/vm/x', '3');
      expect(() => transaction.commit()).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
      expect(b.readString('/vm/x')).toBe('2');
    } finally {
      one.close();
      two.close();
    }
  });

  it("looks domains up by name from the index, with another process's writes and removals", () => {
    const path = hostFile(tempDir());
    const one = openHost(path);
    const two = openHost(path);
    try {
      const a = one.store.connect(0);
      a.write('/local/domain/3/name', 'web');
      a.write('/local/domain/7/name', 'web');
      a.write('/local/domain/8/name', 'db');
      a.write('/local/domain/8/device/vif/0/name', 'web'); // not a domain's name
      a.write('/vm/1234/name', 'web');
      expect(two.xenstoreBackend.domidsNamed('web').sort()).toEqual([3, 7]);
      expect(two.xenstoreBackend.domidsNamed('none')).toEqual([]);
      expect(two.xenstoreBackend.domainNames()).toEqual(new Map([[3, 'web'], [7, 'web'], [8, 'db']]));
      a.rm('/local/domain/3');
      a.write('/local/domain/8/name', 'web');
      expect(two.xenstoreBackend.domidsNamed('web').sort()).toEqual([7, 8]);
      expect(two.xenstoreBackend.domainNames()).toEqual(new Map([[7, 'web'], [8, 'web']]));
    } finally {
      one.close();
      two.close();
    }
  });
});

describe('a large directory on the host file', () => {
  it("adds and removes a child without reading the others' names, and lists them all when asked", () => {
    const path = hostFile(tempDir());
    const writer = openHost(path);
    const setup = writer.store.connect(0);
    setup.transaction((transaction) => {
      for (let index = 0; index < 300; index += 1) transaction.write(`/big/d${index}`, '');
    });
    setup.close();
    writer.close();
    const host = openHost(path);
    try {
      const backend = host.xenstoreBackend;
      const xs = host.store.connect(0);
      expect(backend.getNode('/big')!.children.namesUnread).toBe(true);
      xs.rm('/big/d7');
      xs.write('/big/new', '');
      xs.rm('/big/absent');
      const node = backend.getNode('/big')!;
      expect(node.children.namesUnread).toBe(true);
      expect(node.children.size).toBe(300);
      const names = [...Array.from({ length: 300 }, (_, index) => `d${index}`).filter((name) => name !== 'd7'), 'new'];
      expect(xs.directory('/big')).toEqual(names);
      expect(backend.getNode('/big')!.children.bytes).toBe(names.reduce((sum, name) => sum + name.length + 1, 0));
      // another process's view: the same names, from the rows
      const other = openHost(path);
      try {
        expect(other.store.connect(0).directory('/big')).toEqual(names);
      } finally {
        other.close();
      }
    } finally {
      host.close();
    }
  });
});
