/**
 * Errors of the host file itself (opening, schema, locking). Errors of the simulated machine keep
 * their own layer's class: a hypervisor call fails with `XcError` (libxc's errno), a xenstore call
 * with the xenstore package's error, as they would on a real host.
 */
export const HOST_ERROR = {
  /** The file is not a SQLite database, or SQLite found it damaged. */
  CORRUPT: 1,
  /** A SQLite database, but not a host file (another application's data). */
  NOT_A_HOST_FILE: 2,
  /** Written by a newer version of this package: its schema is unknown here. */
  SCHEMA_TOO_NEW: 3,
  /** Another process held the host's write lock for longer than the busy timeout. */
  BUSY: 4,
  /** The host was closed. */
  CLOSED: 5,
  /** The file or its directory cannot be opened or created. */
  CANNOT_OPEN: 6,
  /** A bad argument to a host function. */
  INVALID_ARGUMENT: 7,
} as const;

export type HostErrorCode = keyof typeof HOST_ERROR;

const marker = Symbol.for('xen-genid.host.HostError');

/** A failure of the host file (not of the simulated machine). */
export class HostError extends Error {
  override readonly name = 'HostError';
  readonly code: HostErrorCode;
  readonly [marker] = true;

  constructor(code: HostErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is HostError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** SQLite's primary result code name of a better-sqlite3 error (`SQLITE_BUSY`...), if it is one. */
export function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** A connection to the host file, as far as telling it to write nothing more goes. */
interface Connection {
  pragma(source: string): unknown;
}

/** Connections that met damage: SQLite refuses every write through them (`query_only`). */
const damaged = new WeakSet<Connection>();

/** True once `connection` has met a damaged file (its writes are refused since). */
export function isDamaged(connection: Connection): boolean {
  return damaged.has(connection);
}

/**
 * Turns SQLite's lock and damage errors into `HostError`s; anything else is returned unchanged
 * (callers rethrow it). Damage met through `connection` makes it write nothing more: every later
 * write fails `CORRUPT` too, so a damaged file is never written to after its damage was seen.
 */
export function translateSqliteError(error: unknown, file: string, connection?: Connection): unknown {
  const code = sqliteCode(error);
  if (code === undefined) return error;
  if (connection !== undefined && damaged.has(connection) && code.startsWith('SQLITE_READONLY')) {
    return new HostError('CORRUPT', `host file ${file} is damaged; nothing more is written to it`, { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new HostError('BUSY', `host file ${file} stayed locked by another process beyond the busy timeout`, {
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return new HostError('CANNOT_OPEN', `host file ${file} cannot be opened for writing (${code})`, { cause: error });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    if (connection !== undefined && !damaged.has(connection)) {
      damaged.add(connection);
      connection.pragma('query_only = ON');
    }
    return new HostError('CORRUPT', `host file ${file} is damaged or not a database (${code})`, { cause: error });
  }
  return error;
}
