/**
 * An in-process read cache for one SQLite connection, validated by `PRAGMA data_version` (which
 * changes when another connection, in this process or another, has committed). The connection's own
 * writes keep it current through `forget`/`clear`.
 */
import { resolve } from 'node:path';
import type { SqliteDatabase } from './database.ts';

/**
 * How fresh cached reads are. `turn` (the default) checks `PRAGMA data_version` once per synchronous
 * run of JavaScript (until the next microtask), and again whenever another connection of this
 * process has committed: a read sees every commit of this process, and every commit of other
 * processes made before the current run began (one xl command's step, one xenstored request). `read`
 * checks before every read: a read also sees what another process committed during the same run
 * (for a caller that waits for another process synchronously, e.g. `spawnSync`, and reads on).
 */
export type CacheFreshness = 'read' | 'turn';

/** Commits made through this process's connections, per host file: the others' caches look here. */
const localCommits = new Map<string, { count: number }>();

export class ReadCache {
  readonly #dataVersion: { get(): unknown };
  readonly #regions: Map<unknown, unknown>[] = [];
  readonly #perTurn: boolean;
  readonly #local: { count: number };
  #seenLocal: number;
  #version: unknown = undefined;
  #enabled: boolean;
  #epoch = 0;
  #checkedThisTurn = false;
  readonly #endTurn = (): void => {
    this.#checkedThisTurn = false;
  };

  constructor(db: SqliteDatabase, file: string, enabled = true, freshness: CacheFreshness = 'turn') {
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#enabled = enabled;
    this.#perTurn = freshness === 'turn';
    const key = resolve(file);
    let local = localCommits.get(key);
    if (local === undefined) {
      local = { count: 0 };
      localCommits.set(key, local);
    }
    this.#local = local;
    this.#seenLocal = local.count;
  }

  /** A map that is emptied with the others whenever another connection has written. */
  region<K, V>(): Map<K, V> {
    const map = new Map<K, V>();
    this.#regions.push(map as Map<unknown, unknown>);
    return map;
  }

  /**
   * Call before reading a region: empties every region if the database changed under us.
   * Returns false when caching is off (read from the database).
   */
  validate(): boolean {
    if (!this.#enabled) return false;
    if (this.#perTurn) {
      if (this.#checkedThisTurn && this.#seenLocal === this.#local.count) return true;
      if (!this.#checkedThisTurn) queueMicrotask(this.#endTurn);
      this.#checkedThisTurn = true;
    }
    this.#check();
    return true;
  }

  #check(): void {
    this.#seenLocal = this.#local.count;
    const version = this.#dataVersion.get();
    if (version !== this.#version) {
      this.#version = version;
      this.#epoch += 1;
      this.clear();
    }
  }

  /**
   * Checks `PRAGMA data_version` now, whatever was checked earlier in this run: called once a write
   * transaction holds the write lock, so its body reads what is stored.
   */
  revalidate(): void {
    if (this.#enabled) this.#check();
  }

  /**
   * After this connection committed: the other connections of this process check again before their
   * next read (this one's regions were kept current by the writer).
   */
  committed(): void {
    const current = this.#seenLocal === this.#local.count;
    this.#local.count += 1;
    if (current) this.#seenLocal = this.#local.count;
  }

  /**
   * Checks `PRAGMA data_version` (even with caching off) and returns a number that changes
   * whenever another connection has committed since the previous call.
   */
  changes(): number {
    this.#check();
    return this.#epoch;
  }

  clear(): void {
    for (const region of this.#regions) region.clear();
  }
}
