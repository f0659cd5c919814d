/**
 * The node operations (read, write, mkdir, rm, directory, get and set perms) with Xen's path rules,
 * permissions and quotas, written once as the list `nodeOperations` that both a connection and a
 * transaction carry: each runs as one connection's domain, over live data or inside a transaction.
 *
 * @see tools/xenstore/xenstored_core.c (do_read, do_write, do_mkdir, do_rm, do_get_perms,
 *   do_set_perms, get_node, errno_from_parents, construct_node, create_node, rm_node)
 */
import type { XenStoreBackend, XsChange, XsNode, XsNodeContent } from './backend.ts';
import { XS_NO_GENERATION } from './backend.ts';
import { ChildList } from './child-list.ts';
import type { SpecialNodes } from './domain.ts';
import { XsError } from './errors.ts';
import { ROOT_PERMS, XENSTORE_PAYLOAD_MAX, type StoreContext } from './limits.ts';
import { baseName, canonicalizePath, childPath, getDomainPath, isSpecialPath, isValidNodeName, parentPath } from './path.ts';
import type { XsPermission } from './perms.ts';
import { XS_PERM_READ, XS_PERM_WRITE, XS_PERM_OWNER, formatPermission, normalizePermissions, permissionFor } from './perms.ts';
import { traced, type XsTraceOperation } from './trace.ts';
import { writesOf, type TransactionState } from './transaction.ts';

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The store as the node operations see it: the shared parts and the special nodes' permissions. */
export interface NodeContext extends StoreContext {
  readonly special: SpecialNodes;
}

/** Size of a stored node as xenstored counts it: record header, perms, value, child names. */
function nodeSize(content: XsNodeContent): number {
  return 24 + 8 * content.perms.length + content.value.length + content.children.bytes;
}

/** Where an operation looks nodes up. */
interface NodeSource {
  getNode(path: string): XsNodeContent | undefined;
}

/** Pending work of one operation, over live data or a transaction. Applied only when the operation succeeds. */
class OperationView implements NodeSource {
  /** Generation of each node at its first access. */
  readonly accessed = new Map<string, number>();
  /** What the first access saw (null: missing); later reads in the same operation or transaction see the same. */
  readonly seen = new Map<string, XsNodeContent | null>();
  readonly written = new Map<string, XsNodeContent | null>();
  readonly changes: XsChange[] = [];
  ownedDelta = 0;

  private readonly backend: XenStoreBackend;
  private readonly transaction: TransactionState | undefined;
  private readonly transactionLimit: number;

  constructor(backend: XenStoreBackend, transaction: TransactionState | undefined, transactionLimit: number) {
    this.backend = backend;
    this.transaction = transaction;
    this.transactionLimit = transactionLimit;
  }

  /** What this operation or its transaction already holds for `path`: the node, null if known absent, undefined if not read yet. */
  private held(path: string): XsNodeContent | null | undefined {
    const own = this.written.get(path);
    if (own !== undefined) return own;
    const seen = this.seen.get(path);
    if (seen !== undefined) return seen;
    const transaction = this.transaction;
    if (!transaction) return undefined;
    return transaction.written.has(path) ? transaction.written.get(path) : transaction.seen.get(path);
  }

  getNode(path: string): XsNodeContent | undefined {
    const held = this.held(path);
    if (held !== undefined) return held ?? undefined;
    const transaction = this.transaction;
    if (transaction && transaction.seen.size + this.seen.size >= this.transactionLimit) {
      throw new XsError('ENOSPC', 'too many nodes accessed in one transaction');
    }
    const node = this.backend.getNode(path);
    this.seen.set(path, node ?? null);
    this.accessed.set(path, node ? node.generation : XS_NO_GENERATION);
    return node;
  }

  /** Like `getNode`, but not recorded as an access (a transaction does not conflict on it). */
  peek(path: string): XsNodeContent | undefined {
    const held = this.held(path);
    if (held !== undefined) return held ?? undefined;
    return this.backend.getNode(path);
  }

  put(path: string, content: XsNodeContent): void {
    this.written.set(path, content);
  }

  delete(path: string): void {
    this.written.set(path, null);
  }
}

/** One connection's domain as the node operations act for it: its identity and Xen's rules for it. */
export class Caller {
  readonly context: NodeContext;
  readonly domid: number;
  readonly privileged: boolean;
  /** This domain's home, `/local/domain/<domid>`; relative paths resolve below it. */
  readonly homePath: string;
  /** The connection's number in this store (the trace's connection). */
  readonly connection: number;
  closed = false;

  constructor(context: NodeContext, domid: number, privileged: boolean, connection: number) {
    this.context = context;
    this.domid = domid;
    this.privileged = privileged;
    this.homePath = getDomainPath(domid);
    this.connection = connection;
  }

  /** Runs `body` as request `operation` with `args`, reporting it to the store's trace when there is one. */
  traced<T>(operation: XsTraceOperation, transaction: number | (() => number), args: () => readonly string[], body: () => T): T {
    return traced(
      this.context.trace,
      () => ({ connection: this.connection, domid: this.domid, transaction: typeof transaction === 'number' ? transaction : transaction(), operation, args: args() }),
      body,
    );
  }

  /** The permission bits this domain has on a node with `perms`. */
  access(perms: readonly XsPermission[]): number {
    return permissionFor(perms, this.domid, this.privileged);
  }

  ensureOpen(): void {
    if (this.closed) throw new XsError('EBADF', 'the connection is closed');
  }

  canonical(path: string): string {
    if (typeof path !== 'string') throw new XsError('EINVAL', 'a path must be a string');
    const absolute = canonicalizePath(this.domid, path);
    if (!isValidNodeName(absolute, this.context.quotas.pathLength)) {
      throw new XsError('EINVAL', `invalid node name: ${JSON.stringify(path)}`);
    }
    return absolute;
  }

  /**
   * A node the caller may use with `perm`; undefined when it does not exist and the nearest existing
   * ancestor allows `perm` (otherwise EACCES, so nothing leaks). @see get_node, errno_from_parents
   */
  lookup(view: NodeSource, path: string, perm: number): XsNodeContent | undefined {
    const node = view.getNode(path);
    if (node) {
      if ((this.access(node.perms) & perm) !== perm) throw new XsError('EACCES', `permission denied: ${path}`);
      return node;
    }
    if (this.privileged) return undefined;
    let ancestor = path;
    let found: XsNodeContent | undefined;
    while (ancestor !== '/' && !found) {
      ancestor = parentPath(ancestor);
      found = view.getNode(ancestor);
    }
    if (found && (this.access(found.perms) & perm) !== 0) return undefined;
    throw new XsError('EACCES', `permission denied: ${path}`);
  }

  checkSize(content: XsNodeContent): void {
    if (!this.privileged && nodeSize(content) >= this.context.quotas.nodeSize) {
      throw new XsError('ENOSPC', 'node too large for the quota');
    }
  }

  /**
   * The parent's perms, for deciding later who may hear about a change (watch_permitted). Looking
   * is not an access: xenstored reads the parent when it fires, outside the transaction.
   */
  parentReaders(view: OperationView, path: string): readonly XsPermission[] {
    if (path === '/') return ROOT_PERMS;
    return view.peek(parentPath(path))?.perms ?? ROOT_PERMS;
  }

  /**
   * Runs `body` over a fresh view. Outside a transaction the result is committed at once (and the
   * operation rerun if another process moved a node it used); inside, it joins the transaction.
   * A failing operation leaves nothing behind.
   */
  run<T>(transaction: TransactionState | undefined, body: (view: OperationView) => T): T {
    this.ensureOpen();
    const context = this.context;
    if (transaction) {
      if (!transaction.open) throw new XsError('ENOENT', `no transaction ${transaction.id}`);
      const view = new OperationView(context.backend, transaction, this.privileged ? Infinity : context.quotas.nodesPerTransaction);
      let result: T;
      try {
        result = body(view);
      } finally {
        // What a failed operation looked at still counts (a node found missing must stay missing).
        // (forEach: no entry array made per node.)
        view.accessed.forEach((generation, path) => transaction.accessed.set(path, generation));
        view.seen.forEach((node, path) => transaction.seen.set(path, node));
      }
      view.written.forEach((node, path) => transaction.written.set(path, node));
      for (const change of view.changes) transaction.changes.push(change);
      transaction.ownedDelta += view.ownedDelta;
      return result;
    }
    for (let attempt = 0; ; attempt += 1) {
      const view = new OperationView(context.backend, undefined, Infinity);
      const result = body(view);
      if (view.written.size === 0 && view.changes.length === 0) return result;
      const committed = context.backend.commit({
        checks: view.accessed,
        writes: writesOf(view.written),
        changes: view.changes,
        origin: context.origin,
      });
      if (committed) {
        context.fire(view.changes);
        return result;
      }
      if (attempt >= 64) throw new XsError('EAGAIN', 'the store kept changing under this operation');
    }
  }

  private ownedNodes(view: OperationView, transaction: TransactionState | undefined): number {
    return this.context.backend.countOwnedNodes(this.domid) + view.ownedDelta + (transaction ? transaction.ownedDelta : 0);
  }

  account(view: OperationView, perms: readonly XsPermission[], delta: number): void {
    if (perms[0]!.id === this.domid) view.ownedDelta += delta;
  }

  /**
   * Creates `path` and missing parents in `view`, and records the change for watches.
   * @see construct_node, create_node
   */
  create(view: OperationView, transaction: TransactionState | undefined, path: string, value: Uint8Array): void {
    const missing: string[] = [path];
    let parent = parentPath(path);
    let parentNode = view.getNode(parent);
    while (!parentNode) {
      missing.push(parent);
      parent = parentPath(parent);
      parentNode = view.getNode(parent);
    }
    const quota = this.context.quotas.entriesPerDomain;
    for (let index = missing.length - 1; index >= 0; index -= 1) {
      const name = missing[index]!;
      if (!this.privileged && this.ownedNodes(view, transaction) >= quota) {
        throw new XsError('ENOSPC', 'too many nodes for this domain');
      }
      const updatedParent: XsNodeContent = {
        value: parentNode.value,
        perms: parentNode.perms,
        children: parentNode.children.append(baseName(name)),
      };
      this.checkSize(updatedParent);
      view.put(parent, updatedParent);
      let perms = parentNode.perms;
      if (!this.privileged && perms[0]!.id !== this.domid) {
        perms = Object.freeze([Object.freeze({ id: this.domid, access: perms[0]!.access }), ...perms.slice(1)]);
      }
      const node: XsNodeContent = { value: index === 0 ? value : EMPTY, perms, children: ChildList.EMPTY };
      this.checkSize(node);
      view.put(name, node);
      this.account(view, perms, 1);
      parent = name;
      parentNode = node;
    }
    view.changes.push({ path, exact: false, readers: [parentNode.perms, this.parentReaders(view, path)] });
  }
}

/** What a face of the node operations runs them as: a connection's domain, and the transaction if any. */
export interface OperationScope {
  readonly caller: Caller;
  readonly transactionState: TransactionState | undefined;
}

/** The node, or undefined when it does not exist (EACCES and EINVAL still throw). No exceptions on the common paths. */
function find(scope: OperationScope, path: string): XsNodeContent | undefined {
  const caller = scope.caller;
  const absolute = caller.canonical(path);
  const transaction = scope.transactionState;
  if (!transaction) {
    // Outside a transaction a read needs no bookkeeping: straight to the backend.
    caller.ensureOpen();
    return caller.lookup(caller.context.backend, absolute, XS_PERM_READ);
  }
  return caller.run(transaction, (view) => caller.lookup(view, absolute, XS_PERM_READ));
}

function get(scope: OperationScope, path: string): XsNodeContent {
  const node = find(scope, path);
  if (!node) throw new XsError('ENOENT', `no such node: ${canonicalizePath(scope.caller.domid, path)}`);
  return node;
}

/**
 * Reads and writes, each written once: a connection runs them as one atomic step each, a
 * transaction inside itself (both faces carry these functions on their prototypes).
 */
export const nodeOperations = {
  /** The value of a node. ENOENT if missing, EACCES without read permission. */
  read(this: OperationScope, path: string): Uint8Array {
    return get(this, path).value.slice();
  },

  /** `read`, decoded as UTF-8. */
  readString(this: OperationScope, path: string): string {
    return decoder.decode(get(this, path).value);
  },

  /** `read`, or undefined when the node does not exist (other errors still throw). */
  tryRead(this: OperationScope, path: string): Uint8Array | undefined {
    return find(this, path)?.value.slice();
  },

  /** `tryRead`, decoded as UTF-8. */
  tryReadString(this: OperationScope, path: string): string | undefined {
    const node = find(this, path);
    return node === undefined ? undefined : decoder.decode(node.value);
  },

  /** The whole node (value, perms, children, generation) under the same rules as `read`. */
  readNode(this: OperationScope, path: string): XsNode {
    const node = get(this, path);
    return {
      value: node.value.slice(),
      perms: node.perms,
      children: node.children,
      // A node written in the transaction has no generation yet.
      generation: (node as Partial<XsNode>).generation ?? XS_NO_GENERATION,
    };
  },

  /** True when the node exists and is readable; false when missing. EACCES still throws. */
  exists(this: OperationScope, path: string): boolean {
    return find(this, path) !== undefined;
  },

  /** Writes a value (strings as UTF-8), creating the node and missing parents. @see do_write */
  write(this: OperationScope, path: string, value: Uint8Array | string): void {
    const { caller, transactionState } = this;
    const args = (): string[] => [path, typeof value === 'string' ? value : decoder.decode(value)];
    caller.traced('WRITE', transactionState?.id ?? 0, args, () => writeNode(caller, transactionState, path, value));
  },

  /** Creates a node with an empty value; nothing happens when it exists. @see do_mkdir */
  mkdir(this: OperationScope, path: string): void {
    const { caller, transactionState } = this;
    caller.traced('MKDIR', transactionState?.id ?? 0, () => [path], () => {
      const absolute = caller.canonical(path);
      caller.run(transactionState, (view) => {
        if (caller.lookup(view, absolute, XS_PERM_WRITE)) return;
        caller.create(view, transactionState, absolute, EMPTY);
      });
    });
  },

  /** Removes a node and everything below it. A missing node whose parent exists is fine. @see do_rm */
  rm(this: OperationScope, path: string): void {
    const { caller, transactionState } = this;
    caller.traced('RM', transactionState?.id ?? 0, () => [path], () => removeNode(caller, transactionState, path));
  },

  /** Child names, in creation order. */
  directory(this: OperationScope, path: string): string[] {
    return [...get(this, path).children.toArray()];
  },

  /** Permission list; first entry is the owner and the default. */
  getPerms(this: OperationScope, path: string): XsPermission[] {
    // 4.17 accepts `@` paths only in WATCH, UNWATCH and SET_PERMS: here they fail the node-name check (EINVAL).
    return [...get(this, path).perms];
  },

  /** Replaces the permission list. Needs ownership; unprivileged domains may not change the owner. @see do_set_perms */
  setPerms(this: OperationScope, path: string, perms: readonly XsPermission[]): void {
    const { caller, transactionState } = this;
    const args = (): string[] => [path, ...perms.map(formatPermission)];
    caller.traced('SET_PERMS', transactionState?.id ?? 0, args, () => setNodePerms(caller, transactionState, path, perms));
  },
};

/** @see do_write */
function writeNode(caller: Caller, transactionState: TransactionState | undefined, path: string, value: Uint8Array | string): void {
  const absolute = caller.canonical(path);
  const bytes = typeof value === 'string' ? encoder.encode(value) : value.slice();
  if (bytes.length > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG', 'value longer than a xenstore message');
  caller.run(transactionState, (view) => {
    const node = caller.lookup(view, absolute, XS_PERM_WRITE);
    if (node) {
      const updated: XsNodeContent = { value: bytes, perms: node.perms, children: node.children };
      caller.checkSize(updated);
      view.put(absolute, updated);
      view.changes.push({ path: absolute, exact: false, readers: [node.perms, caller.parentReaders(view, absolute)] });
    } else {
      caller.create(view, transactionState, absolute, bytes);
    }
  });
}

/** @see do_rm */
function removeNode(caller: Caller, transactionState: TransactionState | undefined, path: string): void {
  const absolute = caller.canonical(path);
  caller.run(transactionState, (view) => {
    const node = caller.lookup(view, absolute, XS_PERM_WRITE);
    if (!node) {
      if (absolute !== '/' && view.getNode(parentPath(absolute))) return;
      throw new XsError('ENOENT', `no such node: ${absolute}`);
    }
    if (absolute === '/') throw new XsError('EINVAL', 'cannot remove /');
    const parent = parentPath(absolute);
    const parentNode = view.getNode(parent)!;
    // Children first, as xenstored's tree walk fires them (exact), then the node itself.
    const removeTree = (name: string, content: XsNodeContent): void => {
      for (const child of content.children.toArray()) {
        const childName = childPath(name, child);
        const childNode = view.getNode(childName);
        if (childNode) removeTree(childName, childNode);
      }
      view.delete(name);
      caller.account(view, content.perms, -1);
      view.changes.push({ path: name, exact: name !== absolute, readers: [content.perms, caller.parentReaders(view, name)] });
    };
    removeTree(absolute, node);
    view.put(parent, { value: parentNode.value, perms: parentNode.perms, children: parentNode.children.remove(baseName(absolute)) });
  });
}

/** @see do_set_perms */
function setNodePerms(caller: Caller, transactionState: TransactionState | undefined, path: string, perms: readonly XsPermission[]): void {
  const list = normalizePermissions(perms);
  if (!caller.privileged && list.length > caller.context.quotas.permsPerNode) throw new XsError('ENOSPC', 'too many permissions');
  if (isSpecialPath(path)) {
    caller.ensureOpen();
    caller.context.special.setPerms(path, list, (special) => caller.access(special));
    return;
  }
  const absolute = caller.canonical(path);
  caller.run(transactionState, (view) => {
    const node = caller.lookup(view, absolute, XS_PERM_WRITE | XS_PERM_OWNER);
    if (!node) throw new XsError('ENOENT', `no such node: ${absolute}`);
    if (!caller.privileged && list[0]!.id !== node.perms[0]!.id) throw new XsError('EPERM', 'only a privileged domain may change the owner');
    const updated: XsNodeContent = { value: node.value, perms: list, children: node.children };
    caller.checkSize(updated);
    caller.account(view, node.perms, -1);
    caller.account(view, list, 1);
    view.put(absolute, updated);
    view.changes.push({ path: absolute, exact: false, readers: [node.perms, list, caller.parentReaders(view, absolute)] });
  });
}

/** Reads and writes, on a connection (each call its own atomic step) or inside a transaction. */
export type XsOperations = { [Name in keyof typeof nodeOperations]: OmitThisParameter<(typeof nodeOperations)[Name]> };

/**
 * The base class of a face carrying the node operations: every function of `nodeOperations` on its
 * prototype, run as `caller` and inside `transactionState` when there is one.
 */
export const OperationFace = (() => {
  class Face implements OperationScope {
    readonly caller: Caller;
    readonly transactionState: TransactionState | undefined;

    constructor(caller: Caller, transactionState: TransactionState | undefined) {
      this.caller = caller;
      this.transactionState = transactionState;
    }
  }
  for (const [name, operation] of Object.entries(nodeOperations)) {
    Object.defineProperty(Face.prototype, name, { value: operation, writable: true, configurable: true });
  }
  return Face as new (caller: Caller, transactionState: TransactionState | undefined) => OperationScope & XsOperations;
})();
