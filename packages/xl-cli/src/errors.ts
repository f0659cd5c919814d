/**
 * The one error class of xl-cli: a failure that ends an `xl` command. Commands throw it; `main`
 * prints it and turns it into the exit status, in one place. When it wraps a libxl failure
 * (`cause`), `main` first prints libxl's own line (`libxl: error: ...`), then the message.
 */

/**
 * Exit statuses, as xl's commands return them: `EXIT_SUCCESS`/`EXIT_FAILURE`, 2 for bad command
 * lines, and `-rc` of `create_domain` for `xl create`/`xl restore` (3 for libxl's `ERROR_FAIL`,
 * 6 for `ERROR_INVAL`).
 */
export const XL_EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  ERROR_FAIL: 3,
  ERROR_INVAL: 6,
} as const;

const marker = Symbol.for('xen-genid.xl-cli.XlCliError');

export class XlCliError extends Error {
  override readonly name = 'XlCliError';
  /** The process exit status. */
  readonly exitCode: number;
  /**
   * Whether the command's usage goes on stdout after the message (xl's `help(cmd)`); a command's
   * name instead prints that command's usage (`config-update` prints `create`'s).
   */
  readonly usage: boolean | string;
  /** Whether libxl's own line for `cause` comes first (libxl logged the failure). */
  readonly logsCause: boolean;
  readonly [marker] = true;

  /** `message` is printed on stderr as it is (its lines, or nothing when empty). */
  constructor(
    message: string,
    options: { readonly exitCode?: number; readonly cause?: unknown; readonly usage?: boolean | string; readonly logsCause?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? XL_EXIT.FAILURE;
    this.usage = options.usage ?? false;
    this.logsCause = options.logsCause ?? true;
  }

  /** A bad command line: the command's usage on stdout, exit status `exitCode` (default 2). */
  static usage(exitCode: number = XL_EXIT.USAGE, message = ''): XlCliError {
    return new XlCliError(message, { exitCode, usage: true });
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is XlCliError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
