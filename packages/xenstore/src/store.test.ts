import { describe, expect, it } from 'vitest';
import { XsError, type XsErrno } from './errors.ts';
import { createMemoryStore } from './memory-store.ts';
import type { XsWatchEvent } from './store.ts';

function code(body: () => unknown): XsErrno | undefined {
  try {
    body();
  } catch (error) {
    if (XsError.is(error)) return error.code;
    throw error;
  }
  return undefined;
}

const n = (id: number) => ({ id, access: 'n' as const });
const r = (id: number) => ({ id, access: 'r' as const });
const b = (id: number) => ({ id, access: 'b' as const });

describe('node operations', () => {
  it('creates missing parents with empty values and inherited perms', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.mkdir('/a');
    dom0.setPerms('/a', [n(0), r(5)]);
    dom0.write('/a/b/c', 'v');
    expect(dom0.readString('/a/b')).toBe('');
    expect(dom0.getPerms('/a/b')).toEqual([n(0), r(5)]);
    expect(dom0.getPerms('/a/b/c')).toEqual([n(0), r(5)]);
    expect(dom0.directory('/a')).toEqual(['b']);
  });

  it('makes an unprivileged creator the owner of what it creates', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.mkdir('/local/domain/4');
    dom0.setPerms('/local/domain/4', [n(4), r(7)]);
    const guest = store.connect(4);
    guest.write('device/x', '1');
    expect(dom0.getPerms('/local/domain/4/device')).toEqual([n(4), r(7)]);
    expect(dom0.getPerms('/local/domain/4/device/x')).toEqual([n(4), r(7)]);
  });

  it('hides missing nodes under unreadable parents (EACCES, not ENOENT)', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.mkdir('/secret');
    const guest = store.connect(2);
    expect(code(() => guest.read('/secret/missing'))).toBe('EACCES');
    expect(code(() => guest.read('/secret'))).toBe('EACCES');
    dom0.setPerms('/secret', [n(0), r(2)]);
    expect(code(() => guest.read('/secret/missing'))).toBe('ENOENT');
    expect(guest.exists('/secret/missing')).toBe(false);
    expect(code(() => guest.write('/secret/new', 'x'))).toBe('EACCES');
    expect(code(() => guest.mkdir('/secret/new'))).toBe('EACCES');
    expect(dom0.exists('/secret/new')).toBe(false);
  });

  it('needs ownership for setPerms and refuses an owner change from a guest with EPERM', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.write('/x', '1');
    dom0.setPerms('/x', [n(0), b(3)]);
    const guest = store.connect(3);
    guest.write('/x', '2');
    expect(code(() => guest.setPerms('/x', [n(0), b(3)]))).toBe('EACCES');
    dom0.setPerms('/x', [n(3)]);
    guest.setPerms('/x', [r(3), b(4)]);
    expect(code(() => guest.setPerms('/x', [n(0)]))).toBe('EPERM');
    expect(code(() => guest.setPerms('/x', []))).toBe('EINVAL');
    expect(dom0.getPerms('/x')).toEqual([r(3), b(4)]);
  });

  it('removes, tolerating a missing node with an existing parent', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.write('/a/b', '1');
    dom0.rm('/a/c');
    expect(code(() => dom0.rm('/z/y'))).toBe('ENOENT');
    expect(code(() => dom0.rm('/'))).toBe('EINVAL');
    dom0.rm('/a');
    expect(dom0.directory('/')).toEqual(['tool']);
  });

  it('keeps values binary and copies what it hands out', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    const value = new Uint8Array([0, 255, 10]);
    dom0.write('/bin', value);
    value[0] = 9;
    const read = dom0.read('/bin');
    expect([...read]).toEqual([0, 255, 10]);
    read[1] = 1;
    expect([...dom0.read('/bin')]).toEqual([0, 255, 10]);
    expect(code(() => dom0.write('/big', new Uint8Array(4097)))).toBe('E2BIG');
  });
});

describe('quotas (4.17 defaults, unprivileged only)', () => {
  it('limits nodes per domain with ENOSPC and leaves nothing half-created', () => {
    const store = createMemoryStore({ quotas: { entriesPerDomain: 5 } });
    const dom0 = store.connect(0);
    dom0.mkdir('/local/domain/6');
    dom0.setPerms('/local/domain/6', [n(6)]);
    const guest = store.connect(6);
    // The home (owned by 6 now) counts: 1 + 3 = 4 nodes.
    for (let index = 0; index < 3; index += 1) guest.write(`k${index}`, 'v');
    expect(code(() => guest.write('deep/er', 'v'))).toBe('ENOSPC');
    expect(guest.exists('deep')).toBe(false);
    guest.write('k3', 'v');
    expect(code(() => guest.write('k4', 'v'))).toBe('ENOSPC');
    guest.rm('k0');
    guest.write('k4', 'v');
    // dom0 is not limited.
    for (let index = 0; index < 10; index += 1) dom0.write(`/local/domain/6/dom0-${index}`, 'v');
  });

  it('limits node size, permissions per node, watches and open transactions', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.mkdir('/local/domain/6');
    dom0.setPerms('/local/domain/6', [n(6)]);
    const guest = store.connect(6);
    expect(code(() => guest.write('big', 'x'.repeat(2048)))).toBe('ENOSPC');
    guest.write('big', 'x'.repeat(1900));
    dom0.write('/local/domain/6/huge', 'x'.repeat(4000));
    expect(code(() => guest.setPerms('big', [n(6), r(1), r(2), r(3), r(4), r(5)]))).toBe('ENOSPC');
    guest.setPerms('big', [n(6), r(1), r(2), r(3), r(4)]);
    // 4.17 checks the count before adding with `>`: 129 watches and 11 transactions get through.
    for (let index = 0; index < 129; index += 1) guest.watch('big', `t${index}`);
    expect(code(() => guest.watch('big', 'one-more'))).toBe('E2BIG');
    const transactions = Array.from({ length: 11 }, () => guest.transactionStart());
    expect(code(() => guest.transactionStart())).toBe('ENOSPC');
    transactions[0]!.abort();
    guest.transactionStart().abort();
  });

  it('limits path length with EINVAL', () => {
    const store = createMemoryStore({ quotas: { pathLength: 20 } });
    const guest = store.connect(0);
    expect(code(() => guest.write(`/${'a'.repeat(20)}`, 'v'))).toBe('EINVAL');
    guest.write(`/${'a'.repeat(19)}`, 'v');
  });
});

describe('transactions', () => {
  it('sees its own changes, hides them from others, and applies them on commit', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    const b = store.connect(0);
    const transaction = a.transactionStart();
    transaction.write('/t/x', '1');
    transaction.rm('/tool');
    expect(transaction.readString('/t/x')).toBe('1');
    expect(transaction.tryRead('/t/x')).toEqual(new Uint8Array([0x31]));
    expect(transaction.tryRead('/t/none')).toBeUndefined();
    expect(transaction.tryReadString('/t/x')).toBe('1');
    expect(transaction.tryReadString('/t/none')).toBeUndefined();
    expect(b.tryReadString('/t/x')).toBeUndefined();
    expect(transaction.exists('/tool')).toBe(false);
    expect(b.exists('/t/x')).toBe(false);
    expect(b.exists('/tool')).toBe(true);
    transaction.commit();
    expect(b.readString('/t/x')).toBe('1');
    expect(b.exists('/tool')).toBe(false);
    expect(transaction.open).toBe(false);
    expect(code(() => transaction.read('/t/x'))).toBe('ENOENT');
  });

  it('keeps what it read at first access (test-xenstore "ta err") and conflicts on commit', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    a.write('/n', 'a');
    const transaction = a.transactionStart();
    expect(transaction.readString('/n')).toBe('a');
    a.write('/n', 'b');
    expect(transaction.readString('/n')).toBe('a');
    transaction.write('/n', 'c');
    expect(code(() => transaction.commit())).toBe('EAGAIN');
    expect(a.readString('/n')).toBe('b');
  });

  it('reads live data for nodes it has not touched yet', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    const transaction = a.transactionStart();
    a.write('/later', 'x');
    expect(transaction.readString('/later')).toBe('x');
    transaction.commit();
  });

  it('conflicts when a node it found missing is created, or a parent it changed moves', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    const first = a.transactionStart();
    expect(first.exists('/p')).toBe(false);
    a.write('/p', '1');
    first.write('/q', '1');
    expect(code(() => first.commit())).toBe('EAGAIN');
    const second = a.transactionStart();
    second.write('/dir/one', '1');
    a.write('/dir/two', '2');
    expect(code(() => second.commit())).toBe('EAGAIN');
    expect(a.directory('/dir')).toEqual(['two']);
  });

  it('does not conflict with a sibling created meanwhile when it only rewrote an existing node', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    a.write('/local/domain/5/x', '1');
    const transaction = a.transactionStart();
    transaction.write('/local/domain/5/x', '2');
    a.write('/local/domain/5/y', '1');
    transaction.commit();
    expect(a.readString('/local/domain/5/x')).toBe('2');
  });

  it('retries a body on EAGAIN with transaction()', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    const b = store.connect(0);
    a.write('/counter', '0');
    let attempts = 0;
    a.transaction((t) => {
      attempts += 1;
      const value = Number(t.readString('/counter'));
      if (attempts === 1) b.write('/counter', '10');
      t.write('/counter', String(value + 1));
    });
    expect(attempts).toBe(2);
    expect(a.readString('/counter')).toBe('11');
  });

  it('fires watches only on commit', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    const events: XsWatchEvent[] = [];
    a.watch('/w', 'tok', (event) => events.push(event));
    events.length = 0;
    const aborted = a.transactionStart();
    aborted.write('/w/1', 'x');
    aborted.abort();
    const committed = a.transactionStart();
    committed.write('/w/2', 'x');
    expect(events).toEqual([]);
    committed.commit();
    expect(events).toEqual([{ path: '/w/2', token: 'tok' }]);
  });

  it('aborts a transaction left by `using`', () => {
    const store = createMemoryStore();
    const a = store.connect(0);
    {
      using transaction = a.transactionStart();
      transaction.write('/disposed', 'x');
    }
    expect(a.exists('/disposed')).toBe(false);
  });
});

describe('watches', () => {
  it('reports relative paths for relative watches', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.mkdir('/local/domain/2');
    dom0.setPerms('/local/domain/2', [n(2)]);
    const guest = store.connect(2);
    guest.watch('platform', 'p');
    dom0.write('/local/domain/2/platform/generation-id', '1:2');
    expect(guest.takeWatchEvents()).toEqual([
      { path: 'platform', token: 'p' },
      { path: 'platform/generation-id', token: 'p' },
    ]);
  });

  it('tells an unprivileged watcher only about nodes it (or the parent) may read', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    const guest = store.connect(5);
    guest.watch('/', 'root');
    guest.takeWatchEvents();
    dom0.write('/hidden/x', '1');
    expect(guest.takeWatchEvents()).toEqual([]);
    dom0.mkdir('/shared');
    dom0.setPerms('/shared', [n(0), r(5)]);
    dom0.write('/shared/y', '1');
    expect(guest.takeWatchEvents().map((event) => event.path)).toEqual(['/shared', '/shared/y']);
  });

  it('fires @introduceDomain and @releaseDomain for permitted watchers', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    const guest = store.connect(5);
    dom0.watch('@releaseDomain', 'rel');
    guest.watch('@introduceDomain', 'intro');
    expect(guest.takeWatchEvents()).toEqual([{ path: '@introduceDomain', token: 'intro' }]);
    dom0.introduceDomain(7);
    expect(guest.takeWatchEvents()).toEqual([]);
    dom0.setPerms('@introduceDomain', [n(0), r(5)]);
    // Readable only through SET_PERMS, as in 4.17.
    expect(code(() => dom0.getPerms('@introduceDomain'))).toBe('EINVAL');
    dom0.introduceDomain(8);
    expect(guest.takeWatchEvents()).toEqual([{ path: '@introduceDomain', token: 'intro' }]);
    expect(dom0.isDomainIntroduced(8)).toBe(true);
    dom0.takeWatchEvents();
    dom0.releaseDomain(8);
    expect(dom0.takeWatchEvents()).toEqual([{ path: '@releaseDomain', token: 'rel' }]);
    expect(code(() => dom0.releaseDomain(8))).toBe('ENOENT');
    expect(code(() => guest.introduceDomain(9))).toBe('EACCES');
  });

  it('rejects duplicates and unknown unwatches, and forgets everything on close', () => {
    const store = createMemoryStore();
    const dom0 = store.connect(0);
    dom0.watch('/a', 't');
    expect(code(() => dom0.watch('/a', 't'))).toBe('EEXIST');
    dom0.watch('/a', 'u');
    dom0.unwatch('/a', 't');
    expect(code(() => dom0.unwatch('/a', 't'))).toBe('ENOENT');
    expect(code(() => dom0.watch('/bad/', 't'))).toBe('EINVAL');
    dom0.close();
    expect(code(() => dom0.read('/'))).toBe('EBADF');
    const other = store.connect(0);
    other.write('/a', 'x');
  });
});
