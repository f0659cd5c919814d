/**
 * Opening a host file: create, migrate, or refuse it, and set the connection up for many processes
 * (WAL, a busy timeout, foreign keys).
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { HostError, sqliteCode, translateSqliteError } from './errors.ts';
import { CURRENT_SCHEMA_OBJECTS, CURRENT_SCHEMA_VERSION, HOST_APPLICATION_ID, HOST_PAGE_SIZE, MIGRATIONS } from './schema.ts';

export type SqliteDatabase = Database.Database;

/** `PRAGMA auto_vacuum` of a file whose free pages `PRAGMA incremental_vacuum` can truncate off. */
const AUTO_VACUUM_INCREMENTAL = 2;

/**
 * The path of better-sqlite3's native addon where its build puts it, found when a host file is
 * first opened: given to the constructor, it spares the `bindings` package's search for it (a stack
 * trace and a dozen file lookups) at each start. Without one there, better-sqlite3 searches.
 */
let loading: Database.Options | undefined;
function loadingOptions(): Database.Options {
  if (loading === undefined) {
    try {
      loading = { nativeBinding: createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node') };
    } catch {
      loading = {};
    }
  }
  return loading;
}

/** A better-sqlite3 connection to `path` (`:memory:` for a scratch one). */
function connect(path: string, options: Database.Options = {}): SqliteDatabase {
  return new Database(path, { ...loadingOptions(), ...options });
}

/** Default time a call waits for another process's write lock before failing `HostError` `BUSY`. */
export const DEFAULT_BUSY_TIMEOUT_MS = 30_000;

export interface OpenDatabaseOptions {
  /** Milliseconds to wait for another process's lock (default 30 s). */
  readonly busyTimeoutMs?: number;
  /** @internal Stop migrating at this version (tests build files of an older schema). */
  readonly targetVersion?: number;
}

const SQLITE_HEADER = 'SQLite format 3\0';
/** Bytes of the database header at the start of a SQLite file (its "Database File Format"). */
const HEADER_BYTES = 100;

/**
 * What is wrong with a SQLite file header, or undefined when every field holds a value SQLite writes
 * (the file format's header table): the page size a power of two from 512 to 65536, file format
 * versions 1 (rollback) or 2 (WAL), no bytes reserved per page, the fixed payload fractions 64/32/32,
 * schema format 1-4, text encoding UTF-8, and the bytes reserved for expansion zero. SQLite would use a
 * file with some of these damaged (reserved bytes, the encoding) and misread its pages.
 */
export function headerProblem(header: Buffer): string | undefined {
  if (header.toString('latin1', 0, 16) !== SQLITE_HEADER.slice(0, header.length)) return 'not a SQLite database';
  if (header.length < HEADER_BYTES) return `only ${header.length} bytes, a header has ${HEADER_BYTES}`;
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `page size ${pageSize}`;
  for (const [offset, what] of [[18, 'write version'], [19, 'read version']] as const) {
    if (header[offset] !== 1 && header[offset] !== 2) return `file format ${what} ${header[offset]}`;
  }
  if (header[20] !== 0) return `${header[20]} bytes reserved per page`;
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) return 'payload fractions';
  const schemaFormat = header.readUInt32BE(44);
  if (schemaFormat > 4) return `schema format ${schemaFormat}`;
  // A host file's text is UTF-8 (1); 0 before its first table.
  const encoding = header.readUInt32BE(56);
  if (encoding > 1) return `text encoding ${encoding}, not UTF-8`;
  if (header.subarray(72, 92).some((byte) => byte !== 0)) return 'bytes reserved for expansion are not zero';
  return undefined;
}

/**
 * Reads the header, to tell a damaged file or "not a database" from an empty or new file without
 * SQLite (which would write to it: a WAL, a journal). Throws `CORRUPT` naming what is wrong.
 */
function checkFileHeader(path: string): 'empty' | 'sqlite' {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new HostError('CANNOT_OPEN', `host file ${path} is not a regular file`);
    size = stats.size;
  } catch (error) {
    if (HostError.is(error)) throw error;
    return 'empty';
  }
  if (size === 0) return 'empty';
  const header = Buffer.alloc(Math.min(size, HEADER_BYTES));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const problem = headerProblem(header);
  if (problem !== undefined) {
    throw new HostError('CORRUPT', `host file ${path} has a bad SQLite header (${problem}); refusing to use it`);
  }
  return 'sqlite';
}

/** One transaction function per connection, running the function it is called with. */
const transactionRunners = new WeakMap<SqliteDatabase, Database.Transaction<(body: () => unknown) => unknown>>();

/**
 * Runs `body` in a `BEGIN <mode>` transaction of `db` (in a savepoint when one is open), as
 * `db.transaction(body)[mode]()` does, through one transaction function kept per connection:
 * better-sqlite3 wraps each function it is given in four new functions of five properties each.
 */
export function inTransaction<T>(db: SqliteDatabase, mode: 'deferred' | 'immediate', body: () => T): T {
  let runner = transactionRunners.get(db);
  if (runner === undefined) {
    runner = db.transaction((run: () => unknown) => run());
    transactionRunners.set(db, runner);
  }
  return runner[mode](body) as T;
}

/** Runs `body` in a `BEGIN IMMEDIATE` transaction, retrying only the initial lock when busy. */
function immediate<T>(db: SqliteDatabase, body: () => T): T {
  return inTransaction(db, 'immediate', body);
}

/**
 * A statement of a connection prepared at its first use (most of a store's statements are never run
 * by one command), as `prepare` makes it.
 */
export function preparedOnUse<S>(prepare: () => S): () => S {
  let statement: S | undefined;
  return () => (statement ??= prepare());
}

/**
 * Opens (creating if absent) the host file at `path`, migrating an older schema. Refuses, without
 * writing anything: a file that is not SQLite or is damaged (`CORRUPT`), another application's
 * SQLite file (`NOT_A_HOST_FILE`), a file of a newer schema (`SCHEMA_TOO_NEW`).
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const target = options.targetVersion ?? CURRENT_SCHEMA_VERSION;
  const kind = checkFileHeader(path);
  if (kind === 'empty' && !existsSync(dirname(path))) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new HostError('CANNOT_OPEN', `cannot create the directory of host file ${path}`, { cause: error });
    }
  }
  let db: SqliteDatabase;
  try {
    db = connect(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new HostError('CANNOT_OPEN', `cannot open host file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    prepare(db, path, target);
    return db;
  } catch (error) {
    db.close();
    throw translateSqliteError(error, path);
  }
}

/** The schema version, application id and tables and indexes of a host file, read in one snapshot. */
export interface FileHeader {
  readonly version: number;
  readonly applicationId: number;
  readonly tables: number;
  /** `<type> <name>` of every table and index the file's schema lists, SQLite's own left out. */
  readonly objects: readonly string[];
}

const SCHEMA_OBJECTS = "SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1";

/**
 * The schema version, application id, table count and schema objects, read in one read
 * transaction: read one by one, a file another process is creating could show its tables but not
 * yet its application id.
 */
export function readHeader(db: SqliteDatabase): FileHeader {
  return inTransaction(db, 'deferred', () => {
    const version = db.pragma('user_version', { simple: true }) as number;
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() as number;
    const objects = db.prepare(SCHEMA_OBJECTS).pluck().all() as string[];
    return { version, applicationId, tables, objects };
  });
}

const objectsByVersion = new Map<number, string>([[CURRENT_SCHEMA_VERSION, CURRENT_SCHEMA_OBJECTS.join(',')]]);

/** The tables and indexes the migrations up to `version` make, joined by commas. */
function objectsOfVersion(version: number): string {
  let objects = objectsByVersion.get(version);
  if (objects === undefined) {
    objects = migratedObjects(version);
    objectsByVersion.set(version, objects);
  }
  return objects;
}

/** @internal The tables and indexes the migrations up to `version` make, found by running them in memory. */
export function migratedObjects(version: number): string {
  const scratch = connect(':memory:');
  try {
    for (const migration of MIGRATIONS) {
      if (migration.version > version) break;
      scratch.exec(migration.sql);
      migration.run?.(scratch);
    }
    return (scratch.prepare(SCHEMA_OBJECTS).pluck().all() as string[]).join(',');
  } finally {
    scratch.close();
  }
}

function checkHeader(path: string, header: FileHeader): void {
  const { version, applicationId, tables } = header;
  if (applicationId === 0 && version === 0 && tables === 0) return; // new, empty database
  if (applicationId !== HOST_APPLICATION_ID) {
    throw new HostError(
      'NOT_A_HOST_FILE',
      `${path} is a SQLite database of another application (application_id ${applicationId}), not a host file`,
    );
  }
  if (version > CURRENT_SCHEMA_VERSION) {
    throw new HostError(
      'SCHEMA_TOO_NEW',
      `host file ${path} has schema version ${version}, newer than the ${CURRENT_SCHEMA_VERSION} this version of @xen-genid/host knows; upgrade @xen-genid/host to open it`,
    );
  }
  if (version < 1 || header.objects.join(',') !== objectsOfVersion(version)) {
    throw new HostError(
      'CORRUPT',
      `host file ${path} says schema version ${version}, but its tables and indexes are not that version's; refusing to use it`,
    );
  }
}

function prepare(db: SqliteDatabase, path: string, target: number): void {
  let header: FileHeader;
  try {
    header = readHeader(db);
  } catch (error) {
    const code = sqliteCode(error);
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
      throw new HostError('CORRUPT', `host file ${path} is damaged (${code}); refusing to use it`, { cause: error });
    }
    throw error;
  }
  checkHeader(path, header);
  if (header.tables === 0) {
    db.pragma(`page_size = ${HOST_PAGE_SIZE}`);
    // Pages freed by a destroyed domain can then be handed back to the file system (`returnFreePages`).
    db.pragma('auto_vacuum = INCREMENTAL');
  }
  if (header.version < target || (db.pragma('journal_mode', { simple: true }) as string) !== 'wal') {
    setWal(db, path);
  }
  db.pragma('synchronous = NORMAL');
  // The journal of a nested transaction (a savepoint inside `atomically`) kept in memory, not in a
  // temporary file written and thrown away.
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${WAL_SIZE_KEPT}`); // a WAL grown by a large write shrinks back
  if (header.version >= target) return;
  immediate(db, () => {
    // Another process may have migrated while this one waited for the lock.
    const now = readHeader(db);
    checkHeader(path, now);
    for (const migration of MIGRATIONS) {
      if (migration.version <= now.version || migration.version > target) continue;
      db.exec(migration.sql);
      migration.run?.(db);
    }
    if (now.version < target) {
      db.pragma(`application_id = ${HOST_APPLICATION_ID}`);
      db.pragma(`user_version = ${target}`);
    }
  });
}

/** `journal_mode = WAL` needs a moment with no other writer: retry a few times when busy. */
function setWal(db: SqliteDatabase, path: string): void {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
      if (mode !== 'wal') throw new HostError('CANNOT_OPEN', `host file ${path} cannot use WAL mode (got ${mode})`);
      return;
    } catch (error) {
      if (!sqliteCode(error)?.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Bytes of write-ahead log kept on disk once it has been checkpointed and starts over. */
const WAL_SIZE_KEPT = 4 * 1024 * 1024;

/** Fewer free pages than this (512 KiB) stay in the file for reuse. */
const FREE_PAGES_KEPT = 64;

/**
 * Hands the database's free pages back to the file system, at a cost in proportion to the smaller
 * of what is free and what is live: when more is free than live, `VACUUM` rewrites the live pages
 * (and turns a host file created before incremental auto-vacuum into one); otherwise
 * `PRAGMA incremental_vacuum` moves free pages to the end and truncates them. A passive checkpoint
 * then copies that into the main file, so it shrinks now rather than when the last connection
 * closes. Returns the number of pages handed back.
 */
export function returnFreePages(db: SqliteDatabase): number {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free < FREE_PAGES_KEPT) return 0;
  const live = (db.pragma('page_count', { simple: true }) as number) - free;
  if (free > live) {
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  } else if ((db.pragma('auto_vacuum', { simple: true }) as number) === AUTO_VACUUM_INCREMENTAL) {
    db.pragma('incremental_vacuum');
  } else {
    return 0;
  }
  db.pragma('wal_checkpoint(PASSIVE)');
  return free - (db.pragma('freelist_count', { simple: true }) as number);
}

/** `PRAGMA integrity_check`: `['ok']` for a sound file, else SQLite's list of problems. */
export function integrityCheck(db: SqliteDatabase): string[] {
  const rows = db.pragma('integrity_check') as Record<string, unknown>[];
  return rows.map((row) => String(Object.values(row)[0]));
}
