/**
 * errno values as the hypervisor and libxc report them (Linux numbering, which is what a toolstack
 * on Linux sees in `errno`).
 */
export const XC_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  EOPNOTSUPP: 95,
} as const;

export type XcErrno = keyof typeof XC_ERRNO;

const marker = Symbol.for('xen-genid.xc-params.XcError');

/** A failed libxc call or hypercall, with its errno. */
export class XcError extends Error {
  override readonly name = 'XcError';
  readonly code: XcErrno;
  readonly [marker] = true;

  constructor(code: XcErrno, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }

  /** The positive errno number. */
  get errno(): number {
    return XC_ERRNO[this.code];
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is XcError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
