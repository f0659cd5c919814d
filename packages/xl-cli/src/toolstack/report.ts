/**
 * How `xl` reports libxl failures and domain qualifiers it cannot resolve (`find_domain` in
 * `tools/xl/xl_utils.c`, libxl's `LOG(ERROR, ...)` lines on stderr).
 */
import type { Libxl } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-table.ts';

/** libxl_error numbers xl prints in `(rc=%d)`. */
export const LIBXL_RC = { FAIL: -3, INVAL: -6, DOMAIN_NOTFOUND: -21 } as const;

/** xl's `main_create`/`main_restore` return `-rc` of create_domain: 3 for `ERROR_FAIL`, 6 for `ERROR_INVAL`. */
export const EXIT_ERROR_FAIL = -LIBXL_RC.FAIL;
export const EXIT_ERROR_INVAL = -LIBXL_RC.INVAL;

interface CodedError {
  readonly code?: unknown;
  readonly rc?: unknown;
  readonly message: string;
}

const XL_ERROR_MARKER = Symbol.for('xen-genid.xl-lib.XlError');

/** True for an `XlError` of any installed copy of xl-lib. */
export function isLibxlError(error: unknown): error is Error & { readonly rc: number; readonly code: string } {
  return typeof error === 'object' && error !== null && XL_ERROR_MARKER in error;
}

/** The libxl rc of a failure (`ERROR_FAIL` unless it carries its own). */
export function rcOf(error: unknown): number {
  const rc = (error as CodedError | undefined)?.rc;
  return typeof rc === 'number' ? rc : LIBXL_RC.FAIL;
}

/** Prints a libxl failure the way libxl's logger does: `libxl: error: <message>`. */
export function reportLibxlError(context: CommandContext, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(`libxl: error: ${message}\n`);
}

/**
 * `find_domain`: all digits is a domid (checked later by the operation, as in xl), anything else
 * a name. An unknown name prints `<q> is an invalid domain identifier (rc=-6)`; returns undefined.
 */
export function findDomain(libxl: Libxl, qualifier: string, context: CommandContext): number | undefined {
  if (/^[0-9]+$/.test(qualifier)) return Number.parseInt(qualifier, 10);
  try {
    return libxl.nameToDomid(qualifier);
  } catch (error) {
    if (!isLibxlError(error)) throw error;
    context.stderr.write(`${qualifier} is an invalid domain identifier (rc=${rcOf(error)})\n`);
    return undefined;
  }
}

/** Runs `body` with the domain checked to exist; an unknown domid is libxl's "Non-existant domain". */
export function existingDomain(libxl: Libxl, domid: number, context: CommandContext): boolean {
  if (libxl.hypervisor.getDomain(domid)) return true;
  context.stderr.write(`libxl: error: Domain ${domid}:Non-existant domain\n`);
  return false;
}
