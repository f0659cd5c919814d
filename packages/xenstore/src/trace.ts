/**
 * An opt-in record of the requests that change a store, one entry per request in the order the
 * clients make them: writes, mkdirs, removals, permission changes, transaction starts and ends,
 * introductions and releases. They are the `IN` requests of xenstored's `-T` trace that change
 * something, so the two can be compared request by request. Off unless `XenStoreOptions.trace` is
 * given; then each request costs one call of the sink.
 *
 * @see tools/xenstore/xenstored_core.c (trace_io, the `-T` option)
 */
import { XsError, type XsErrno } from './errors.ts';

/** The wire names of the requests traced (xs_wire.h's `XS_` names without the prefix). */
export type XsTraceOperation =
  | 'WRITE'
  | 'MKDIR'
  | 'RM'
  | 'SET_PERMS'
  | 'TRANSACTION_START'
  | 'TRANSACTION_END'
  | 'INTRODUCE'
  | 'RELEASE';

export interface XsTraceEntry {
  /** The connection, numbered from 1 in the order the store opened them. */
  readonly connection: number;
  /** The connection's domain. */
  readonly domid: number;
  /** The transaction the request ran in (for TRANSACTION_START, the one it opened); 0 outside one. */
  readonly transaction: number;
  readonly operation: XsTraceOperation;
  /** The request's payload strings as on the wire: a path, then a value, permissions or `T`/`F`. */
  readonly args: readonly string[];
  /** The errno the request failed with; absent when it succeeded. */
  readonly error?: XsErrno;
}

export type XsTraceSink = (entry: XsTraceEntry) => void;

/** Runs `body` and reports it to `sink` (with the errno if it throws); just `body` without a sink. */
export function traced<T>(sink: XsTraceSink | undefined, entry: () => Omit<XsTraceEntry, 'error'>, body: () => T): T {
  if (!sink) return body();
  let result: T;
  try {
    result = body();
  } catch (error) {
    sink({ ...entry(), error: XsError.is(error) ? error.code : 'EIO' });
    throw error;
  }
  sink(entry());
  return result;
}

const pad = (value: number): string => String(value).padStart(2, '0');

/**
 * An entry as xenstored's `-T` trace writes a request (trace_io): `IN <connection> <yyyymmdd hh:mm:ss>
 * <TYPE> (<payload>)`, every NUL of the payload shown as a space; a failed one adds the reply line
 * `OUT <connection> <time> ERROR (<errno> )`. `connection` names the connection (xenstored prints a
 * pointer); the time is local, as xenstored's.
 */
export function formatTraceEntry(entry: XsTraceEntry, connection: string, at: Date = new Date()): string {
  const time = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  // XS_WRITE's value is the payload's tail without a NUL; every other string ends with one.
  const payload = entry.operation === 'WRITE' ? entry.args.join(' ') : entry.args.map((arg) => `${arg} `).join('');
  const request = `IN ${connection} ${time} ${entry.operation} (${payload})\n`;
  return entry.error ? `${request}OUT ${connection} ${time} ERROR (${entry.error} )\n` : request;
}
