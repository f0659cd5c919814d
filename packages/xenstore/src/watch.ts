/**
 * Watches: one connection's registrations and the events it has not taken yet, and the firing of
 * committed changes to every connection of a store.
 * @see tools/xenstore/xenstored_watch.c (do_watch, do_unwatch, do_reset_watches, fire_watches, watch_permitted)
 */
import type { XsChange } from './backend.ts';
import { XsError } from './errors.ts';
import { isPathAtOrBelow } from './path.ts';

/** One watch event: the changed path (relative when the watch was) and the watch's token. */
export interface XsWatchEvent {
  readonly path: string;
  readonly token: string;
}

export type XsWatchCallback = (event: XsWatchEvent) => void;

interface Watch {
  readonly path: string;
  readonly token: string;
  /** Length to cut from event paths for a relative watch (the home path and its `/`), else 0. */
  readonly prefixLength: number;
  readonly callback: XsWatchCallback | undefined;
}

/** Watches per unprivileged domain, shared by the connections of one store, for the quota. */
export type WatchCounts = Map<number, number>;

/** One connection's watches. */
export class ConnectionWatches {
  readonly #watches: Watch[] = [];
  readonly #queue: XsWatchEvent[] = [];
  readonly #domid: number;
  /** The per-domain counts this connection's watches go into; undefined for a privileged connection. */
  readonly #counts: WatchCounts | undefined;
  readonly #sink: XsWatchCallback | undefined;
  #closed = false;

  constructor(domid: number, counts: WatchCounts | undefined, sink: XsWatchCallback | undefined) {
    this.#domid = domid;
    this.#counts = counts;
    this.#sink = sink;
  }

  get size(): number {
    return this.#watches.length;
  }

  /**
   * Registers a watch on the absolute `path` and fires its first event at once, as Xen does.
   * EEXIST for the same path and token; E2BIG past the domain's quota (one more gets through, as in 4.17).
   */
  add(path: string, token: string, prefixLength: number, callback: XsWatchCallback | undefined, quota: number): void {
    for (const watch of this.#watches) {
      if (watch.path === path && watch.token === token) throw new XsError('EEXIST', `watch exists: ${path} ${token}`);
    }
    const counts = this.#counts;
    if (counts) {
      const count = counts.get(this.#domid) ?? 0;
      if (count > quota) throw new XsError('E2BIG', 'too many watches');
      counts.set(this.#domid, count + 1);
    }
    const watch: Watch = { path, token, prefixLength, callback };
    this.#watches.push(watch);
    this.#delivery(watch, prefixLength > 0 ? path.slice(prefixLength) : path)();
  }

  /** Removes the watch on the absolute `path` with `token`; ENOENT when there is none. */
  remove(path: string, token: string, shownPath: string): void {
    const index = this.#watches.findIndex((watch) => watch.path === path && watch.token === token);
    if (index < 0) throw new XsError('ENOENT', `no such watch: ${shownPath} ${token}`);
    this.#watches.splice(index, 1);
    this.#uncount(1);
  }

  /** Drops every watch (XS_RESET_WATCHES). */
  clear(): void {
    this.#uncount(this.#watches.length);
    this.#watches.length = 0;
  }

  /** Drops every watch and queued event; later deliveries do nothing. */
  close(): void {
    this.clear();
    this.#queue.length = 0;
    this.#closed = true;
  }

  #uncount(count: number): void {
    const counts = this.#counts;
    if (!counts || count === 0) return;
    const remaining = (counts.get(this.#domid) ?? 0) - count;
    if (remaining > 0) counts.set(this.#domid, remaining);
    else counts.delete(this.#domid);
  }

  /** Adds the deliveries of `change` to `into`, one per matching watch. */
  match(change: XsChange, into: Array<() => void>): void {
    for (const watch of this.#watches) {
      const matches = change.exact ? change.path === watch.path : isPathAtOrBelow(change.path, watch.path);
      if (matches) into.push(this.#delivery(watch, watch.prefixLength > 0 ? change.path.slice(watch.prefixLength) : change.path));
    }
  }

  /** The delivery of one event, run after every match is found, so callbacks see a settled store. */
  #delivery(watch: Watch, path: string): () => void {
    const event: XsWatchEvent = { path, token: watch.token };
    const callback = watch.callback ?? this.#sink;
    if (!callback) {
      return () => {
        this.#queue.push(event);
      };
    }
    return () => {
      if (this.#closed) return;
      try {
        callback(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    };
  }

  /** Queued events, oldest first, emptying the queue. */
  take(): XsWatchEvent[] {
    return this.#queue.splice(0, this.#queue.length);
  }
}

/** A connection as firing sees it: its watches, and whether it may hear about a change. */
export interface Listener {
  readonly watches: ConnectionWatches;
  mayHear(change: XsChange): boolean;
}

/** Delivers the events of committed `changes` to every listener that may hear them. @see fire_watches */
export function fireWatches(listeners: Iterable<Listener>, changes: readonly XsChange[]): void {
  if (changes.length === 0) return;
  const deliveries: Array<() => void> = [];
  for (const listener of listeners) {
    if (listener.watches.size === 0) continue;
    for (const change of changes) if (listener.mayHear(change)) listener.watches.match(change, deliveries);
  }
  for (const deliver of deliveries) deliver();
}
