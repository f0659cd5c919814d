/**
 * The one error class of qemu-dm. Codes name what went wrong; failures of the firmware it runs
 * (`HvmloaderError` of hvmloader-sim) pass through unchanged.
 */
export const QEMU_DM_ERROR = {
  /** A caller passed a value outside what the function accepts. */
  INVALID_ARGUMENT: 1,
  /** QEMU is not installed (or not at the given path). */
  MISSING: 2,
  /** QEMU could not be started, or stopped before it was ready. */
  SPAWN: 3,
  /** QMP could not be reached, or QEMU answered a command with an error. */
  QMP: 4,
  /** The RAM file was used after it was closed. */
  CLOSED: 5,
} as const;

export type QemuDmErrorCode = keyof typeof QEMU_DM_ERROR;

const marker = Symbol.for('xen-genid.qemu-dm.QemuDmError');

export class QemuDmError extends Error {
  override readonly name = 'QemuDmError';
  readonly code: QemuDmErrorCode;
  /** QMP's error class (`GenericError`, `CommandNotFound`, ...), for `QMP`. */
  readonly qmpClass: string | undefined;
  readonly [marker] = true;

  constructor(code: QemuDmErrorCode, message?: string, qmpClass?: string) {
    super(message ?? code);
    this.code = code;
    this.qmpClass = qmpClass;
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is QemuDmError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
