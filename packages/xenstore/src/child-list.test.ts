import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChildList,
  childBytes,
  childrenWith,
  childrenWithout,
  keptChildren,
  nodeContent,
  storedNode,
  type Children,
} from './child-list.ts';

const names = (count: number, prefix = 'n'): string[] => Array.from({ length: count }, (_, index) => `${prefix}${index}`);
const asArray = (children: Children): readonly string[] => (children instanceof ChildList ? children.toArray() : children);
const value = new Uint8Array(0);
const perms = Object.freeze([Object.freeze({ id: 0, access: 'n' as const })]);

describe('ChildList', () => {
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

  it('is the same list for the array it made, and for a frozen array it was built from', () => {
    const array = Object.freeze(names(300));
    const list = ChildList.of(array);
    expect(ChildList.of(array)).toBe(list);
    const next = list.append('x');
    expect(ChildList.of(next.toArray())).toBe(next);
  });
});

describe('children of a node', () => {
  it('stay a frozen array while the directory is small, and become a list from 256 children', () => {
    let children: Children = Object.freeze([]);
    const all = names(300);
    for (const name of all) {
      children = childrenWith(nodeContent(value, perms, children), name);
      expect(children instanceof ChildList).toBe(all.indexOf(name) + 1 >= 256);
    }
    expect(asArray(children)).toEqual(all);
    // Back to an array only below 128 children, so a directory near the boundary does not switch back and forth.
    for (const name of all.slice(0, 200)) children = childrenWithout(nodeContent(value, perms, children), name);
    expect(children instanceof ChildList).toBe(false);
    expect(children).toEqual(all.slice(200));
    expect(Object.isFrozen(children)).toBe(true);
  });

  it('keep a list through node content and stored nodes without making an array', () => {
    const list = ChildList.of(Object.freeze(names(300))).append('last');
    const content = nodeContent(value, perms, list);
    expect(keptChildren(content)).toBe(list);
    expect(childBytes(content)).toBe(list.bytes);
    const node = storedNode(content, 7);
    expect(keptChildren(node)).toBe(list);
    expect(Object.isFrozen(node)).toBe(true);
    expect(Object.keys(node)).toEqual(['value', 'perms', 'children', 'generation']);
    expect(node.children).toEqual([...names(300), 'last']);
    expect(node).toEqual({ value, perms, children: [...names(300), 'last'], generation: 7 });
    expect(childrenWith(node, 'more')).toBeInstanceOf(ChildList);
  });

  it('copy an array that might still change, as before', () => {
    const unfrozen = names(300);
    const next = childrenWith({ children: unfrozen }, 'x');
    expect(next).toEqual([...unfrozen, 'x']);
    expect(Object.isFrozen(next)).toBe(true);
    expect(childrenWithout({ children: unfrozen }, 'n5')).toEqual(unfrozen.filter((name) => name !== 'n5'));
  });
});
