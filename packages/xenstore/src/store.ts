/**
 * The xenstore logic over any `XenStoreBackend`: node operations with Xen's path rules,
 * permissions and quotas, optimistic transactions, watches and the special domain events.
 *
 * @see tools/xenstore/xenstored_core.c (do_read, do_write, do_mkdir, do_rm, do_get_perms,
 *   do_set_perms, get_node, errno_from_parents, construct_node, create_node, rm_node),
 *   xenstored_transaction.c (optimistic transactions by generation count),
 *   xenstored_watch.c (do_watch, do_unwatch, fire_watches, watch_permitted),
 *   xenstored_domain.c (do_introduce, do_release, the special watches).
 */
import { randomUUID } from 'node:crypto';
import type { XenStoreBackend, XsChange, XsNode, XsNodeContent, XsNodeWrite } from './backend.ts';
import { XS_NO_GENERATION } from './backend.ts';
import { childBytes, childrenWith, childrenWithout, keptChildren, nodeContent } from './child-list.ts';
import { XsError } from './errors.ts';
import {
  XENSTORE_REL_PATH_MAX,
  baseName,
  canonicalizePath,
  childPath,
  getDomainPath,
  isPathAtOrBelow,
  isSpecialPath,
  isValidNodeName,
  parentPath,
} from './path.ts';
import type { XsPermission } from './perms.ts';
import { XS_PERM_OWNER, XS_PERM_READ, XS_PERM_WRITE, normalizePermissions, permissionFor } from './perms.ts';

/** Largest payload of one wire message (xs_wire.h). Values are limited to it in every API. */
export const XENSTORE_PAYLOAD_MAX = 4096;

/** 4.17 xenstored's limits; they bind unprivileged domains only. */
export interface XsQuotas {
  /** Nodes a domain may own (`quota_nb_entry_per_domain`, -E). Exceeded: ENOSPC. */
  readonly entriesPerDomain: number;
  /** Watches a domain may have (`quota_nb_watch_per_domain`, -W); as in 4.17, one more gets through. Exceeded: E2BIG. */
  readonly watchesPerDomain: number;
  /** Bytes of one stored node: header, perms, value, child names (`quota_max_entry_size`, -S). Exceeded: ENOSPC. */
  readonly nodeSize: number;
  /** Open transactions per connection (`quota_max_transaction`, -t); as in 4.17, one more gets through. Exceeded: ENOSPC. */
  readonly transactionsPerConnection: number;
  /** Entries in one permission list (`quota_nb_perms_per_node`, -A). Exceeded: ENOSPC. */
  readonly permsPerNode: number;
  /** Characters of a path after any `/local/domain/<N>/` (`quota_max_path_len`, -M). Exceeded: EINVAL. */
  readonly pathLength: number;
  /** Nodes one transaction may access (`quota_trans_nodes`, -n). Exceeded: ENOSPC. */
  readonly nodesPerTransaction: number;
}

/** Defaults of tools/xenstore/xenstored_core.c in 4.17. */
export const XS_DEFAULT_QUOTAS: XsQuotas = Object.freeze({
  entriesPerDomain: 1000,
  watchesPerDomain: 128,
  nodeSize: 2048,
  transactionsPerConnection: 10,
  permsPerNode: 5,
  pathLength: XENSTORE_REL_PATH_MAX,
  nodesPerTransaction: 1024,
});

/** Special watch paths fired by XS_INTRODUCE and XS_RELEASE. */
export const XS_INTRODUCE_DOMAIN = '@introduceDomain';
export const XS_RELEASE_DOMAIN = '@releaseDomain';

/** One watch event: the changed path (relative when the watch was) and the watch's token. */
export interface XsWatchEvent {
  readonly path: string;
  readonly token: string;
}

export type XsWatchCallback = (event: XsWatchEvent) => void;

/** Reads and writes, on a connection (each call its own atomic step) or inside a transaction. */
export interface XsOperations {
  /** The value of a node. ENOENT if missing, EACCES without read permission. */
  read(path: string): Uint8Array;
  /** `read`, decoded as UTF-8. */
  readString(path: string): string;
  /** `read`, or undefined when the node does not exist (other errors still throw). */
  tryRead(path: string): Uint8Array | undefined;
  /** The whole node (value, perms, children, generation) under the same rules as `read`. */
  readNode(path: string): XsNode;
  /** True when the node exists and is readable; false when missing. EACCES still throws. */
  exists(path: string): boolean;
  /** Writes a value (strings as UTF-8), creating the node and missing parents. */
  write(path: string, value: Uint8Array | string): void;
  /** Creates a node with an empty value; nothing happens when it exists. */
  mkdir(path: string): void;
  /** Removes a node and everything below it. A missing node whose parent exists is fine. */
  rm(path: string): void;
  /** Child names, in creation order. */
  directory(path: string): string[];
  /** Permission list; first entry is the owner and the default. */
  getPerms(path: string): XsPermission[];
  /** Replaces the permission list. Needs ownership; unprivileged domains may not change the owner. */
  setPerms(path: string, perms: readonly XsPermission[]): void;
}

/**
 * An open transaction. Each node is read live at its first access (read or write) and the transaction
 * keeps that copy and its generation; `commit` fails with EAGAIN if any of them moved meanwhile.
 */
export interface XsTransaction extends XsOperations, Disposable {
  /** Transaction id as on the wire (per connection, from 1). */
  readonly id: number;
  readonly open: boolean;
  /** Applies every change atomically, or throws `EAGAIN` (nothing applied) if anything it used moved. */
  commit(): void;
  abort(): void;
  /** `commit()` when `commit` is true, `abort()` otherwise (XS_TRANSACTION_END `T`/`F`). */
  end(commit: boolean): void;
}

/** A domain's handle on the store (one xenstored connection). */
export interface XsConnection extends XsOperations, Disposable {
  readonly domid: number;
  readonly privileged: boolean;
  /** This domain's home, `/local/domain/<domid>`; relative paths resolve below it. */
  readonly homePath: string;
  readonly closed: boolean;
  transactionStart(): XsTransaction;
  /** An open transaction of this connection by id; ENOENT when there is none. */
  transactionById(id: number): XsTransaction;
  /** Runs `body` in a transaction and commits, starting again on EAGAIN (at most `attempts` times). */
  transaction<T>(body: (transaction: XsTransaction) => T, options?: { attempts?: number }): T;
  /**
   * Registers a watch. The first event (the path itself) fires right away, as in Xen. Events go to
   * `callback`, else to the connection's `onWatchEvent`, else to a queue read by `takeWatchEvents()`.
   */
  watch(path: string, token: string, callback?: XsWatchCallback): void;
  unwatch(path: string, token: string): void;
  /** Drops every watch and transaction of this connection (XS_RESET_WATCHES). */
  resetWatches(): void;
  /** Queued events (watches without their own callback), oldest first, emptying the queue. */
  takeWatchEvents(): XsWatchEvent[];
  /** `/local/domain/<domid>` (XS_GET_DOMAIN_PATH). */
  getDomainPath(domid: number): string;
  /** Privileged: marks a domain introduced and fires `@introduceDomain` (XS_INTRODUCE). */
  introduceDomain(domid: number): void;
  /** Privileged: forgets a domain and fires `@releaseDomain` (XS_RELEASE). ENOENT when not introduced, EINVAL for Domain-0. */
  releaseDomain(domid: number): void;
  /** Privileged (XS_IS_DOMAIN_INTRODUCED). */
  isDomainIntroduced(domid: number): boolean;
  /** Aborts open transactions and drops watches. */
  close(): void;
}

export interface XsConnectOptions {
  /** Default: domid 0 is privileged, others are not. */
  readonly privileged?: boolean;
  /** Receives every event of watches registered without a callback, synchronously, after the change. */
  readonly onWatchEvent?: XsWatchCallback;
}

export interface XenStoreOptions {
  readonly quotas?: Partial<XsQuotas>;
}

/** The store: Xen's tree semantics over a backend, shared by all connections of this process. */
export interface XenStore {
  readonly backend: XenStoreBackend;
  readonly quotas: XsQuotas;
  /** Opens a connection acting as `domid`. */
  connect(domid: number, options?: XsConnectOptions): XsConnection;
  /**
   * Fires watches for changes committed by other processes sharing the backend (when the backend
   * keeps a change log). Returns how many changes were read. Cheap when nothing changed.
   */
  poll(): number;
  /** Closes every connection, then the backend. */
  close(): void;
}

const EMPTY = new Uint8Array(0);
const NO_CHILDREN: readonly string[] = Object.freeze([]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ROOT_PERMS: readonly XsPermission[] = Object.freeze([Object.freeze({ id: 0, access: 'n' as const })]);

/** Size of a stored node as xenstored counts it: record header, perms, value, child names. */
function nodeSize(content: XsNodeContent): number {
  return 24 + 8 * content.perms.length + content.value.length + childBytes(content);
}

interface Watch {
  readonly path: string;
  readonly token: string;
  /** Length to cut from event paths for a relative watch (the home path and its `/`), else 0. */
  readonly prefixLength: number;
  readonly callback: XsWatchCallback | undefined;
}

interface TransactionState {
  readonly id: number;
  /** Generation of every node first accessed (XS_NO_GENERATION when it did not exist). */
  readonly accessed: Map<string, number>;
  /**
   * What the transaction saw at each node's first access: a read takes a private copy, as 4.17's
   * access_node() does, so later reads in the transaction do not see outside changes.
   */
  readonly seen: Map<string, XsNodeContent | null>;
  /** The transaction's own nodes: content, or null for deleted. */
  readonly written: Map<string, XsNodeContent | null>;
  readonly changes: XsChange[];
  /** Change in the number of nodes this connection's domain owns. */
  ownedDelta: number;
  open: boolean;
}

/** Where an operation reads nodes from. */
interface NodeSource {
  get(path: string): XsNodeContent | undefined;
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

  get(path: string): XsNodeContent | undefined {
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

  /** Like `get`, but not recorded as an access (a transaction does not conflict on it). */
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

  writes(): XsNodeWrite[] {
    const writes: XsNodeWrite[] = [];
    for (const [path, node] of this.written) {
      writes.push(node ? { kind: 'put', path, node } : { kind: 'delete', path });
    }
    return writes;
  }
}

interface SpecialNode {
  perms: readonly XsPermission[];
}

class Store implements XenStore {
  readonly quotas: XsQuotas;
  readonly origin = randomUUID();
  readonly connections = new Set<Connection>();
  readonly special = new Map<string, SpecialNode>([
    [XS_INTRODUCE_DOMAIN, { perms: ROOT_PERMS }],
    [XS_RELEASE_DOMAIN, { perms: ROOT_PERMS }],
  ]);
  /** Watches per unprivileged domain, for the quota. */
  readonly watchCounts = new Map<number, number>();
  private cursor: number | undefined;
  private closed = false;

  readonly backend: XenStoreBackend;
  /** Live nodes, without bookkeeping: for reads outside transactions. */
  readonly live: NodeSource;

  constructor(backend: XenStoreBackend, options: XenStoreOptions) {
    this.backend = backend;
    this.live = { get: (path) => backend.getNode(path) };
    this.quotas = Object.freeze({ ...XS_DEFAULT_QUOTAS, ...options.quotas });
    this.initialise();
    if (backend.readChanges) this.cursor = backend.readChanges(undefined).cursor;
  }

  /** A fresh xenstored's tree: `/`, `/tool`, `/tool/xenstored`, all `n0`. */
  private initialise(): void {
    if (this.backend.getNode('/')) return;
    const node = (children: string[]): XsNodeContent => ({ value: EMPTY, perms: ROOT_PERMS, children: Object.freeze(children) });
    this.backend.commit({
      checks: new Map([['/', XS_NO_GENERATION]]),
      writes: [
        { kind: 'put', path: '/', node: node(['tool']) },
        { kind: 'put', path: '/tool', node: node(['xenstored']) },
        { kind: 'put', path: '/tool/xenstored', node: node([]) },
      ],
      changes: [],
      origin: this.origin,
    });
    // xenstored introduces Domain-0 when it starts (dom0_init).
    this.backend.setDomainIntroduced(0, true);
  }

  connect(domid: number, options: XsConnectOptions = {}): XsConnection {
    if (this.closed) throw new XsError('EBADF', 'the store is closed');
    if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) throw new XsError('EINVAL', `invalid domain id ${String(domid)}`);
    const connection = new Connection(this, domid, options.privileged ?? domid === 0, options.onWatchEvent);
    this.connections.add(connection);
    return connection;
  }

  poll(): number {
    const read = this.backend.readChanges;
    if (!read || this.cursor === undefined) return 0;
    const batch = read.call(this.backend, this.cursor);
    this.cursor = batch.cursor;
    const foreign = batch.changes.filter((change) => change.origin !== this.origin);
    this.fire(foreign);
    return batch.changes.length;
  }

  close(): void {
    if (this.closed) return;
    for (const connection of [...this.connections]) connection.close();
    this.closed = true;
    this.backend.close?.();
  }

  /** Delivers watch events for committed changes to every connection of this process. */
  fire(changes: readonly XsChange[]): void {
    if (changes.length === 0 || this.connections.size === 0) return;
    const deliveries: Array<() => void> = [];
    for (const connection of this.connections) {
      if (connection.watches.length === 0) continue;
      for (const change of changes) {
        if (!connection.mayHear(change)) continue;
        for (const watch of connection.watches) {
          const matches = change.exact ? change.path === watch.path : isPathAtOrBelow(change.path, watch.path);
          if (!matches) continue;
          const path = watch.prefixLength > 0 ? change.path.slice(watch.prefixLength) : change.path;
          deliveries.push(connection.queueEvent(watch, path));
        }
      }
    }
    for (const deliver of deliveries) deliver();
  }
}

class Connection implements XsConnection {
  readonly homePath: string;
  readonly watches: Watch[] = [];
  private readonly queue: XsWatchEvent[] = [];
  private readonly transactions = new Map<number, TransactionState>();
  private nextTransactionId = 1;
  closed = false;

  private readonly store: Store;
  readonly domid: number;
  readonly privileged: boolean;
  private readonly sink: XsWatchCallback | undefined;

  constructor(store: Store, domid: number, privileged: boolean, sink: XsWatchCallback | undefined) {
    this.store = store;
    this.domid = domid;
    this.privileged = privileged;
    this.sink = sink;
    this.homePath = getDomainPath(domid);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // --- access rules -----------------------------------------------------------------------

  private perm(perms: readonly XsPermission[]): number {
    return permissionFor(perms, this.domid, this.privileged);
  }

  /** @see watch_permitted, check_perms_special (xenstored_watch.c, xenstored_domain.c) */
  mayHear(change: XsChange): boolean {
    if (this.privileged) return true;
    if (isSpecialPath(change.path)) {
      const special = this.store.special.get(change.path);
      return special !== undefined && (this.perm(special.perms) & XS_PERM_READ) !== 0;
    }
    for (const perms of change.readers) if ((this.perm(perms) & XS_PERM_READ) !== 0) return true;
    return false;
  }

  private ensureOpen(): void {
    if (this.closed) throw new XsError('EBADF', 'the connection is closed');
  }

  private canonical(path: string): string {
    if (typeof path !== 'string') throw new XsError('EINVAL', 'a path must be a string');
    const absolute = canonicalizePath(this.domid, path);
    if (!isValidNodeName(absolute, this.store.quotas.pathLength)) {
      throw new XsError('EINVAL', `invalid node name: ${JSON.stringify(path)}`);
    }
    return absolute;
  }

  /**
   * A node the caller may use with `perm`; undefined when it does not exist and the nearest existing
   * ancestor allows `perm` (otherwise EACCES, so nothing leaks). @see get_node, errno_from_parents
   */
  private lookup(view: NodeSource, path: string, perm: number): XsNodeContent | undefined {
    const node = view.get(path);
    if (node) {
      if ((this.perm(node.perms) & perm) !== perm) throw new XsError('EACCES', `permission denied: ${path}`);
      return node;
    }
    if (this.privileged) return undefined;
    let ancestor = path;
    let found: XsNodeContent | undefined;
    while (ancestor !== '/' && !found) {
      ancestor = parentPath(ancestor);
      found = view.get(ancestor);
    }
    if (found && (this.perm(found.perms) & perm) !== 0) return undefined;
    throw new XsError('EACCES', `permission denied: ${path}`);
  }

  private checkSize(content: XsNodeContent): void {
    if (!this.privileged && nodeSize(content) >= this.store.quotas.nodeSize) {
      throw new XsError('ENOSPC', 'node too large for the quota');
    }
  }

  /**
   * The parent's perms, for deciding later who may hear about a change (watch_permitted). Looking
   * is not an access: xenstored reads the parent when it fires, outside the transaction.
   */
  private parentReaders(view: OperationView, path: string): readonly XsPermission[] {
    if (path === '/') return ROOT_PERMS;
    return view.peek(parentPath(path))?.perms ?? ROOT_PERMS;
  }

  // --- running an operation ----------------------------------------------------------------

  /**
   * Runs `body` over a fresh view. Outside a transaction the result is committed at once (and the
   * operation rerun if another process moved a node it used); inside, it joins the transaction.
   * A failing operation leaves nothing behind.
   */
  run<T>(transaction: TransactionState | undefined, body: (view: OperationView) => T): T {
    this.ensureOpen();
    const store = this.store;
    if (transaction) {
      if (!transaction.open) throw new XsError('ENOENT', `no transaction ${transaction.id}`);
      const view = new OperationView(store.backend, transaction, this.privileged ? Infinity : store.quotas.nodesPerTransaction);
      let result: T;
      try {
        result = body(view);
      } finally {
        // What a failed operation looked at still counts (a node found missing must stay missing).
        for (const [path, generation] of view.accessed) transaction.accessed.set(path, generation);
        for (const [path, node] of view.seen) transaction.seen.set(path, node);
      }
      for (const [path, node] of view.written) transaction.written.set(path, node);
      for (const change of view.changes) transaction.changes.push(change);
      transaction.ownedDelta += view.ownedDelta;
      return result;
    }
    for (let attempt = 0; ; attempt += 1) {
      const view = new OperationView(store.backend, undefined, Infinity);
      const result = body(view);
      if (view.written.size === 0 && view.changes.length === 0) return result;
      const committed = store.backend.commit({
        checks: view.accessed,
        writes: view.writes(),
        changes: view.changes,
        origin: store.origin,
      });
      if (committed) {
        store.fire(view.changes);
        return result;
      }
      if (attempt >= 64) throw new XsError('EAGAIN', 'the store kept changing under this operation');
    }
  }

  private ownedNodes(view: OperationView, transaction: TransactionState | undefined): number {
    return this.store.backend.countOwnedNodes(this.domid) + view.ownedDelta + (transaction ? transaction.ownedDelta : 0);
  }

  private account(view: OperationView, perms: readonly XsPermission[], delta: number): void {
    if (perms[0]!.id === this.domid) view.ownedDelta += delta;
  }

  // --- operations ----------------------------------------------------------------------------

  /** The node, or undefined when it does not exist (EACCES and EINVAL still throw). No exceptions on the common paths. */
  findIn(transaction: TransactionState | undefined, path: string): XsNodeContent | undefined {
    const absolute = this.canonical(path);
    if (!transaction) {
      // Outside a transaction a read needs no bookkeeping: straight to the backend.
      this.ensureOpen();
      return this.lookup(this.store.live, absolute, XS_PERM_READ);
    }
    return this.run(transaction, (view) => this.lookup(view, absolute, XS_PERM_READ));
  }

  readIn(transaction: TransactionState | undefined, path: string): XsNodeContent {
    const node = this.findIn(transaction, path);
    if (!node) throw new XsError('ENOENT', `no such node: ${canonicalizePath(this.domid, path)}`);
    return node;
  }

  readNodeIn(transaction: TransactionState | undefined, path: string): XsNode {
    const node = this.readIn(transaction, path);
    return {
      value: node.value.slice(),
      perms: node.perms,
      children: node.children,
      // A node written in the transaction has no generation yet.
      generation: (node as Partial<XsNode>).generation ?? XS_NO_GENERATION,
    };
  }

  existsIn(transaction: TransactionState | undefined, path: string): boolean {
    return this.findIn(transaction, path) !== undefined;
  }

  /**
   * Creates `path` and missing parents in `view`, and records the change for watches.
   * @see construct_node, create_node
   */
  private create(view: OperationView, transaction: TransactionState | undefined, path: string, value: Uint8Array): void {
    const missing: string[] = [path];
    let parent = parentPath(path);
    let parentNode = view.get(parent);
    while (!parentNode) {
      missing.push(parent);
      parent = parentPath(parent);
      parentNode = view.get(parent);
    }
    const quota = this.store.quotas.entriesPerDomain;
    for (let index = missing.length - 1; index >= 0; index -= 1) {
      const name = missing[index]!;
      if (!this.privileged && this.ownedNodes(view, transaction) >= quota) {
        throw new XsError('ENOSPC', 'too many nodes for this domain');
      }
      const updatedParent = nodeContent(parentNode.value, parentNode.perms, childrenWith(parentNode, baseName(name)));
      this.checkSize(updatedParent);
      view.put(parent, updatedParent);
      let perms = parentNode.perms;
      if (!this.privileged && perms[0]!.id !== this.domid) {
        perms = Object.freeze([Object.freeze({ id: this.domid, access: perms[0]!.access }), ...perms.slice(1)]);
      }
      const node: XsNodeContent = { value: index === 0 ? value : EMPTY, perms, children: NO_CHILDREN };
      this.checkSize(node);
      view.put(name, node);
      this.account(view, perms, 1);
      parent = name;
      parentNode = node;
    }
    view.changes.push({ path, exact: false, readers: [parentNode.perms, this.parentReaders(view, path)] });
  }

  writeIn(transaction: TransactionState | undefined, path: string, value: Uint8Array | string): void {
    const absolute = this.canonical(path);
    const bytes = typeof value === 'string' ? encoder.encode(value) : value.slice();
    if (bytes.length > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG', 'value longer than a xenstore message');
    this.run(transaction, (view) => {
      const node = this.lookup(view, absolute, XS_PERM_WRITE);
      if (node) {
        const updated = nodeContent(bytes, node.perms, keptChildren(node));
        this.checkSize(updated);
        view.put(absolute, updated);
        view.changes.push({ path: absolute, exact: false, readers: [node.perms, this.parentReaders(view, absolute)] });
      } else {
        this.create(view, transaction, absolute, bytes);
      }
    });
  }

  mkdirIn(transaction: TransactionState | undefined, path: string): void {
    const absolute = this.canonical(path);
    this.run(transaction, (view) => {
      if (this.lookup(view, absolute, XS_PERM_WRITE)) return;
      this.create(view, transaction, absolute, EMPTY);
    });
  }

  rmIn(transaction: TransactionState | undefined, path: string): void {
    const absolute = this.canonical(path);
    this.run(transaction, (view) => {
      const node = this.lookup(view, absolute, XS_PERM_WRITE);
      if (!node) {
        // Missing: fine when the parent exists. @see do_rm
        if (absolute !== '/' && view.get(parentPath(absolute))) return;
        throw new XsError('ENOENT', `no such node: ${absolute}`);
      }
      if (absolute === '/') throw new XsError('EINVAL', 'cannot remove /');
      const parent = parentPath(absolute);
      const parentNode = view.get(parent)!;
      // Children first, as xenstored's tree walk fires them (exact), then the node itself.
      const removeTree = (name: string, content: XsNodeContent): void => {
        for (const child of content.children) {
          const childName = childPath(name, child);
          const childNode = view.get(childName);
          if (childNode) removeTree(childName, childNode);
        }
        view.delete(name);
        this.account(view, content.perms, -1);
        view.changes.push({ path: name, exact: name !== absolute, readers: [content.perms, this.parentReaders(view, name)] });
      };
      removeTree(absolute, node);
      const leaf = baseName(absolute);
      view.put(parent, nodeContent(parentNode.value, parentNode.perms, childrenWithout(parentNode, leaf)));
    });
  }

  directoryIn(transaction: TransactionState | undefined, path: string): string[] {
    return [...this.readIn(transaction, path).children];
  }

  getPermsIn(transaction: TransactionState | undefined, path: string): XsPermission[] {
    // 4.17 accepts `@` paths only in WATCH, UNWATCH and SET_PERMS: here they fail the node-name check (EINVAL).
    return [...this.readIn(transaction, path).perms];
  }

  setPermsIn(transaction: TransactionState | undefined, path: string, perms: readonly XsPermission[]): void {
    const list = normalizePermissions(perms);
    if (!this.privileged && list.length > this.store.quotas.permsPerNode) throw new XsError('ENOSPC', 'too many permissions');
    if (isSpecialPath(path)) {
      // @see set_perms_special (xenstored_domain.c)
      const special = this.store.special.get(path);
      if (!special) throw new XsError('EINVAL', `no such special node: ${path}`);
      const needed = XS_PERM_WRITE | XS_PERM_OWNER;
      if ((this.perm(special.perms) & needed) !== needed) throw new XsError('EACCES', `permission denied: ${path}`);
      this.ensureOpen();
      special.perms = list;
      return;
    }
    const absolute = this.canonical(path);
    this.run(transaction, (view) => {
      const node = this.lookup(view, absolute, XS_PERM_WRITE | XS_PERM_OWNER);
      if (!node) throw new XsError('ENOENT', `no such node: ${absolute}`);
      if (!this.privileged && list[0]!.id !== node.perms[0]!.id) throw new XsError('EPERM', 'only a privileged domain may change the owner');
      const updated = nodeContent(node.value, list, keptChildren(node));
      this.checkSize(updated);
      this.account(view, node.perms, -1);
      this.account(view, list, 1);
      view.put(absolute, updated);
      view.changes.push({ path: absolute, exact: false, readers: [node.perms, list, this.parentReaders(view, absolute)] });
    });
  }

  // --- XsOperations on the connection --------------------------------------------------------

  read(path: string): Uint8Array {
    return this.readIn(undefined, path).value.slice();
  }
  readString(path: string): string {
    return decoder.decode(this.readIn(undefined, path).value);
  }
  tryRead(path: string): Uint8Array | undefined {
    return this.findIn(undefined, path)?.value.slice();
  }
  readNode(path: string): XsNode {
    return this.readNodeIn(undefined, path);
  }
  exists(path: string): boolean {
    return this.existsIn(undefined, path);
  }
  write(path: string, value: Uint8Array | string): void {
    this.writeIn(undefined, path, value);
  }
  mkdir(path: string): void {
    this.mkdirIn(undefined, path);
  }
  rm(path: string): void {
    this.rmIn(undefined, path);
  }
  directory(path: string): string[] {
    return this.directoryIn(undefined, path);
  }
  getPerms(path: string): XsPermission[] {
    return this.getPermsIn(undefined, path);
  }
  setPerms(path: string, perms: readonly XsPermission[]): void {
    this.setPermsIn(undefined, path, perms);
  }

  // --- transactions ---------------------------------------------------------------------------

  transactionStart(): XsTransaction {
    this.ensureOpen();
    // 4.17 compares the count before this one with `>`, so one more than the quota can be open.
    if (!this.privileged && this.transactions.size > this.store.quotas.transactionsPerConnection) {
      throw new XsError('ENOSPC', 'too many open transactions');
    }
    const state: TransactionState = {
      id: this.nextTransactionId,
      accessed: new Map(),
      seen: new Map(),
      written: new Map(),
      changes: [],
      ownedDelta: 0,
      open: true,
    };
    this.nextTransactionId = this.nextTransactionId >= 0xffffffff ? 1 : this.nextTransactionId + 1;
    this.transactions.set(state.id, state);
    return new Transaction(this, state);
  }

  transactionById(id: number): XsTransaction {
    const state = this.transactions.get(id);
    if (!state) throw new XsError('ENOENT', `no transaction ${id}`);
    return new Transaction(this, state);
  }

  transaction<T>(body: (transaction: XsTransaction) => T, options: { attempts?: number } = {}): T {
    const attempts = options.attempts ?? 16;
    for (let attempt = 1; ; attempt += 1) {
      const transaction = this.transactionStart();
      let result: T;
      try {
        result = body(transaction);
      } catch (error) {
        transaction.abort();
        throw error;
      }
      try {
        transaction.commit();
        return result;
      } catch (error) {
        if (!(XsError.is(error) && error.code === 'EAGAIN') || attempt >= attempts) throw error;
      }
    }
  }

  /** @see do_transaction_end, finalize_transaction (xenstored_transaction.c) */
  endTransaction(state: TransactionState, commit: boolean): void {
    if (!state.open) throw new XsError('ENOENT', `no transaction ${state.id}`);
    state.open = false;
    this.transactions.delete(state.id);
    if (!commit || (state.written.size === 0 && state.changes.length === 0)) {
      if (commit) this.checkUnchanged(state);
      return;
    }
    const writes: XsNodeWrite[] = [];
    for (const [path, node] of state.written) writes.push(node ? { kind: 'put', path, node } : { kind: 'delete', path });
    const committed = this.store.backend.commit({
      checks: state.accessed,
      writes,
      changes: state.changes,
      origin: this.store.origin,
    });
    if (!committed) throw new XsError('EAGAIN', `transaction ${state.id} conflicts with a change made meanwhile`);
    this.store.fire(state.changes);
  }

  /** A read-only transaction still fails when what it read has moved (as Xen's generation check does). */
  private checkUnchanged(state: TransactionState): void {
    for (const [path, generation] of state.accessed) {
      const node = this.store.backend.getNode(path);
      if ((node ? node.generation : XS_NO_GENERATION) !== generation) {
        throw new XsError('EAGAIN', `transaction ${state.id} read a node changed meanwhile`);
      }
    }
  }

  // --- watches ---------------------------------------------------------------------------------

  watch(path: string, token: string, callback?: XsWatchCallback): void {
    this.ensureOpen();
    if (typeof path !== 'string' || typeof token !== 'string') throw new XsError('EINVAL', 'path and token must be strings');
    let absolute: string;
    let prefixLength = 0;
    if (isSpecialPath(path)) {
      if (path.length > XENSTORE_REL_PATH_MAX) throw new XsError('EINVAL', 'watch path too long');
      absolute = path;
    } else {
      absolute = this.canonical(path);
      if (path.charCodeAt(0) !== 0x2f) prefixLength = this.homePath.length + 1;
    }
    for (const watch of this.watches) {
      if (watch.path === absolute && watch.token === token) throw new XsError('EEXIST', `watch exists: ${path} ${token}`);
    }
    if (!this.privileged) {
      const count = this.store.watchCounts.get(this.domid) ?? 0;
      // As in 4.17 (`domain_watch(conn) > quota`), one more than the quota can be registered.
      if (count > this.store.quotas.watchesPerDomain) throw new XsError('E2BIG', 'too many watches');
      this.store.watchCounts.set(this.domid, count + 1);
    }
    const watch: Watch = { path: absolute, token, prefixLength, callback };
    this.watches.push(watch);
    this.queueEvent(watch, prefixLength > 0 ? absolute.slice(prefixLength) : absolute)();
  }

  unwatch(path: string, token: string): void {
    this.ensureOpen();
    if (typeof path !== 'string' || typeof token !== 'string') throw new XsError('EINVAL', 'path and token must be strings');
    const absolute = canonicalizePath(this.domid, path);
    const index = this.watches.findIndex((watch) => watch.path === absolute && watch.token === token);
    if (index < 0) throw new XsError('ENOENT', `no such watch: ${path} ${token}`);
    this.watches.splice(index, 1);
    this.uncountWatches(1);
  }

  private uncountWatches(count: number): void {
    if (this.privileged || count === 0) return;
    const counts = this.store.watchCounts;
    const remaining = (counts.get(this.domid) ?? 0) - count;
    if (remaining > 0) counts.set(this.domid, remaining);
    else counts.delete(this.domid);
  }

  resetWatches(): void {
    this.ensureOpen();
    this.uncountWatches(this.watches.length);
    this.watches.length = 0;
    for (const state of this.transactions.values()) state.open = false;
    this.transactions.clear();
  }

  /** Returns the delivery of one event (run after every match is found, so callbacks see a settled store). */
  queueEvent(watch: Watch, path: string): () => void {
    const event: XsWatchEvent = { path, token: watch.token };
    const callback = watch.callback ?? this.sink;
    if (!callback) {
      return () => {
        this.queue.push(event);
      };
    }
    return () => {
      if (this.closed) return;
      try {
        callback(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    };
  }

  takeWatchEvents(): XsWatchEvent[] {
    return this.queue.splice(0, this.queue.length);
  }

  // --- domains ------------------------------------------------------------------------------

  getDomainPath(domid: number): string {
    return getDomainPath(domid);
  }

  private requirePrivilege(what: string): void {
    this.ensureOpen();
    if (!this.privileged) throw new XsError('EACCES', `${what} needs a privileged connection`);
  }

  introduceDomain(domid: number): void {
    this.requirePrivilege('introducing a domain');
    if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) throw new XsError('EINVAL', `invalid domain id ${String(domid)}`);
    const backend = this.store.backend;
    if (backend.isDomainIntroduced(domid)) return;
    backend.setDomainIntroduced(domid, true);
    this.fireSpecial(XS_INTRODUCE_DOMAIN);
  }

  releaseDomain(domid: number): void {
    this.requirePrivilege('releasing a domain');
    const backend = this.store.backend;
    if (!Number.isInteger(domid) || domid <= 0 || domid > 0xffff) throw new XsError('EINVAL', `invalid domain id ${String(domid)}`);
    if (!backend.isDomainIntroduced(domid)) throw new XsError('ENOENT', `domain ${domid} is not introduced`);
    backend.setDomainIntroduced(domid, false);
    this.fireSpecial(XS_RELEASE_DOMAIN);
  }

  private fireSpecial(path: string): void {
    const change: XsChange = { path, exact: true, readers: [] };
    this.store.backend.commit({ checks: new Map(), writes: [], changes: [change], origin: this.store.origin });
    this.store.fire([change]);
  }

  isDomainIntroduced(domid: number): boolean {
    this.requirePrivilege('asking about a domain');
    return this.store.backend.isDomainIntroduced(domid);
  }

  close(): void {
    if (this.closed) return;
    for (const state of this.transactions.values()) state.open = false;
    this.transactions.clear();
    this.uncountWatches(this.watches.length);
    this.watches.length = 0;
    this.queue.length = 0;
    this.closed = true;
    this.store.connections.delete(this);
  }
}

class Transaction implements XsTransaction {
  private readonly connection: Connection;
  private readonly state: TransactionState;

  constructor(connection: Connection, state: TransactionState) {
    this.connection = connection;
    this.state = state;
  }

  get id(): number {
    return this.state.id;
  }
  get open(): boolean {
    return this.state.open;
  }
  read(path: string): Uint8Array {
    return this.connection.readIn(this.state, path).value.slice();
  }
  readString(path: string): string {
    return decoder.decode(this.connection.readIn(this.state, path).value);
  }
  tryRead(path: string): Uint8Array | undefined {
    return this.connection.findIn(this.state, path)?.value.slice();
  }
  readNode(path: string): XsNode {
    return this.connection.readNodeIn(this.state, path);
  }
  exists(path: string): boolean {
    return this.connection.existsIn(this.state, path);
  }
  write(path: string, value: Uint8Array | string): void {
    this.connection.writeIn(this.state, path, value);
  }
  mkdir(path: string): void {
    this.connection.mkdirIn(this.state, path);
  }
  rm(path: string): void {
    this.connection.rmIn(this.state, path);
  }
  directory(path: string): string[] {
    return this.connection.directoryIn(this.state, path);
  }
  getPerms(path: string): XsPermission[] {
    return this.connection.getPermsIn(this.state, path);
  }
  setPerms(path: string, perms: readonly XsPermission[]): void {
    this.connection.setPermsIn(this.state, path, perms);
  }
  commit(): void {
    this.connection.endTransaction(this.state, true);
  }
  abort(): void {
    this.connection.endTransaction(this.state, false);
  }
  end(commit: boolean): void {
    this.connection.endTransaction(this.state, commit);
  }
  [Symbol.dispose](): void {
    if (this.state.open) this.abort();
  }
}

/** Xen's xenstore logic over `backend`. */
export function createXenStore(backend: XenStoreBackend, options: XenStoreOptions = {}): XenStore {
  return new Store(backend, options);
}
