/**
 * Directories with hundreds of children (kept as persistent lists past 256) behave as small ones do:
 * creation order, transaction snapshots and conflicts, returned nodes that never change, the node
 * size quota; over the memory backend and over backends that store plain arrays, as the host does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { XenStoreBackend, XsCommit, XsNode } from './backend.ts';
import { ChildList } from './child-list.ts';
import { XsError } from './errors.ts';
import { createMemoryBackend } from './memory-backend.ts';
import { createXenStore, type XenStoreOptions } from './store.ts';

/** Stores the array of `children` at commit and loads it back as a list (what the host's backend does). */
function arrayBackend(): XenStoreBackend {
  const inner = createMemoryBackend();
  return {
    getNode: (path) => inner.getNode(path),
    commit: (commit: XsCommit) =>
      inner.commit({
        ...commit,
        writes: commit.writes.map((write) =>
          write.kind === 'put'
            ? { ...write, node: { value: write.node.value, perms: write.node.perms, children: ChildList.of(write.node.children.toArray()) } }
            : write,
        ),
      }),
    countOwnedNodes: (domid) => inner.countOwnedNodes(domid),
    isDomainIntroduced: (domid) => inner.isDomainIntroduced(domid),
    setDomainIntroduced: (domid, introduced) => inner.setDomainIntroduced(domid, introduced),
  };
}

/** Stores copies of the arrays and hands out fresh lists of unfrozen arrays on every read (a backend of its own making). */
function copyingBackend(): XenStoreBackend {
  const nodes = new Map<string, Omit<XsNode, 'children'> & { children: string[] }>();
  let generation = 0;
  const inner = createMemoryBackend();
  return {
    getNode: (path) => {
      const node = nodes.get(path);
      return node && { ...node, children: ChildList.of([...node.children]) };
    },
    commit: (commit) => {
      for (const [path, expected] of commit.checks) if ((nodes.get(path)?.generation ?? -1) !== expected) return false;
      for (const write of commit.writes) {
        if (write.kind === 'delete') nodes.delete(write.path);
        else nodes.set(write.path, { ...write.node, children: [...write.node.children.toArray()], generation: ++generation });
      }
      return true;
    },
    countOwnedNodes: (domid) => [...nodes.values()].filter((node) => node.perms[0]!.id === domid).length,
    isDomainIntroduced: (domid) => inner.isDomainIntroduced(domid),
    setDomainIntroduced: (domid, introduced) => inner.setDomainIntroduced(domid, introduced),
  };
}

const backends: [string, () => XenStoreBackend][] = [
  ['memory backend', () => createMemoryBackend()],
  ['backend storing arrays', arrayBackend],
  ['backend copying arrays', copyingBackend],
];

function code(body: () => unknown): string | undefined {
  try {
    body();
  } catch (error) {
    if (XsError.is(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe.each(backends)('large directories, %s', (_name, createBackend) => {
  const open = (options?: XenStoreOptions) => createXenStore(createBackend(), options);

  it('lists children in creation order through growth past 256 and shrinking below 128', () => {
    const pool = Array.from({ length: 450 }, (_, index) => `c${index}`);
    const step = fc.record({ add: fc.boolean(), name: fc.constantFrom(...pool) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 50, maxLength: 200 }), (steps) => {
        const store = open();
        const dom0 = store.connect(0);
        const model: string[] = [];
        dom0.mkdir('/big');
        // Up to 400 children, down to 40, up again: both switches between array and list, each way.
        const phases = [pool.slice(0, 400), [], pool.slice(0, 300)];
        for (const target of phases) {
          for (const name of [...model]) {
            if (target.includes(name)) continue;
            dom0.rm(`/big/${name}`);
            model.splice(model.indexOf(name), 1);
          }
          for (const name of target) {
            if (model.includes(name)) continue;
            dom0.write(`/big/${name}`, name);
            model.push(name);
          }
          for (const { add, name } of steps) {
            if (add) {
              dom0.mkdir(`/big/${name}`);
              if (!model.includes(name)) model.push(name);
            } else {
              dom0.rm(`/big/${name}`);
              if (model.includes(name)) model.splice(model.indexOf(name), 1);
            }
          }
          expect(dom0.directory('/big')).toEqual(model);
          expect([...dom0.readNode('/big').children]).toEqual(model);
        }
        store.close();
      }),
      { numRuns: 8 },
    );
  });

  it('keeps what a transaction read, conflicts on it, and hides its additions until commit', () => {
    const store = open();
    const dom0 = store.connect(0);
    const names = Array.from({ length: 300 }, (_, index) => String(index + 1));
    dom0.transaction((t) => {
      for (const name of names) t.write(`/local/domain/${name}/name`, `guest-${name}`);
    });
    const before = dom0.readNode('/local/domain');

    const reader = dom0.transactionStart();
    expect(reader.directory('/local/domain')).toEqual(names);
    const writer = dom0.transactionStart();
    writer.write('/local/domain/1000/name', 'new');
    writer.rm('/local/domain/5');
    expect(writer.directory('/local/domain')).toEqual([...names.filter((name) => name !== '5'), '1000']);
    expect(dom0.directory('/local/domain')).toEqual(names);

    dom0.rm('/local/domain/7');
    dom0.mkdir('/local/domain/2000');
    expect(reader.directory('/local/domain')).toEqual(names);
    expect(code(() => reader.commit())).toBe('EAGAIN');
    expect(code(() => writer.commit())).toBe('EAGAIN');
    expect(dom0.directory('/local/domain')).toEqual([...names.filter((name) => name !== '7'), '2000']);

    const retried = dom0.transactionStart();
    retried.write('/local/domain/1000/name', 'new');
    retried.rm('/local/domain/5');
    retried.commit();
    expect(dom0.directory('/local/domain')).toEqual([...names.filter((name) => name !== '7' && name !== '5'), '2000', '1000']);
    // A node read earlier still shows what it had.
    expect([...before.children]).toEqual(names);
    store.close();
  });

  it('counts every child name against the node size quota, as with few children', () => {
    // 24 + 8 per permission + value + each name and its NUL must stay under 2048 bytes.
    const store = open({ quotas: { entriesPerDomain: 10_000 } });
    const dom0 = store.connect(0);
    dom0.mkdir('/local/domain/5/big');
    dom0.setPerms('/local/domain/5/big', [{ id: 5, access: 'n' }]);
    const guest = store.connect(5);
    let size = 24 + 8;
    let count = 0;
    for (;;) {
      const name = `n${String(count).padStart(3, '0')}`;
      if (size + name.length + 1 >= 2048) {
        expect(code(() => guest.mkdir(`big/${name}`))).toBe('ENOSPC');
        break;
      }
      guest.mkdir(`big/${name}`);
      size += name.length + 1;
      count += 1;
    }
    expect(count).toBeGreaterThan(256);
    expect(guest.directory('big')).toHaveLength(count);
    // A value that would push it over fails the same way; removing a child makes room again.
    expect(code(() => guest.write('big', 'x'.repeat(2048 - size)))).toBe('ENOSPC');
    guest.rm('big/n000');
    guest.mkdir('big/n999');
    expect(guest.directory('big').at(-1)).toBe('n999');
    store.close();
  });
});
