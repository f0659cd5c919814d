/**
 * The one error class of xl-cli: faults and command-line failures that end an `xl` run.
 * Problems in a config file are not thrown: they come back as diagnostics.
 */
export const XL_CLI_ERROR = {
  /** Bad command line: unknown command or option, missing argument (xl prints usage, exit 1). */
  USAGE: 1,
  /** A file could not be read. */
  IO: 2,
  /** The requested operation is not available in this build. */
  UNSUPPORTED: 3,
  /** A bug: an invariant failed. */
  INTERNAL: 4,
} as const;

export type XlCliErrorCode = keyof typeof XL_CLI_ERROR;

const marker = Symbol.for('xen-genid.xl-cli.XlCliError');

export class XlCliError extends Error {
  override readonly name = 'XlCliError';
  readonly code: XlCliErrorCode;
  /** The process exit status xl uses for this failure. */
  readonly exitCode: number;
  readonly [marker] = true;

  constructor(code: XlCliErrorCode, message?: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message ?? code, options);
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is XlCliError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
