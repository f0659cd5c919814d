/**
 * The xenstore logic over any `XenStoreBackend`: the store, its connections and their transactions.
 * The parts follow xenstored's files: node operations in `core.ts` (xenstored_core.c), transactions
 * in `transaction.ts` (xenstored_transaction.c), watches in `watch.ts` (xenstored_watch.c), domains
 * and the special nodes in `domain.ts` (xenstored_domain.c).
 *
 * @see tools/xenstore/xenstored_core.c (main, dom0_init), xenstored_transaction.c, xenstored_watch.c,
 *   xenstored_domain.c
 */
import type { XenStoreBackend, XsChange, XsNodeContent } from './backend.ts';
import { XS_NO_GENERATION } from './backend.ts';
import { ChildList } from './child-list.ts';
import { Caller, OperationFace, type NodeContext, type XsOperations } from './core.ts';
import { SpecialNodes, checkDomid, introduceDomain, releaseDomain } from './domain.ts';
import { XsError } from './errors.ts';
import { ROOT_PERMS, XS_DEFAULT_QUOTAS, type XsQuotas } from './limits.ts';
import { XENSTORE_REL_PATH_MAX, canonicalizePath, getDomainPath, isSpecialPath } from './path.ts';
import { XS_PERM_READ } from './perms.ts';
import { randomId } from './random-id.ts';
import { ConnectionTransactions, type TransactionState } from './transaction.ts';
import type { XsTraceSink } from './trace.ts';
import { ConnectionWatches, fireWatches, type WatchCounts, type XsWatchCallback, type XsWatchEvent } from './watch.ts';

export { XENSTORE_PAYLOAD_MAX, XS_DEFAULT_QUOTAS, type XsQuotas } from './limits.ts';
export { XS_INTRODUCE_DOMAIN, XS_RELEASE_DOMAIN } from './domain.ts';
export type { XsOperations } from './core.ts';
export type { XsWatchCallback, XsWatchEvent } from './watch.ts';

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
  /** Receives every request that changes the store, in order (off by default; see `trace.ts`). */
  readonly trace?: XsTraceSink;
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

class Store implements XenStore, NodeContext {
  readonly quotas: XsQuotas;
  readonly origin = randomId();
  readonly connections = new Set<Connection>();
  readonly special = new SpecialNodes();
  readonly watchCounts: WatchCounts = new Map();
  readonly trace: XsTraceSink | undefined;
  private connectionCount = 0;
  private cursor: number | undefined;
  private closed = false;

  readonly backend: XenStoreBackend;

  constructor(backend: XenStoreBackend, options: XenStoreOptions) {
    this.backend = backend;
    this.quotas = Object.freeze({ ...XS_DEFAULT_QUOTAS, ...options.quotas });
    this.trace = options.trace;
    this.initialise();
    if (backend.readChanges) this.cursor = backend.readChanges(undefined).cursor;
  }

  /** A fresh xenstored's tree: `/`, `/tool`, `/tool/xenstored`, all `n0`. */
  private initialise(): void {
    if (this.backend.getNode('/')) return;
    const node = (children: string[]): XsNodeContent => ({ value: new Uint8Array(0), perms: ROOT_PERMS, children: ChildList.of(children) });
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
    checkDomid(domid);
    this.connectionCount += 1;
    const caller = new Caller(this, domid, options.privileged ?? domid === 0, this.connectionCount);
    const connection = new Connection(this, caller, options.onWatchEvent);
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

  fire(changes: readonly XsChange[]): void {
    fireWatches(this.connections, changes);
  }
}

class Connection extends OperationFace implements XsConnection {
  readonly watches: ConnectionWatches;
  private readonly transactions = new ConnectionTransactions();
  private readonly store: Store;

  constructor(store: Store, caller: Caller, sink: XsWatchCallback | undefined) {
    super(caller, undefined);
    this.store = store;
    this.watches = new ConnectionWatches(caller.domid, caller.privileged ? undefined : store.watchCounts, sink);
  }

  get domid(): number {
    return this.caller.domid;
  }
  get privileged(): boolean {
    return this.caller.privileged;
  }
  get homePath(): string {
    return this.caller.homePath;
  }
  get closed(): boolean {
    return this.caller.closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @see watch_permitted, check_perms_special (xenstored_watch.c, xenstored_domain.c) */
  mayHear(change: XsChange): boolean {
    const caller = this.caller;
    if (caller.privileged) return true;
    const access = (perms: Parameters<Caller['access']>[0]): number => caller.access(perms);
    if (isSpecialPath(change.path)) return this.store.special.mayRead(change.path, access);
    for (const perms of change.readers) if ((access(perms) & XS_PERM_READ) !== 0) return true;
    return false;
  }

  // --- transactions ---------------------------------------------------------------------------

  transactionStart(): XsTransaction {
    let state: TransactionState | undefined;
    this.caller.traced('TRANSACTION_START', () => state?.id ?? 0, () => [''], () => {
      this.caller.ensureOpen();
      state = this.transactions.start(this.privileged ? undefined : this.store.quotas.transactionsPerConnection);
    });
    return new Transaction(this, state!);
  }

  transactionById(id: number): XsTransaction {
    return new Transaction(this, this.transactions.byId(id));
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

  endTransaction(state: TransactionState, commit: boolean): void {
    this.caller.traced('TRANSACTION_END', state.id, () => [commit ? 'T' : 'F'], () => this.transactions.end(this.store, state, commit));
  }

  // --- watches ---------------------------------------------------------------------------------

  /** @see do_watch */
  watch(path: string, token: string, callback?: XsWatchCallback): void {
    const caller = this.caller;
    caller.ensureOpen();
    if (typeof path !== 'string' || typeof token !== 'string') throw new XsError('EINVAL', 'path and token must be strings');
    let absolute: string;
    let prefixLength = 0;
    if (isSpecialPath(path)) {
      if (path.length > XENSTORE_REL_PATH_MAX) throw new XsError('EINVAL', 'watch path too long');
      absolute = path;
    } else {
      absolute = caller.canonical(path);
      if (path.charCodeAt(0) !== 0x2f) prefixLength = caller.homePath.length + 1;
    }
    this.watches.add(absolute, token, prefixLength, callback, this.store.quotas.watchesPerDomain);
  }

  /** @see do_unwatch */
  unwatch(path: string, token: string): void {
    this.caller.ensureOpen();
    if (typeof path !== 'string' || typeof token !== 'string') throw new XsError('EINVAL', 'path and token must be strings');
    this.watches.remove(canonicalizePath(this.domid, path), token, path);
  }

  /** @see do_reset_watches */
  resetWatches(): void {
    this.caller.ensureOpen();
    this.watches.clear();
    this.transactions.abandonAll();
  }

  takeWatchEvents(): XsWatchEvent[] {
    return this.watches.take();
  }

  // --- domains ------------------------------------------------------------------------------

  getDomainPath(domid: number): string {
    return getDomainPath(domid);
  }

  private requirePrivilege(what: string): void {
    this.caller.ensureOpen();
    if (!this.privileged) throw new XsError('EACCES', `${what} needs a privileged connection`);
  }

  introduceDomain(domid: number): void {
    this.caller.traced('INTRODUCE', 0, () => [String(domid)], () => {
      this.requirePrivilege('introducing a domain');
      introduceDomain(this.store, domid);
    });
  }

  releaseDomain(domid: number): void {
    this.caller.traced('RELEASE', 0, () => [String(domid)], () => {
      this.requirePrivilege('releasing a domain');
      releaseDomain(this.store, domid);
    });
  }

  isDomainIntroduced(domid: number): boolean {
    this.requirePrivilege('asking about a domain');
    return this.store.backend.isDomainIntroduced(domid);
  }

  close(): void {
    if (this.closed) return;
    this.transactions.abandonAll();
    this.watches.close();
    this.caller.closed = true;
    this.store.connections.delete(this);
  }
}

class Transaction extends OperationFace implements XsTransaction {
  private readonly connection: Connection;
  private readonly state: TransactionState;

  constructor(connection: Connection, state: TransactionState) {
    super(connection.caller, state);
    this.connection = connection;
    this.state = state;
  }

  get id(): number {
    return this.state.id;
  }
  get open(): boolean {
    return this.state.open;
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
