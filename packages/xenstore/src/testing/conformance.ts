/**
 * A conformance suite for xenstore backends: runs the same checks over any `XenStoreBackend`, both
 * directly (the backend contract) and through `createXenStore` (Xen's semantics on top of it).
 * The test runner is passed in, so this module has no test-framework dependency:
 *
 *   import { describe, it } from 'vitest';
 *   defineBackendConformance({ describe, it }, { name: 'sqlite', createBackend: () => openBackend(tmp) });
 */
import { deepStrictEqual, ok, strictEqual, throws } from 'node:assert/strict';
import type { XenStoreBackend } from '../backend.ts';
import { XS_NO_GENERATION } from '../backend.ts';
import { ChildList } from '../child-list.ts';
import { XsError, type XsErrno } from '../errors.ts';
import { createXenStore, type XenStore, type XenStoreOptions } from '../store.ts';

export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => void | Promise<void>): void;
}

export interface ConformanceOptions {
  /** Suite title. */
  readonly name: string;
  /** A fresh, empty backend for each test. */
  readonly createBackend: () => XenStoreBackend;
  /**
   * Optional: a second backend on the same storage as `backend` (another process's view), to check
   * that changes made through one are seen, and fire watches via `poll()`, through the other.
   */
  readonly openSecondBackend?: (backend: XenStoreBackend) => XenStoreBackend;
}

function expectXsError(code: XsErrno, body: () => unknown): void {
  throws(body, (error: unknown) => {
    ok(XsError.is(error), `expected XsError ${code}, got ${String(error)}`);
    strictEqual(error.code, code);
    return true;
  });
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const perms = (id: number, access: 'n' | 'r' | 'w' | 'b') => [{ id, access }] as const;

/** Registers the suite with `runner`. */
export function defineBackendConformance(runner: ConformanceRunner, options: ConformanceOptions): void {
  const { describe, it } = runner;
  const withStore = (body: (store: XenStore, backend: XenStoreBackend) => void, storeOptions?: XenStoreOptions) => () => {
    const backend = options.createBackend();
    const store = createXenStore(backend, storeOptions);
    try {
      body(store, backend);
    } finally {
      store.close();
    }
  };

  describe(`xenstore backend conformance: ${options.name}`, () => {
    it('stores, replaces and deletes nodes with increasing generations', () => {
      const backend = options.createBackend();
      try {
        strictEqual(backend.getNode('/a'), undefined);
        const content = { value: bytes('x'), perms: perms(0, 'n'), children: ChildList.EMPTY };
        ok(backend.commit({ checks: new Map([['/a', XS_NO_GENERATION]]), writes: [{ kind: 'put', path: '/a', node: content }], changes: [], origin: 't' }));
        const first = backend.getNode('/a');
        ok(first);
        deepStrictEqual([...first.value], [...bytes('x')]);
        deepStrictEqual(first.perms.map((p) => ({ ...p })), [{ id: 0, access: 'n' }]);
        deepStrictEqual([...first.children], []);
        ok(backend.commit({ checks: new Map([['/a', first.generation]]), writes: [{ kind: 'put', path: '/a', node: { ...content, value: bytes('y') } }], changes: [], origin: 't' }));
        const second = backend.getNode('/a')!;
        ok(second.generation > first.generation, 'generation must grow');
        deepStrictEqual([...first.value], [...bytes('x')], 'a returned node must not change');
        ok(backend.commit({ checks: new Map(), writes: [{ kind: 'delete', path: '/a' }, { kind: 'delete', path: '/missing' }], changes: [], origin: 't' }));
        strictEqual(backend.getNode('/a'), undefined);
      } finally {
        backend.close?.();
      }
    });

    it('applies nothing when a check fails', () => {
      const backend = options.createBackend();
      try {
        const content = { value: bytes('1'), perms: perms(0, 'n'), children: ChildList.EMPTY };
        ok(backend.commit({ checks: new Map(), writes: [{ kind: 'put', path: '/a', node: content }], changes: [], origin: 't' }));
        const generation = backend.getNode('/a')!.generation;
        const refused = backend.commit({
          checks: new Map([['/a', generation + 1000]]),
          writes: [{ kind: 'put', path: '/b', node: content }, { kind: 'delete', path: '/a' }],
          changes: [],
          origin: 't',
        });
        strictEqual(refused, false);
        strictEqual(backend.getNode('/b'), undefined);
        ok(backend.getNode('/a'));
        strictEqual(backend.commit({ checks: new Map([['/b', 5]]), writes: [], changes: [], origin: 't' }), false);
        strictEqual(backend.commit({ checks: new Map([['/a', XS_NO_GENERATION]]), writes: [], changes: [], origin: 't' }), false);
      } finally {
        backend.close?.();
      }
    });

    it('counts owned nodes and remembers introduced domains', () => {
      const backend = options.createBackend();
      try {
        const owned = (id: number) => ({ value: bytes(''), perms: perms(id, 'n'), children: ChildList.EMPTY });
        ok(backend.commit({ checks: new Map(), writes: [{ kind: 'put', path: '/a', node: owned(5) }, { kind: 'put', path: '/b', node: owned(5) }], changes: [], origin: 't' }));
        strictEqual(backend.countOwnedNodes(5), 2);
        ok(backend.commit({ checks: new Map(), writes: [{ kind: 'put', path: '/a', node: owned(6) }, { kind: 'delete', path: '/b' }], changes: [], origin: 't' }));
        strictEqual(backend.countOwnedNodes(5), 0);
        strictEqual(backend.countOwnedNodes(6), 1);
        strictEqual(backend.isDomainIntroduced(7), false);
        backend.setDomainIntroduced(7, true);
        strictEqual(backend.isDomainIntroduced(7), true);
        backend.setDomainIntroduced(7, false);
        strictEqual(backend.isDomainIntroduced(7), false);
      } finally {
        backend.close?.();
      }
    });

    it('starts with the tree of a fresh xenstored', withStore((store) => {
      const dom0 = store.connect(0);
      deepStrictEqual(dom0.directory('/'), ['tool']);
      deepStrictEqual(dom0.directory('/tool'), ['xenstored']);
      deepStrictEqual(dom0.getPerms('/tool/xenstored'), [{ id: 0, access: 'n' }]);
    }));

    it('writes, reads, lists and removes, creating parents', withStore((store) => {
      const dom0 = store.connect(0);
      dom0.write('/local/domain/1/platform/generation-id', '11400714819323198485:123');
      strictEqual(dom0.readString('/local/domain/1/platform/generation-id'), '11400714819323198485:123');
      deepStrictEqual(dom0.directory('/local/domain/1'), ['platform']);
      strictEqual(dom0.readString('/local/domain/1'), '');
      dom0.write('/local/domain/1/b', 'B');
      deepStrictEqual(dom0.directory('/local/domain/1'), ['platform', 'b']);
      dom0.rm('/local/domain/1/platform');
      deepStrictEqual(dom0.directory('/local/domain/1'), ['b']);
      expectXsError('ENOENT', () => dom0.read('/local/domain/1/platform/generation-id'));
      dom0.rm('/local/domain/1/nothing');
      expectXsError('ENOENT', () => dom0.rm('/local/domain/1/nothing/below'));
      expectXsError('EINVAL', () => dom0.rm('/'));
      expectXsError('EINVAL', () => dom0.write('/bad//path', 'x'));
    }));

    it('confines an unprivileged domain to its permissions', withStore((store) => {
      const dom0 = store.connect(0);
      dom0.write('/local/domain/3/platform/generation-id', '1:2');
      dom0.setPerms('/local/domain/3', [{ id: 0, access: 'n' }, { id: 3, access: 'r' }]);
      dom0.setPerms('/local/domain/3/platform', [{ id: 0, access: 'n' }, { id: 3, access: 'r' }]);
      dom0.setPerms('/local/domain/3/platform/generation-id', [{ id: 0, access: 'n' }, { id: 3, access: 'r' }]);
      const guest = store.connect(3);
      strictEqual(guest.readString('platform/generation-id'), '1:2');
      expectXsError('EACCES', () => guest.write('platform/generation-id', 'x'));
      expectXsError('ENOENT', () => guest.read('platform/missing'));
      const other = store.connect(4);
      expectXsError('EACCES', () => other.read('/local/domain/3/platform/generation-id'));
      expectXsError('EACCES', () => other.read('/local/domain/3/platform/missing'));
      dom0.mkdir('/local/domain/3/data');
      dom0.setPerms('/local/domain/3/data', [{ id: 3, access: 'n' }]);
      guest.write('data/x', 'y');
      deepStrictEqual(guest.getPerms('data/x'), [{ id: 3, access: 'n' }]);
      expectXsError('EPERM', () => guest.setPerms('data/x', [{ id: 4, access: 'n' }]));
    }));

    it('commits a transaction atomically and reports a conflict as EAGAIN', withStore((store) => {
      const a = store.connect(0);
      const b = store.connect(0);
      a.write('/vm/a', '0');
      const transaction = a.transactionStart();
      strictEqual(transaction.readString('/vm/a'), '0');
      b.write('/vm/a', '1');
      transaction.write('/vm/a', '2');
      transaction.write('/vm/b', '2');
      expectXsError('EAGAIN', () => transaction.commit());
      strictEqual(b.readString('/vm/a'), '1');
      strictEqual(b.tryRead('/vm/b'), undefined);
      const again = a.transactionStart();
      again.write('/vm/b', '3');
      strictEqual(b.tryRead('/vm/b'), undefined);
      again.commit();
      strictEqual(b.readString('/vm/b'), '3');
    }));

    it('fires watches at and below the path', withStore((store) => {
      const dom0 = store.connect(0);
      const watcher = store.connect(0);
      watcher.watch('/w', 'tok');
      dom0.write('/w/x', '1');
      dom0.write('/other', '1');
      dom0.rm('/w');
      deepStrictEqual(watcher.takeWatchEvents(), [
        { path: '/w', token: 'tok' },
        { path: '/w/x', token: 'tok' },
        // A removed child fires only watches on exactly its path; the removed node fires the rest.
        { path: '/w', token: 'tok' },
      ]);
    }));

    it('removes subtrees and recreates nodes, inside and outside transactions', withStore((store) => {
      const dom0 = store.connect(0);
      dom0.write('/r/a/b/c', '1');
      dom0.write('/r/a/d', '2');
      dom0.rm('/r/a');
      deepStrictEqual(dom0.directory('/r'), []);
      strictEqual(dom0.exists('/r/a/b/c'), false);
      const transaction = dom0.transactionStart();
      transaction.write('/r/a/x', '3');
      transaction.rm('/r/a');
      transaction.write('/r/a/y', '4');
      transaction.commit();
      deepStrictEqual(dom0.directory('/r/a'), ['y']);
      strictEqual(dom0.exists('/r/a/x'), false);
    }));

    it('counts owned nodes for the entries quota through owner changes', withStore(
      (store) => {
        const dom0 = store.connect(0);
        dom0.mkdir('/local/domain/9');
        dom0.setPerms('/local/domain/9', [{ id: 9, access: 'n' }]);
        const guest = store.connect(9);
        guest.write('a', '1');
        guest.write('b', '1');
        expectXsError('ENOSPC', () => guest.write('c', '1'));
        dom0.setPerms('/local/domain/9/a', [{ id: 0, access: 'n' }]);
        guest.write('c', '1');
        expectXsError('ENOSPC', () => guest.write('d', '1'));
      },
      { quotas: { entriesPerDomain: 3 } },
    ));

    it('keeps perms and binary values exactly', withStore((store) => {
      const dom0 = store.connect(0);
      const value = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0]);
      dom0.write('/bin', value);
      deepStrictEqual([...dom0.read('/bin')], [...value]);
      dom0.write('/empty', '');
      strictEqual(dom0.read('/empty').length, 0);
      const perms = [{ id: 7, access: 'b' as const }, { id: 0xffff, access: 'r' as const }, { id: 3, access: 'w' as const }, { id: 4, access: 'n' as const }];
      dom0.setPerms('/bin', perms);
      deepStrictEqual(dom0.getPerms('/bin'), perms);
    }));

    if (options.openSecondBackend) {
      const openSecond = options.openSecondBackend;
      it('shares data with another store on the same storage and fires its watches on poll()', () => {
        const backend = options.createBackend();
        const second = openSecond(backend);
        const storeA = createXenStore(backend);
        const storeB = createXenStore(second);
        try {
          const a = storeA.connect(0);
          const b = storeB.connect(0);
          b.watch('/shared', 'tok');
          deepStrictEqual(b.takeWatchEvents(), [{ path: '/shared', token: 'tok' }]);
          a.write('/shared/key', 'v');
          strictEqual(b.readString('/shared/key'), 'v');
          ok(storeB.poll() >= 1);
          deepStrictEqual(b.takeWatchEvents(), [{ path: '/shared/key', token: 'tok' }]);
          strictEqual(storeB.poll(), 0);
          const transaction = b.transactionStart();
          transaction.read('/shared/key');
          a.write('/shared/key', 'w');
          transaction.write('/shared/key', 'x');
          expectXsError('EAGAIN', () => transaction.commit());
          // Of two transactions racing on one node from two stores, exactly one wins.
          const first = a.transactionStart();
          const second = b.transactionStart();
          first.write('/shared/race', first.readString('/shared/key') + '-a');
          second.write('/shared/race', second.readString('/shared/key') + '-b');
          first.commit();
          expectXsError('EAGAIN', () => second.commit());
          strictEqual(b.readString('/shared/race'), 'w-a');
          // Domains introduced through one store are known to the other.
          a.introduceDomain(12);
          strictEqual(b.isDomainIntroduced(12), true);
          b.releaseDomain(12);
          strictEqual(a.isDomainIntroduced(12), false);
          // Removals are seen too.
          b.rm('/shared');
          strictEqual(a.exists('/shared/key'), false);
        } finally {
          storeB.close();
          storeA.close();
        }
      });
    }
  });
}
