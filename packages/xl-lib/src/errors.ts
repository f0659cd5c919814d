/**
 * libxl's error codes (`libxl_error` in `tools/libs/light/libxl_types.idl`, Xen 4.17). The numbers
 * are kept so that logs and exit paths read as real libxl's do.
 * This module is also the package's light `@xen-genid/xl-lib/errors` entry (no imports), so `xl`
 * can read the numbers, and `strerror` texts, without loading the rest of libxl.
 */
export const XL_ERROR = {
  NONSPECIFIC: -1,
  VERSION: -2,
  FAIL: -3,
  NI: -4,
  NOMEM: -5,
  INVAL: -6,
  BADFAIL: -7,
  GUEST_TIMEDOUT: -8,
  TIMEDOUT: -9,
  NOPARAVIRT: -10,
  NOT_READY: -11,
  OSEVENT_REG_FAIL: -12,
  BUFFERFULL: -13,
  UNKNOWN_CHILD: -14,
  LOCK_FAIL: -15,
  JSON_CONFIG_EMPTY: -16,
  DEVICE_EXISTS: -17,
  CHECKPOINT_DEVOPS_DOES_NOT_MATCH: -18,
  CHECKPOINT_DEVICE_NOT_SUPPORTED: -19,
  VNUMA_CONFIG_INVALID: -20,
  DOMAIN_NOTFOUND: -21,
  ABORTED: -22,
  NOTFOUND: -23,
  DOMAIN_DESTROYED: -24,
  FEATURE_REMOVED: -25,
} as const;

export type XlErrorCode = keyof typeof XL_ERROR;

const marker = Symbol.for('xen-genid.xl-lib.XlError');

/**
 * A failed libxl operation. Failures of the layers below (libxc's `XcError`, xenstore's errors)
 * are wrapped as `XlError('FAIL', ..., { cause })`, as libxl maps them to `ERROR_FAIL`.
 */
export class XlError extends Error {
  override readonly name = 'XlError';
  readonly code: XlErrorCode;
  readonly [marker] = true;

  constructor(code: XlErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }

  /** The negative libxl return code (`rc`), e.g. -3 for `FAIL`. */
  get rc(): number {
    return XL_ERROR[this.code];
  }

  /** True even when two copies of xl-lib are installed, where `instanceof` fails. */
  static is(value: unknown): value is XlError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** The code name for a libxl return code, or undefined for a number outside the table. */
export function xlErrorCodeOf(rc: number): XlErrorCode | undefined {
  for (const [name, value] of Object.entries(XL_ERROR)) {
    if (value === rc) return name as XlErrorCode;
  }
  return undefined;
}

/** Wraps a lower layer's failure as libxl does (`ERROR_FAIL`), keeping an `XlError` as it is. */
export function wrapFailure(what: string, cause: unknown): XlError {
  if (XlError.is(cause)) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new XlError('FAIL', `${what}: ${detail}`, { cause });
}

/** `strerror(errno)` (glibc's English texts) for the errors Node reports by code. */
const STRERROR: Readonly<Record<string, string>> = {
  EACCES: 'Permission denied',
  EBADF: 'Bad file descriptor',
  EEXIST: 'File exists',
  EIO: 'Input/output error',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOENT: 'No such file or directory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  ENOTTY: 'Inappropriate ioctl for device',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EROFS: 'Read-only file system',
};

/** `strerror(errno)` for a Node error; its message when the code is not one of the table's. */
export function strerrorOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' ? STRERROR[code] : undefined) ?? (error instanceof Error ? error.message : String(error));
}
