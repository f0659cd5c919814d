/**
 * Opening a host file: create, migrate, or refuse it, and set the connection up for many processes
 * (WAL, a busy timeout, foreign keys).
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { HostError, sqliteCode, translateSqliteError } from './errors.ts';
import { CURRENT_SCHEMA_VERSION, HOST_APPLICATION_ID, HOST_PAGE_SIZE, MIGRATIONS } from './schema.ts';

export type SqliteDatabase = Database.Database;

/** `PRAGMA auto_vacuum` of a file whose free pages `PRAGMA incremental_vacuum` can truncate off. */
const AUTO_VACUUM_INCREMENTAL = 2;

/** better-sqlite3 (and its native addon), loaded when a host file is first opened, not on import. */
let sqlite: typeof Database | undefined;
function loadSqlite(): typeof Database {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return sqlite;
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

/** Reads the first 16 bytes, to tell "not a database" from an empty or new file without SQLite. */
function looksLikeSqlite(path: string): 'empty' | 'sqlite' | 'other' {
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
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return header.toString('latin1') === SQLITE_HEADER ? 'sqlite' : 'other';
}

/** Runs `body` in a `BEGIN IMMEDIATE` transaction, retrying only the initial lock when busy. */
function immediate<T>(db: SqliteDatabase, body: () => T): T {
  return db.transaction(body).immediate();
}

/**
 * Opens (creating if absent) the host file at `path`, migrating an older schema. Refuses, without
 * writing anything: a file that is not SQLite or is damaged (`CORRUPT`), another application's
 * SQLite file (`NOT_A_HOST_FILE`), a file of a newer schema (`SCHEMA_TOO_NEW`).
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const target = options.targetVersion ?? CURRENT_SCHEMA_VERSION;
  const kind = looksLikeSqlite(path);
  if (kind === 'other') {
    throw new HostError('CORRUPT', `host file ${path} is not a SQLite database (bad header); refusing to use it`);
  }
  if (kind === 'empty' && !existsSync(dirname(path))) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new HostError('CANNOT_OPEN', `cannot create the directory of host file ${path}`, { cause: error });
    }
  }
  let db: SqliteDatabase;
  try {
    db = new (loadSqlite())(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
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

/**
 * The schema version, application id and table count, read in one read transaction: read one by
 * one, a file another process is creating could show its tables but not yet its application id.
 */
export function readHeader(db: SqliteDatabase): { version: number; applicationId: number; tables: number } {
  return db
    .transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      const applicationId = db.pragma('application_id', { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() as number;
      return { version, applicationId, tables };
    })
    .deferred();
}

function checkHeader(path: string, header: ReturnType<typeof readHeader>): void {
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
}

function prepare(db: SqliteDatabase, path: string, target: number): void {
  let header: ReturnType<typeof readHeader>;
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
