/**
 * xenstore errors. The wire carries errno *names* (`xsd_errors[]` in xen/include/public/io/xs_wire.h);
 * the numbers are Linux's, which is what libxenstore hands its callers in `errno`.
 */
export const XS_ERRNO = {
  EINVAL: 22,
  EACCES: 13,
  EEXIST: 17,
  EISDIR: 21,
  ENOENT: 2,
  ENOMEM: 12,
  ENOSPC: 28,
  EIO: 5,
  ENOTEMPTY: 39,
  ENOSYS: 38,
  EROFS: 30,
  EBUSY: 16,
  EAGAIN: 11,
  EISCONN: 106,
  E2BIG: 7,
  EPERM: 1,
  /** Client side only: the connection to xenstored is gone or out of sync (libxenstore's EBADF). */
  EBADF: 9,
} as const;

export type XsErrno = keyof typeof XS_ERRNO;

/** `xsd_errors[]` in wire order: the names a server may send in an `XS_ERROR` reply. */
export const XSD_ERRORS: readonly XsErrno[] = [
  'EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EIO',
  'ENOTEMPTY', 'ENOSYS', 'EROFS', 'EBUSY', 'EAGAIN', 'EISCONN', 'E2BIG', 'EPERM',
];

const WIRE_NAMES: ReadonlySet<string> = new Set(XSD_ERRORS);

/** True when `name` is an errno name xenstored may put on the wire. */
export function isWireErrorName(name: string): name is XsErrno {
  return WIRE_NAMES.has(name);
}

const marker = Symbol.for('xen-genid.xenstore.XsError');

/** A failed xenstore operation, with the errno name xenstored would send. */
export class XsError extends Error {
  override readonly name = 'XsError';
  readonly code: XsErrno;
  readonly [marker] = true;

  constructor(code: XsErrno, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }

  /** The positive errno number. */
  get errno(): number {
    return XS_ERRNO[this.code];
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is XsError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
