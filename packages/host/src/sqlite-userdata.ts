/**
 * libxl's per-domain userdata on the host file: the blobs libxl keeps as
 * `/var/lib/xen/userdata-d.<domid>.<uuid>.<userid>` (`tools/libs/light/libxl_dom.c`
 * libxl_userdata_store / libxl_userdata_retrieve / libxl_userdata_unlink,
 * libxl__userdata_destroyall), one row per (domid, userid). Each call is atomic: a reader sees the
 * old blob or the new one, never a part (libxl gets the same from write-to-temp + rename).
 */
import { checkUserdataKey, USERDATA_LIBXL_JSON, type UserdataStore } from '@xen-genid/xl-lib/userdata';
import { inTransaction, preparedOnUse, type SqliteDatabase } from './database.ts';
import { HostError, translateSqliteError } from './errors.ts';

const checkKey = checkUserdataKey;

export interface SqliteUserdataOptions {
  /** Called with the domid when its libxl configuration is removed (a destroy has begun). */
  readonly onConfigRemoved?: (domid: number) => void;
  /** Called at named steps; the reliability tests make a process die there. */
  readonly step?: (name: string) => void;
}

/** xl-lib's `UserdataStore` on the host file. Bad keys fail as `MemoryUserdataStore`'s do (`XlError` `INVAL`). */
export class SqliteUserdataStore implements UserdataStore {
  readonly #db: SqliteDatabase;
  readonly #file: string;
  readonly #options: SqliteUserdataOptions;
  readonly #put;
  readonly #get;
  readonly #remove;
  readonly #removeAll;
  readonly #list;

  constructor(db: SqliteDatabase, file: string, options: SqliteUserdataOptions = {}) {
    this.#db = db;
    this.#file = file;
    this.#options = options;
    this.#put = preparedOnUse(() =>
      db.prepare('INSERT INTO userdata (domid, userid, data) VALUES (?, ?, ?) ON CONFLICT (domid, userid) DO UPDATE SET data = excluded.data'),
    );
    this.#get = preparedOnUse(() => db.prepare('SELECT data FROM userdata WHERE domid = ? AND userid = ?').pluck());
    this.#remove = preparedOnUse(() => db.prepare('DELETE FROM userdata WHERE domid = ? AND userid = ?'));
    this.#removeAll = preparedOnUse(() => db.prepare('DELETE FROM userdata WHERE domid = ?'));
    this.#list = preparedOnUse(() => db.prepare('SELECT userid FROM userdata WHERE domid = ? ORDER BY userid').pluck());
  }

  #run<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw translateSqliteError(error, this.#file, this.#db);
    }
  }

  store(domid: number, userid: string, data: Uint8Array): void {
    checkKey(domid, userid);
    if (!(data instanceof Uint8Array)) throw new HostError('INVALID_ARGUMENT', 'userdata is bytes (a Uint8Array)');
    if (data.length === 0) {
      this.unlink(domid, userid);
      return;
    }
    this.#run(() => this.#put().run(domid, userid, Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
    this.#options.step?.(`userdata.store.${userid}`);
  }

  retrieve(domid: number, userid: string): Uint8Array | undefined {
    checkKey(domid, userid);
    const data = this.#run(() => this.#get().get(domid, userid) as Buffer | undefined);
    return data === undefined ? undefined : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }

  unlink(domid: number, userid: string): void {
    checkKey(domid, userid);
    this.#run(() =>
      inTransaction(this.#db, 'immediate', () => {
        if (userid === USERDATA_LIBXL_JSON) this.#options.onConfigRemoved?.(domid);
        this.#remove().run(domid, userid);
      }),
    );
  }

  destroyAll(domid: number): void {
    checkKey(domid, USERDATA_LIBXL_JSON);
    this.#run(() =>
      inTransaction(this.#db, 'immediate', () => {
        this.#options.onConfigRemoved?.(domid);
        this.#removeAll().run(domid);
      }),
    );
  }

  list(domid: number): string[] {
    checkKey(domid, USERDATA_LIBXL_JSON);
    return this.#run(() => this.#list().all(domid) as string[]);
  }
}
