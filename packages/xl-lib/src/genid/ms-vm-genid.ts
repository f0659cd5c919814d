/**
 * `libxl_ms_vm_genid` (`tools/include/libxl.h`, `tools/libs/light/libxl_genid.c`): the 16 bytes of
 * a Microsoft VM Generation ID, in guest-memory order. All-zero means "no generation ID".
 *
 * Its text forms are the rows of one table (`./text-forms.ts`); libxl's JSON form is an array of
 * 16 integers, byte 0 first (`toJSON`, so `JSON.stringify` writes what `xl list -l` shows).
 */
import { inspect } from 'node:util';
import { XlError } from '../errors.ts';
import { randomBytes, type RandomSource } from '../random-bytes.ts';
import {
  LIBXL_MS_VM_GENID_LEN,
  MS_VM_GENID_FORM_NAMES,
  bytesOfVmware,
  bytesOfWords,
  msVmGenidForm,
  msVmGenidFormOf,
  vmwareOfBytes,
  wordsOfBytes,
  type MsVmGenidTextForm,
  type VmwareGenid,
} from './text-forms.ts';

const UINT64_MAX = (1n << 64n) - 1n;

const genidMarker = Symbol.for('xen-genid.xl-lib.MsVmGenid');

/** A VM Generation ID: 16 immutable bytes. */
export class MsVmGenid {
  readonly #bytes: Uint8Array;
  readonly [genidMarker] = true;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The all-zero ID, which means "no generation ID". */
  static zero(): MsVmGenid {
    return new MsVmGenid(new Uint8Array(LIBXL_MS_VM_GENID_LEN));
  }

  /** An ID holding a copy of exactly 16 bytes. */
  static fromBytes(bytes: ArrayLike<number>): MsVmGenid {
    if (bytes.length !== LIBXL_MS_VM_GENID_LEN) {
      throw new XlError('INVAL', `a generation ID is ${LIBXL_MS_VM_GENID_LEN} bytes, got ${bytes.length}`);
    }
    const copy = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
    for (let index = 0; index < LIBXL_MS_VM_GENID_LEN; index += 1) {
      const byte = bytes[index]!;
      if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
        throw new XlError('INVAL', `generation ID byte ${index} is ${byte}, not an integer 0..255`);
      }
      copy[index] = byte;
    }
    return new MsVmGenid(copy);
  }

  /** An ID from its two little-endian 64-bit words. */
  static fromWords(lo: bigint, hi: bigint): MsVmGenid {
    for (const [name, word] of [['low', lo], ['high', hi]] as const) {
      if (word < 0n || word > UINT64_MAX) throw new XlError('INVAL', `the ${name} word ${word} is not a uint64`);
    }
    return new MsVmGenid(bytesOfWords(lo, hi));
  }

  /**
   * `libxl_ms_vm_genid_generate`: all 16 bytes from `libxl__random_bytes` (128 random bits, no UUID
   * version bits). A source failure is an `XlError('FAIL')`, never a zero ID.
   */
  static generate(random?: RandomSource): MsVmGenid {
    return new MsVmGenid(randomBytes(LIBXL_MS_VM_GENID_LEN, random));
  }

  /**
   * Parses `text` in one of `allowed` (default: every form). With one form its parser decides, with
   * several the first whose pattern the text matches does (so list the forms in the order they
   * should win: 32 hex digits are both `hex` and `hyperv`). `XlError('INVAL')` naming the problem.
   */
  static parse(text: string, allowed: MsVmGenidTextForm | readonly MsVmGenidTextForm[] = MS_VM_GENID_FORM_NAMES): MsVmGenid {
    const forms = typeof allowed === 'string' ? [allowed] : allowed;
    const name = forms.length === 1 ? forms[0]! : MsVmGenid.formOf(text, forms);
    if (name === undefined) {
      throw new XlError('INVAL', `${JSON.stringify(text)} is not a generation ID in any of the forms ${forms.join(', ')}`);
    }
    return new MsVmGenid(msVmGenidForm(name).parse(text));
  }

  /** The first of `allowed` (default: every form) whose pattern `text` matches, or undefined. */
  static formOf(text: string, allowed: readonly MsVmGenidTextForm[] = MS_VM_GENID_FORM_NAMES): MsVmGenidTextForm | undefined {
    return msVmGenidFormOf(text, allowed);
  }

  /** `"<lo>:<hi>"`, two unsigned decimal words, as libxl writes `platform/generation-id`. */
  static fromXenstore(text: string): MsVmGenid {
    return MsVmGenid.parse(text, 'xenstore');
  }

  /** RFC 4122 text (any case, optional braces); the first three fields are byte-swapped into memory. */
  static fromGuid(text: string): MsVmGenid {
    return MsVmGenid.parse(text, 'guid');
  }

  /** 32 hex digits (any case) in memory order. */
  static fromHex(text: string): MsVmGenid {
    return MsVmGenid.parse(text, 'hex');
  }

  /** Hyper-V's 32 hex digits: the high word, then the low word. */
  static fromHyperv(text: string): MsVmGenid {
    return MsVmGenid.parse(text, 'hyperv');
  }

  /** Windows' `lo:hi` in hexadecimal (`%I64x:%I64x`, any case, padding optional). */
  static fromWindows(text: string): MsVmGenid {
    return MsVmGenid.parse(text, 'windows');
  }

  /** VMware's `vm.genid` (low word) and `vm.genidX` (high word), signed 64-bit decimals. */
  static fromVmware(pair: VmwareGenid): MsVmGenid {
    return new MsVmGenid(bytesOfVmware(pair));
  }

  /**
   * libxl's JSON form (`libxl__ms_vm_genid_parse_json`): must be an array whose first 16 elements
   * are integers; each is stored into a byte (mod 256: 300 → 44, -1 → 255); extra elements are
   * ignored. Anything else is `ERROR_FAIL`. Accepts integers as `number` or `bigint`.
   */
  static fromJson(value: unknown): MsVmGenid {
    if (!Array.isArray(value)) throw new XlError('FAIL', 'ms_vm_genid: expected a JSON array of 16 integers');
    if (value.length < LIBXL_MS_VM_GENID_LEN) {
      throw new XlError('FAIL', `ms_vm_genid: expected 16 integers, got an array of ${value.length}`);
    }
    const bytes = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
    for (let index = 0; index < LIBXL_MS_VM_GENID_LEN; index += 1) {
      const element: unknown = value[index];
      let integer: bigint;
      if (typeof element === 'bigint') integer = element;
      else if (typeof element === 'number' && Number.isSafeInteger(element)) integer = BigInt(element);
      else throw new XlError('FAIL', `ms_vm_genid: element ${index} is not a JSON integer`);
      bytes[index] = Number(BigInt.asUintN(8, integer));
    }
    return new MsVmGenid(bytes);
  }

  /** True for an `MsVmGenid` from any copy of this package. */
  static is(value: unknown): value is MsVmGenid {
    return typeof value === 'object' && value !== null && genidMarker in value;
  }

  /** A copy of the 16 bytes. */
  get bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Byte `index` (0..15). */
  byteAt(index: number): number {
    return this.#bytes[index] ?? 0;
  }

  /** The low word: bytes 0..7, little-endian. */
  get lo(): bigint {
    return wordsOfBytes(this.#bytes).lo;
  }

  /** The high word: bytes 8..15, little-endian. */
  get hi(): bigint {
    return wordsOfBytes(this.#bytes).hi;
  }

  /** `libxl_ms_vm_genid_is_zero`. */
  isZero(): boolean {
    return this.#bytes.every((byte) => byte === 0);
  }

  /** `libxl_ms_vm_genid_copy`. */
  copy(): MsVmGenid {
    return new MsVmGenid(this.#bytes.slice());
  }

  equals(other: MsVmGenid): boolean {
    for (let index = 0; index < LIBXL_MS_VM_GENID_LEN; index += 1) {
      if (this.#bytes[index] !== other.byteAt(index)) return false;
    }
    return true;
  }

  /** Formats in a text form by name. */
  format(form: MsVmGenidTextForm): string {
    return msVmGenidForm(form).format(this.#bytes);
  }

  toXenstore(): string {
    return this.format('xenstore');
  }

  toGuid(): string {
    return this.format('guid');
  }

  toHex(): string {
    return this.format('hex');
  }

  toHyperv(): string {
    return this.format('hyperv');
  }

  toWindows(): string {
    return this.format('windows');
  }

  toVmware(): VmwareGenid {
    return vmwareOfBytes(this.#bytes);
  }

  /** libxl's JSON form: 16 integers, byte 0 first. */
  toJson(): number[] {
    return Array.from(this.#bytes);
  }

  /** `JSON.stringify` writes libxl's JSON form, as `xl list -l` shows `ms_vm_genid`. */
  toJSON(): number[] {
    return this.toJson();
  }

  /** The GUID form, for logs. */
  toString(): string {
    return this.toGuid();
  }

  /** What `console.log` and `util.inspect` show: the GUID and xenstore forms, or that it is all-zero. */
  [inspect.custom](): string {
    return this.isZero() ? 'MsVmGenid(none: all-zero)' : `MsVmGenid(${this.toGuid()}, xenstore ${this.toXenstore()})`;
  }
}
