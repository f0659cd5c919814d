/**
 * A directory's child names, in creation order, as one value type, `ChildList`. A small directory
 * keeps them in a frozen array and changes by copying it; a large one (256 children and up) keeps
 * two persistent trees, where adding or removing a name costs O(log n) and leaves every earlier list
 * as it was, so whatever read a node before the change (a transaction, a caller, a backend) keeps
 * its children. `toArray()` makes the array of a large list when something asks, once per list.
 *
 * xenstored rewrites the parent's whole record, every child name, for each child it adds or removes
 * (tools/xenstore/xenstored_core.c add_child, remove_child_entry); with 10,000 domains under
 * /local/domain, copying that list was most of creating and destroying one. A backend that stores
 * arrays calls `toArray()` when it stores and `ChildList.of` when it loads; the memory backend keeps
 * the list. A backend that stores one row per name can hand out a large directory's list with its
 * names not read (`ChildList.deferred`): adding or removing a name then reads none of the others.
 */

/** A node of a persistent AVL tree; never changed once built. */
class TreeNode<K, V> {
  readonly key: K;
  readonly value: V;
  readonly left: TreeNode<K, V> | undefined;
  readonly right: TreeNode<K, V> | undefined;
  readonly height: number;
  /** Nodes in this subtree, for `rank`. */
  readonly size: number;

  constructor(key: K, value: V, left: TreeNode<K, V> | undefined, right: TreeNode<K, V> | undefined) {
    this.key = key;
    this.value = value;
    this.left = left;
    this.right = right;
    this.height = Math.max(left ? left.height : 0, right ? right.height : 0) + 1;
    this.size = (left ? left.size : 0) + (right ? right.size : 0) + 1;
  }
}

type Tree<K, V> = TreeNode<K, V> | undefined;

const heightOf = <K, V>(tree: Tree<K, V>): number => (tree ? tree.height : 0);

/** A node over `left` and `right` whose heights differ by at most 2, rebalanced by rotation. */
function balance<K, V>(key: K, value: V, left: Tree<K, V>, right: Tree<K, V>): TreeNode<K, V> {
  const leftHeight = heightOf(left);
  const rightHeight = heightOf(right);
  if (leftHeight > rightHeight + 1) {
    const pivot = left!;
    if (heightOf(pivot.left) >= heightOf(pivot.right)) {
      return new TreeNode(pivot.key, pivot.value, pivot.left, new TreeNode(key, value, pivot.right, right));
    }
    const inner = pivot.right!;
    return new TreeNode(
      inner.key,
      inner.value,
      new TreeNode(pivot.key, pivot.value, pivot.left, inner.left),
      new TreeNode(key, value, inner.right, right),
    );
  }
  if (rightHeight > leftHeight + 1) {
    const pivot = right!;
    if (heightOf(pivot.right) >= heightOf(pivot.left)) {
      return new TreeNode(pivot.key, pivot.value, new TreeNode(key, value, left, pivot.left), pivot.right);
    }
    const inner = pivot.left!;
    return new TreeNode(
      inner.key,
      inner.value,
      new TreeNode(key, value, left, inner.left),
      new TreeNode(pivot.key, pivot.value, inner.right, pivot.right),
    );
  }
  return new TreeNode(key, value, left, right);
}

/** Orders numbers numerically and strings by UTF-16 code units. */
function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many keys of `tree` come before `key`. */
function rank<K extends number | string, V>(tree: Tree<K, V>, key: K): number {
  let before = 0;
  let node = tree;
  while (node) {
    const order = compare(key, node.key);
    if (order <= 0) {
      if (order === 0) return before + (node.left ? node.left.size : 0);
      node = node.left;
    } else {
      before += (node.left ? node.left.size : 0) + 1;
      node = node.right;
    }
  }
  return before;
}

function lookup<K extends number | string, V>(tree: Tree<K, V>, key: K): V | undefined {
  let node = tree;
  while (node) {
    const order = compare(key, node.key);
    if (order === 0) return node.value;
    node = order < 0 ? node.left : node.right;
  }
  return undefined;
}

/** `tree` with `key` set to `value` (added or replaced). */
function insert<K extends number | string, V>(tree: Tree<K, V>, key: K, value: V): TreeNode<K, V> {
  if (!tree) return new TreeNode(key, value, undefined, undefined);
  const order = compare(key, tree.key);
  if (order < 0) return balance(tree.key, tree.value, insert(tree.left, key, value), tree.right);
  if (order > 0) return balance(tree.key, tree.value, tree.left, insert(tree.right, key, value));
  return new TreeNode(key, value, tree.left, tree.right);
}

function first<K, V>(tree: TreeNode<K, V>): TreeNode<K, V> {
  let node = tree;
  while (node.left) node = node.left;
  return node;
}

function removeFirst<K, V>(tree: TreeNode<K, V>): Tree<K, V> {
  if (!tree.left) return tree.right;
  return balance(tree.key, tree.value, removeFirst(tree.left), tree.right);
}

/** `tree` without `key` (the same tree when it has none). */
function remove<K extends number | string, V>(tree: Tree<K, V>, key: K): Tree<K, V> {
  if (!tree) return undefined;
  const order = compare(key, tree.key);
  if (order < 0) {
    const left = remove(tree.left, key);
    return left === tree.left ? tree : balance(tree.key, tree.value, left, tree.right);
  }
  if (order > 0) {
    const right = remove(tree.right, key);
    return right === tree.right ? tree : balance(tree.key, tree.value, tree.left, right);
  }
  if (!tree.left) return tree.right;
  if (!tree.right) return tree.left;
  const successor = first(tree.right);
  return balance(successor.key, successor.value, tree.left, removeFirst(tree.right));
}

/** A balanced tree of the `count` entries `entry(0)`, `entry(1)`, ..., which come in key order. */
function build<K, V>(count: number, entry: (index: number) => readonly [K, V]): Tree<K, V> {
  const span = (from: number, to: number): Tree<K, V> => {
    if (from >= to) return undefined;
    const middle = (from + to) >>> 1;
    const left = span(from, middle);
    const [key, value] = entry(middle);
    return new TreeNode(key, value, left, span(middle + 1, to));
  };
  return span(0, count);
}

function collect(tree: Tree<number, string>, into: string[]): void {
  let node = tree;
  while (node) {
    collect(node.left, into);
    into.push(node.value);
    node = node.right;
  }
}

/** The trees of a list: names by position (ever growing, so appends go last) and positions by name. */
interface Trees {
  readonly order: Tree<number, string>;
  /** A name's position, or its positions when it is there more than once (no array per name). */
  readonly positions: Tree<string, number | readonly number[]>;
  readonly next: number;
}

/** Trees of `names` in O(n log n), for a list that had only its array until now. */
function plant(names: readonly string[]): Trees {
  // A copy, because reading a frozen array element by element is several times slower.
  const copy = [...names];
  const positions = new Map<string, number | number[]>();
  for (let index = 0; index < copy.length; index += 1) {
    const name = copy[index]!;
    const seen = positions.get(name);
    if (seen === undefined) positions.set(name, index);
    else if (typeof seen === 'number') positions.set(name, [seen, index]);
    else seen.push(index);
  }
  // The default sort orders strings by UTF-16 code units, as `compare` does.
  const byName = [...positions.keys()].sort();
  return {
    order: build(copy.length, (index) => [index, copy[index]!]),
    positions: build(byName.length, (index) => {
      const name = byName[index]!;
      return [name, positions.get(name)!];
    }),
    next: copy.length,
  };
}

/** A directory with this many children or more keeps trees; a smaller one only its array. */
const TREES_FROM = 256;
/** A list with trees that shrinks below this many names goes back to an array (not at once: switching costs O(n)). */
const ARRAY_BELOW = 128;
/** Changes a large list made from an array makes by copying arrays before it builds its trees. */
const COPIES_BEFORE_TREES = 32;

/** How a list was made from the list before it, whose array it copies when its own is asked for. */
type Step = { readonly added: true; readonly name: string } | { readonly added: false; readonly index: number };

/** The change `append` or `remove` made to one list to make another (`ChildList.changeFrom`). */
export interface ChildListChange {
  readonly added: boolean;
  readonly name: string;
}

/**
 * Where a large directory's names are until something asks for them (a backend's rows): a list made
 * by `ChildList.deferred` reads them at its first `toArray()`, and asks only `count` to remove one.
 */
export interface ChildNameSource {
  /** Every name, in creation order. */
  load(): readonly string[];
  /** How many times `name` is among them. */
  count(name: string): number;
}

/** Lists made so far: each list's number, so that a list names the one it was made from without holding it. */
let listsMade = 0;

function bytesOf(names: readonly string[]): number {
  let bytes = 0;
  // A copy, because reading a frozen array element by element is several times slower.
  for (const name of [...names]) bytes += name.length + 1;
  return bytes;
}

/**
 * Child names in creation order; a name may (in a damaged tree) appear more than once, as in an array.
 *
 * Below 256 names a list is its frozen array and a change copies it. From 256, adding and removing go
 * through two persistent trees. A large list made from an array (a backend's) makes its first
 * `COPIES_BEFORE_TREES` changes by block copies of arrays instead, and builds the trees only then:
 * building costs about as much as that many copies, so a process that touches a directory a few
 * times (one `xl` command), or a backend that reloads it from storage between changes, never pays
 * more than the copies it made before. A list made from one whose array was made keeps that array
 * and the step from it: its own array is then one block copy, when something asks for it.
 */
export class ChildList implements Iterable<string> {
  /** The list of no names. */
  static readonly EMPTY = new ChildList(0, 0, undefined, Object.freeze([]));

  /** Number of names. */
  readonly size: number;
  #bytes: number | undefined;
  #trees: Trees | undefined;
  /** Until its names are read: where they are (a deferred list, and lists made from one). */
  #deferred: ChildNameSource | undefined;
  #array: readonly string[] | undefined;
  /** Until the array is made: the array of the list this one was made from, and the step from it. */
  #base: readonly string[] | undefined;
  #step: Step | undefined;
  /** Changes made by copying arrays since the array this list came from (while it has no trees). */
  readonly #copies: number;
  readonly #number = ++listsMade;
  /** The list this one was made from by `append` or `remove` (its number), and the change. */
  #change: { readonly from: number; readonly change: ChildListChange } | undefined;

  private constructor(size: number, bytes: number | undefined, trees: Trees | undefined, array: readonly string[] | undefined, copies = 0) {
    this.size = size;
    this.#bytes = bytes;
    this.#trees = trees;
    this.#array = array;
    this.#copies = copies;
  }

  #madeFrom(base: readonly string[] | undefined, step: Step): this {
    if (base !== undefined) {
      this.#base = base;
      this.#step = step;
    }
    return this;
  }

  #plantedTrees(): Trees {
    this.#trees ??= plant(this.toArray());
    return this.#trees;
  }

  /** The list of `names` (kept when frozen, else copied). */
  static of(names: readonly string[]): ChildList {
    if (names.length === 0) return ChildList.EMPTY;
    const array = Object.isFrozen(names) ? names : Object.freeze([...names]);
    return new ChildList(array.length, bytesOf(array), undefined, array);
  }

  /**
   * The list of a directory of `size` names kept in `source`, read when something asks for them (a
   * small directory's at once). Appending a name to it, or removing one, reads none of them: the
   * lists made so read them, with the change, when asked. After `COPIES_BEFORE_TREES` such changes
   * a list reads them and goes on as any other.
   */
  static deferred(size: number, source: ChildNameSource): ChildList {
    if (size < TREES_FROM) return ChildList.of(source.load());
    const list = new ChildList(size, undefined, undefined, undefined);
    list.#deferred = source;
    return list;
  }

  /** What the names add to a stored node's size: each name and its NUL, as xenstored counts them. */
  get bytes(): number {
    this.#bytes ??= bytesOf(this.toArray());
    return this.#bytes;
  }

  /** Whether the names are still only in the source a deferred list was made from. */
  get namesUnread(): boolean {
    return this.#deferred !== undefined;
  }

  /** A list `size` long made from this deferred one by one change, whose names `source` gives. */
  // TypeScript-private, as `appended`: it names the class.
  private deferredChange(size: number, source: ChildNameSource): ChildList {
    if (this.#copies + 1 >= COPIES_BEFORE_TREES) return ChildList.of(source.load());
    const list = new ChildList(size, undefined, undefined, undefined, this.#copies + 1);
    list.#deferred = source;
    return list;
  }

  /** The array to change by copying, while this list has no trees and has not made too many copies. */
  #byArray(): readonly string[] | undefined {
    return this.#trees === undefined && this.#copies < COPIES_BEFORE_TREES ? this.toArray() : undefined;
  }

  /** This list with `name` added last. */
  append(name: string): ChildList {
    return this.appended(name).#madeBy(this, { added: true, name });
  }

  /** This list without `name` (every occurrence); this list itself when it has no such name. */
  remove(name: string): ChildList {
    const shorter = this.removed(name);
    return shorter === this ? this : shorter.#madeBy(this, { added: false, name });
  }

  /**
   * The change `append` or `remove` made to `previous` to make this list, or undefined when this list
   * was made otherwise: a backend that stored `previous` then stores that one name, not the list.
   */
  changeFrom(previous: ChildList): ChildListChange | undefined {
    return this.#change !== undefined && this.#change.from === previous.#number ? this.#change.change : undefined;
  }

  #madeBy(previous: ChildList, change: ChildListChange): ChildList {
    // Every list of no names is the shared `EMPTY`: it never says how it was made.
    if (this.size > 0) this.#change = { from: previous.#number, change };
    return this;
  }

  // TypeScript-private: a `#` method that names the class makes tsc alias the class before `EMPTY` is made.
  private appended(name: string): ChildList {
    const before = this.#deferred;
    if (before !== undefined) {
      return this.deferredChange(this.size + 1, {
        load: () => [...this.toArray(), name],
        count: (other) => before.count(other) + (other === name ? 1 : 0),
      });
    }
    const size = this.size + 1;
    const bytes = this.bytes + name.length + 1;
    if (size < TREES_FROM && this.#trees === undefined) {
      return new ChildList(size, bytes, undefined, Object.freeze([...this.toArray(), name]));
    }
    const step: Step = { added: true, name };
    const array = this.#byArray();
    if (array !== undefined) return new ChildList(size, bytes, undefined, undefined, this.#copies + 1).#madeFrom(array, step);
    const { order, positions, next } = this.#plantedTrees();
    const seen = lookup(positions, name);
    const trees: Trees = {
      order: insert(order, next, name),
      positions: insert(positions, name, seen === undefined ? next : typeof seen === 'number' ? [seen, next] : [...seen, next]),
      next: next + 1,
    };
    return new ChildList(size, bytes, trees, undefined).#madeFrom(this.#array, step);
  }

  private removed(name: string): ChildList {
    const before = this.#deferred;
    if (before !== undefined) {
      const occurrences = before.count(name);
      if (occurrences === 0) return this;
      return this.deferredChange(this.size - occurrences, {
        load: () => this.toArray().filter((child) => child !== name),
        count: (other) => (other === name ? 0 : before.count(other)),
      });
    }
    if (this.size < TREES_FROM && this.#trees === undefined) {
      const array = this.toArray();
      if (!array.includes(name)) return this;
      return ChildList.of(Object.freeze(array.filter((child) => child !== name)));
    }
    const array = this.#byArray();
    if (array !== undefined) {
      const index = array.indexOf(name);
      if (index < 0) return this;
      if (array.indexOf(name, index + 1) < 0) {
        return new ChildList(this.size - 1, this.bytes - name.length - 1, undefined, undefined, this.#copies + 1).#madeFrom(array, {
          added: false,
          index,
        });
      }
    }
    const { order, positions, next } = this.#plantedTrees();
    const found = lookup(positions, name);
    if (found === undefined) return this;
    const seen = typeof found === 'number' ? [found] : found;
    const index = rank(order, seen[0]!);
    let remaining = order;
    for (const position of seen) remaining = remove(remaining, position);
    const trees: Trees = { order: remaining, positions: remove(positions, name), next };
    const shorter = new ChildList(this.size - seen.length, this.bytes - seen.length * (name.length + 1), trees, undefined).#madeFrom(
      seen.length === 1 ? this.#array : undefined,
      { added: false, index },
    );
    return shorter.size < ARRAY_BELOW ? ChildList.of(shorter.toArray()) : shorter;
  }

  /** True when the list keeps trees (a large directory), false when it is only its array. */
  get hasTrees(): boolean {
    return this.#trees !== undefined;
  }

  /** The names as a frozen array, made at the first call. */
  toArray(): readonly string[] {
    let array = this.#array;
    if (array === undefined && this.#deferred !== undefined) {
      array = Object.freeze([...this.#deferred.load()]);
      this.#array = array;
      this.#deferred = undefined;
    }
    if (array === undefined) {
      const base = this.#base;
      const step = this.#step;
      let names: string[];
      if (base !== undefined && step !== undefined) {
        names = [...base];
        if (step.added) names.push(step.name);
        else names.splice(step.index, 1);
        this.#base = undefined;
        this.#step = undefined;
      } else {
        names = [];
        collect(this.#trees?.order, names);
      }
      array = Object.freeze(names);
      this.#array = array;
    }
    return array;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.toArray()[Symbol.iterator]();
  }
}
