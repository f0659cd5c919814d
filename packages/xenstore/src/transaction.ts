/**
 * Optimistic transactions: what a transaction read (with generations) and wrote, the open
 * transactions of one connection, and the commit that checks the generations and applies the writes
 * in one backend commit, or fails with EAGAIN.
 * @see tools/xenstore/xenstored_transaction.c (do_transaction_start, do_transaction_end,
 *   finalize_transaction, check_transaction)
 */
import type { XsChange, XsNodeContent, XsNodeWrite } from './backend.ts';
import { XS_NO_GENERATION } from './backend.ts';
import { XsError } from './errors.ts';
import type { StoreContext } from './limits.ts';

/** What one transaction holds. */
export interface TransactionState {
  /** Transaction id as on the wire (per connection, from 1). */
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

/** The backend writes of `written` (content, or null for deleted). */
export function writesOf(written: ReadonlyMap<string, XsNodeContent | null>): XsNodeWrite[] {
  const writes: XsNodeWrite[] = [];
  for (const [path, node] of written) writes.push(node ? { kind: 'put', path, node } : { kind: 'delete', path });
  return writes;
}

/** The open transactions of one connection. */
export class ConnectionTransactions {
  readonly #open = new Map<number, TransactionState>();
  #nextId = 1;

  /**
   * A new transaction. ENOSPC past `limit` open ones (4.17 compares the count before this one with
   * `>`, so one more than the quota can be open); no limit when `limit` is undefined.
   */
  start(limit: number | undefined): TransactionState {
    if (limit !== undefined && this.#open.size > limit) throw new XsError('ENOSPC', 'too many open transactions');
    const state: TransactionState = {
      id: this.#nextId,
      accessed: new Map(),
      seen: new Map(),
      written: new Map(),
      changes: [],
      ownedDelta: 0,
      open: true,
    };
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    this.#open.set(state.id, state);
    return state;
  }

  /** The open transaction `id`; ENOENT when there is none. */
  byId(id: number): TransactionState {
    const state = this.#open.get(id);
    if (!state) throw new XsError('ENOENT', `no transaction ${id}`);
    return state;
  }

  /**
   * Ends a transaction: applies its changes in one backend commit when `commit` is true, or throws
   * EAGAIN (nothing applied) when anything it used moved meanwhile.
   * @see do_transaction_end, finalize_transaction
   */
  end(context: StoreContext, state: TransactionState, commit: boolean): void {
    if (!state.open) throw new XsError('ENOENT', `no transaction ${state.id}`);
    state.open = false;
    this.#open.delete(state.id);
    if (!commit || (state.written.size === 0 && state.changes.length === 0)) {
      if (commit) checkUnchanged(context, state);
      return;
    }
    const committed = context.backend.commit({
      checks: state.accessed,
      writes: writesOf(state.written),
      changes: state.changes,
      origin: context.origin,
    });
    if (!committed) throw new XsError('EAGAIN', `transaction ${state.id} conflicts with a change made meanwhile`);
    context.fire(state.changes);
  }

  /** Closes every open transaction without applying it (XS_RESET_WATCHES, closing the connection). */
  abandonAll(): void {
    for (const state of this.#open.values()) state.open = false;
    this.#open.clear();
  }
}

/** A read-only transaction still fails when what it read has moved (as Xen's generation check does). */
function checkUnchanged(context: StoreContext, state: TransactionState): void {
  for (const [path, generation] of state.accessed) {
    const node = context.backend.getNode(path);
    if ((node ? node.generation : XS_NO_GENERATION) !== generation) {
      throw new XsError('EAGAIN', `transaction ${state.id} read a node changed meanwhile`);
    }
  }
}
