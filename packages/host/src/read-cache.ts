/**
 * An in-process read cache for one SQLite connection, validated on every read by
 * `PRAGMA data_version` (which changes when another connection, in this process or another, has
 * committed). The connection's own writes keep it current through `forget`/`clear`.
 */
import type { SqliteDatabase } from './database.ts';

export class ReadCache {
  readonly #dataVersion: { get(): unknown };
  readonly #regions: Map<unknown, unknown>[] = [];
  #version: unknown = undefined;
  #enabled: boolean;
  #epoch = 0;

  constructor(db: SqliteDatabase, enabled = true) {
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#enabled = enabled;
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
    const version = this.#dataVersion.get();
    if (version !== this.#version) {
      this.#version = version;
      this.#epoch += 1;
      this.clear();
    }
    return true;
  }

  /**
   * Checks `PRAGMA data_version` (even with caching off) and returns a number that changes
   * whenever another connection has committed since the previous call.
   */
  changes(): number {
    const enabled = this.#enabled;
    this.#enabled = true;
    try {
      this.validate();
    } finally {
      this.#enabled = enabled;
    }
    return this.#epoch;
  }

  clear(): void {
    for (const region of this.#regions) region.clear();
  }
}
