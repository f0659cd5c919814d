/**
 * An in-process read cache for one SQLite connection, validated by `PRAGMA data_version` (which
 * changes when another connection, in this process or another, has committed). The connection's own
 * writes keep it current through `forget`/`clear`.
 */
import type { SqliteDatabase } from './database.ts';

/**
 * How fresh cached reads are: `read` checks `PRAGMA data_version` before every read (a read never
 * misses another process's earlier commit); `turn` checks once per synchronous run of JavaScript
 * (until the next microtask), so reads within one run may miss commits other processes make meanwhile.
 */
export type CacheFreshness = 'read' | 'turn';

export class ReadCache {
  readonly #dataVersion: { get(): unknown };
  readonly #regions: Map<unknown, unknown>[] = [];
  readonly #perTurn: boolean;
  #version: unknown = undefined;
  #enabled: boolean;
  #epoch = 0;
  #checkedThisTurn = false;
  readonly #endTurn = (): void => {
    this.#checkedThisTurn = false;
  };

  constructor(db: SqliteDatabase, enabled = true, freshness: CacheFreshness = 'read') {
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#enabled = enabled;
    this.#perTurn = freshness === 'turn';
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
      if (this.#checkedThisTurn) return true;
      this.#checkedThisTurn = true;
      queueMicrotask(this.#endTurn);
    }
    this.#check();
    return true;
  }

  #check(): void {
    const version = this.#dataVersion.get();
    if (version !== this.#version) {
      this.#version = version;
      this.#epoch += 1;
      this.clear();
    }
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
