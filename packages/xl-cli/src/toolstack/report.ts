/**
 * libxl's failures as `xl` meets them (`find_domain` in `tools/xl/xl_utils.c`, the commands'
 * `rc` checks): each becomes an `XlCliError` that `main` prints (libxl's `LOG(ERROR, ...)` line,
 * then xl's own) with the exit status the command gives.
 */
import type { Libxl } from '@xen-genid/xl-lib';
// The light entry: `xl` starts without loading the rest of libxl.
import { XL_ERROR } from '@xen-genid/xl-lib/errors';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { domidFromDigits } from './domid-text.ts';

/** `libxl_shutdown_reason` numbers (`SHUTDOWN_*` of xen/include/public/sched.h). */
export const SHUTDOWN_REASON_CODE = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;

const XL_ERROR_MARKER = Symbol.for('xen-genid.xl-lib.XlError');

/** True for an `XlError` of any installed copy of xl-lib. */
export function isLibxlError(error: unknown): error is Error & { readonly rc: number; readonly code: string } {
  return typeof error === 'object' && error !== null && XL_ERROR_MARKER in error;
}

/** libxl's logger line for a failure: `libxl: error: <message>`. */
export function libxlErrorLine(error: Error): string {
  return `libxl: error: ${error.message}\n`;
}

/** The libxl rc of a failure (`ERROR_FAIL` unless it carries its own). */
export function rcOf(error: unknown): number {
  const rc = (error as { rc?: unknown } | undefined)?.rc;
  return typeof rc === 'number' ? rc : XL_ERROR.FAIL;
}

/** What xl does after a libxl call failed: its own message (given the rc) and exit status. */
export interface LibxlFailure {
  readonly message?: (rc: number) => string;
  readonly exitCode?: number;
  /** False when libxl logs nothing for this failure (a lookup that found nothing). */
  readonly logged?: boolean;
}

/** The `XlCliError` a libxl failure becomes; anything else is returned as it is. */
export function asXlFailure(error: unknown, failure: LibxlFailure = {}): unknown {
  if (!isLibxlError(error)) return error;
  return new XlCliError(failure.message?.(rcOf(error)) ?? '', {
    cause: error,
    logsCause: failure.logged ?? true,
    ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }),
  });
}

/** Runs a libxl call; its failure ends the command as `failure` says. */
export async function libxlCall<T>(body: () => T | Promise<T>, failure: LibxlFailure = {}): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw asXlFailure(error, failure);
  }
}

/**
 * `find_domain`: all digits (or none) is a domid (checked later by the operation, as in xl), anything else
 * a name. An unknown name fails with `<q> is an invalid domain identifier (rc=-6)`.
 */
export function findDomain(libxl: Libxl, qualifier: string): number {
  if (/^[0-9]*$/.test(qualifier)) return domidFromDigits(qualifier); // "" too: strtoul gives 0
  try {
    return libxl.nameToDomid(qualifier);
  } catch (error) {
    throw asXlFailure(error, { message: (rc) => `${qualifier} is an invalid domain identifier (rc=${rc})`, logged: false }) as Error;
  }
}

/**
 * A domain that must exist: an unknown domid fails as libxl's "Non-existant domain" line, then
 * `after` (the command's own line) when given.
 */
export function existingDomain(libxl: Libxl, domid: number, after?: string): number {
  if (libxl.hypervisor.getDomain(domid)) return domid;
  const lines = [`libxl: error: Domain ${domid}:Non-existant domain`, ...(after === undefined ? [] : [after])];
  throw new XlCliError(lines.join('\n'), { exitCode: XL_EXIT.FAILURE });
}

/** `find_domain` and then the domain checked to exist. */
export function findExistingDomain(libxl: Libxl, qualifier: string): number {
  return existingDomain(libxl, findDomain(libxl, qualifier));
}
