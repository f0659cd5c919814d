/**
 * The one error class of hvmloader-sim. Codes name what went wrong; the firmware's own failures
 * mirror hvmloader's fatal paths (`BUG_ON` in `acpi_mem_alloc`, "unable to build ACPI tables: out
 * of memory" in `tools/libacpi/build.c` acpi_build_tables).
 */
export const HVMLOADER_ERROR = {
  /** A caller passed a value outside what the function accepts. */
  INVALID_ARGUMENT: 1,
  /** The ACPI allocator ran past its area (hvmloader: BUG_ON in acpi_mem_alloc). */
  OUT_OF_ACPI_MEMORY: 2,
  /** An AML encoding limit was exceeded (e.g. a PkgLength above 2^28 - 1). */
  AML_ENCODING: 3,
  /** AML the guest-side interpreter could not parse or evaluate. */
  AML_EVALUATION: 4,
  /** A file or directory given to the command line could not be used. */
  BAD_INPUT_FILE: 5,
  /** The guest record of a domain is missing or not in our format. */
  BAD_GUEST_RECORD: 6,
} as const;

export type HvmloaderErrorCode = keyof typeof HVMLOADER_ERROR;

const marker = Symbol.for('xen-genid.hvmloader-sim.HvmloaderError');

export class HvmloaderError extends Error {
  override readonly name = 'HvmloaderError';
  readonly code: HvmloaderErrorCode;
  readonly [marker] = true;

  constructor(code: HvmloaderErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }

  /** True even when two copies of this package are installed, where `instanceof` fails. */
  static is(value: unknown): value is HvmloaderError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
