import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChildList, type ChildNameSource } from './child-list.ts';

const names = (count: number, prefix = 'n'): string[] => Array.from({ length: count }, (_, index) => `${prefix}${index}`);

describe('ChildList', () => {
  it('says which one name made it from the list before, and nothing about any other list', () => {
    for (const size of [3, 300]) {
      const start = ChildList.of(Object.freeze(names(size)));
      const added = start.append('x');
      expect(added.changeFrom(start)).toEqual({ added: true, name: 'x' });
      const removed = added.remove('n1');
      expect(removed.changeFrom(added)).toEqual({ added: false, name: 'n1' });
      // Two steps away, an unrelated list, a list from the same names, and no change at all.
      expect(removed.changeFrom(start)).toBeUndefined();
      expect(added.changeFrom(ChildList.of(Object.freeze(names(size))))).toBeUndefined();
      expect(start.changeFrom(start)).toBeUndefined();
      expect(added.remove('absent')).toBe(added);
    }
    // The list of no names is shared: it never says how it was made.
    const one = ChildList.of(Object.freeze(['only']));
    expect(one.remove('only')).toBe(ChildList.EMPTY);
    expect(ChildList.EMPTY.changeFrom(one)).toBeUndefined();
  });

  it('adds last and removes every occurrence, leaving earlier lists as they were', () => {
    const op = fc.record({ add: fc.boolean(), name: fc.constantFrom(...names(12)), show: fc.boolean() });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...names(12)), { maxLength: 20 }), fc.array(op, { maxLength: 100 }), (start, ops) => {
        let list = ChildList.of(Object.freeze([...start]));
        let model = [...start];
        const versions: [ChildList, string[]][] = [[list, [...model]]];
        for (const { add, name, show } of ops) {
          if (add) {
            list = list.append(name);
            model.push(name);
          } else {
            list = list.remove(name);
            model = model.filter((child) => child !== name);
          }
          // By copies of arrays for the first changes, then by trees; made into an array now or later,
        // from the list before it (a copy) or from the trees.
          if (show) expect(list.toArray()).toEqual(model);
          versions.push([list, [...model]]);
        }
        for (const [version, expected] of versions) {
          expect(version.toArray()).toEqual(expected);
          expect(version.size).toBe(expected.length);
          expect(version.bytes).toBe(expected.reduce((sum, name) => sum + name.length + 1, 0));
          expect(Object.isFrozen(version.toArray())).toBe(true);
          expect(version.toArray()).toBe(version.toArray());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a frozen array it is made of, and copies one that might still change', () => {
    const frozen = Object.freeze(names(300));
    expect(ChildList.of(frozen).toArray()).toBe(frozen);
    const unfrozen = names(300);
    const list = ChildList.of(unfrozen);
    unfrozen.push('late');
    expect(list.toArray()).toEqual(names(300));
    expect(Object.isFrozen(list.toArray())).toBe(true);
    expect([...list]).toEqual(names(300));
  });

  it('stays its array while the directory is small, keeps trees from 256 names, and drops them below 128', () => {
    let list = ChildList.EMPTY;
    const all = names(300);
    for (const name of all) {
      list = list.append(name);
      // A list made from an array makes its first changes past 256 by copies, then plants its trees.
      expect(list.hasTrees).toBe(all.indexOf(name) + 1 >= 256 + 32);
    }
    expect(list.toArray()).toEqual(all);
    // Back to an array only below 128 names, so a directory near the boundary does not switch back and forth.
    for (const name of all.slice(0, 200)) {
      list = list.remove(name);
      expect(list.hasTrees).toBe(list.size >= 128);
    }
    expect(list.toArray()).toEqual(all.slice(200));
    expect(Object.isFrozen(list.toArray())).toBe(true);
  });
});

describe('ChildList.deferred', () => {
  /** A source of `names` that counts what it was asked. */
  function source(names: readonly string[]): ChildNameSource & { loads: number; counts: number } {
    const spy = {
      loads: 0,
      counts: 0,
      load: () => {
        spy.loads += 1;
        return names;
      },
      count: (name: string) => {
        spy.counts += 1;
        return names.filter((child) => child === name).length;
      },
    };
    return spy;
  }
  const many = Array.from({ length: 300 }, (_, index) => `d${index}`);

  it('reads a small directory at once', () => {
    const small = source(['a', 'b']);
    const list = ChildList.deferred(2, small);
    expect(small.loads).toBe(1);
    expect(list.namesUnread).toBe(false);
    expect(list.toArray()).toEqual(['a', 'b']);
  });

  it('adds and removes names of a large one without reading them, and reads them once when asked', () => {
    const rows = source([...many, 'd5']);
    const list = ChildList.deferred(301, rows);
    const added = list.append('x');
    const removed = added.remove('d5');
    const same = removed.remove('absent');
    expect(same).toBe(removed);
    expect(rows.loads).toBe(0);
    expect([added.size, removed.size]).toEqual([302, 300]);
    expect(added.changeFrom(list)).toEqual({ added: true, name: 'x' });
    expect(removed.changeFrom(added)).toEqual({ added: false, name: 'd5' });
    expect(removed.namesUnread).toBe(true);
    const expected = [...many.filter((name) => name !== 'd5'), 'x'];
    expect(removed.toArray()).toEqual(expected);
    expect(removed.bytes).toBe(expected.reduce((sum, name) => sum + name.length + 1, 0));
    expect([...removed]).toEqual(expected);
    expect(rows.loads).toBe(1);
    // the lists it was made from read the same rows once, and say what they held
    expect(list.toArray()).toEqual([...many, 'd5']);
    expect(added.toArray()).toEqual([...many, 'd5', 'x']);
    expect(rows.loads).toBe(1);
    // counted through the changes: x was added, d5 removed
    expect(removed.remove('x').size).toBe(299);
    expect(removed.append('d5').remove('d5').size).toBe(300);
  });

  it('reads its names after a run of changes, and goes on as any list', () => {
    const rows = source(many);
    let list = ChildList.deferred(300, rows);
    for (let index = 0; index < 40; index += 1) list = list.append(`n${index}`);
    expect(rows.loads).toBe(1);
    expect(list.namesUnread).toBe(false);
    expect(list.toArray()).toEqual([...many, ...Array.from({ length: 40 }, (_, index) => `n${index}`)]);
  });
});

describe('ChildList.deferred, against a list read at once', () => {
  it('holds the same names after any appends and removes', () => {
    const start = names(260, 'd');
    const operation = fc.oneof(
      fc.record({ add: fc.constant(true), name: fc.constantFrom('d1', 'd2', 'd259', 'x', 'y') }),
      fc.record({ add: fc.constant(false), name: fc.constantFrom('d1', 'd2', 'd259', 'x', 'y', 'absent') }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 50 }), (operations) => {
        let deferred = ChildList.deferred(start.length, { load: () => start, count: (name) => start.filter((child) => child === name).length });
        let eager = ChildList.of(start);
        for (const { add, name } of operations) {
          deferred = add ? deferred.append(name) : deferred.remove(name);
          eager = add ? eager.append(name) : eager.remove(name);
          expect(deferred.size).toBe(eager.size);
        }
        expect(deferred.toArray()).toEqual(eager.toArray());
        expect(deferred.bytes).toBe(eager.bytes);
      }),
    );
  });
});
