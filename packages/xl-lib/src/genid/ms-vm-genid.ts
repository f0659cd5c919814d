/**
 * `libxl_ms_vm_genid` (`tools/include/libxl.h`, `tools/libs/light/libxl_genid.c`): the 16 bytes of
 * a Microsoft VM Generation ID, in guest-memory order. All-zero means "no generation ID".
 *
 * Split into two 64-bit words the bytes are little-endian: `lo` = bytes 0..7, `hi` = bytes 8..15
 * (libxl `memcpy`s them into `uint64_t[2]` on x86). Text forms (spec anchors §5):
 * - `xenstore`: `"<lo>:<hi>"`, unsigned decimal (libxl__ms_vm_genid_set's `"%"PRIu64":%"PRIu64`);
 * - `guid`: RFC 4122 text whose first three fields are byte-swapped into memory (QEMU, libvirt, UAPI.14);
 * - `hex`: 32 hex digits in memory order;
 * - `hyperv`: 16 hex digits of `hi` then 16 of `lo` (Hyper-V's configuration files);
 * - `windows`: `lo:hi` in unpadded lower-case hex (`VM_GENCOUNTER` as VMGENID.EXE prints it);
 * - `vmware`: `vm.genid` / `vm.genidX`, `lo` and `hi` as signed 64-bit decimals;
 * - libxl JSON: an array of 16 integers, byte 0 first.
 */
import { XlError } from '../errors.ts';
import { randomBytes, type RandomSource } from '../random-bytes.ts';

/** `LIBXL_MS_VM_GENID_LEN`. */
export const LIBXL_MS_VM_GENID_LEN = 16;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** The text forms `formatMsVmGenid` and `parseMsVmGenid` know. */
export type MsVmGenidTextForm = 'xenstore' | 'guid' | 'hex' | 'hyperv' | 'windows';

/** The two `.vmx` keys VMware keeps an ID in. */
export interface VmwareGenid {
  /** `vm.genid`: the low word as a signed 64-bit decimal. */
  readonly genid: string;
  /** `vm.genidX`: the high word as a signed 64-bit decimal. */
  readonly genidX: string;
}

const genidMarker = Symbol.for('xen-genid.xl-lib.MsVmGenid');

function invalid(form: string, text: string, reason: string): XlError {
  return new XlError('INVAL', `invalid ${form} generation ID ${JSON.stringify(text)}: ${reason}`);
}

function wordToBytes(word: bigint, target: Uint8Array, offset: number): void {
  let value = word;
  for (let index = 0; index < 8; index += 1) {
    target[offset + index] = Number(value & 0xffn);
    value >>= 8n;
  }
}

function hexOf(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

function bytesOfHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index += 1) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

/** Parses an unsigned 64-bit decimal word: digits only, no sign, no leading zero (hvmloader would read octal). */
function parseUnsignedWord(form: string, text: string, word: string, name: string): bigint {
  if (word === '') throw invalid(form, text, `the ${name} word is empty`);
  if (!/^[0-9]+$/.test(word)) throw invalid(form, text, `the ${name} word ${JSON.stringify(word)} is not an unsigned decimal number`);
  if (word.length > 1 && word.startsWith('0')) {
    throw invalid(form, text, `the ${name} word ${JSON.stringify(word)} has a leading zero (hvmloader would read it as octal)`);
  }
  const value = BigInt(word);
  if (value > UINT64_MAX) throw invalid(form, text, `the ${name} word ${word} does not fit in 64 bits`);
  return value;
}

function parseSignedWord(form: string, text: string, word: string, name: string): bigint {
  const trimmed = word.trim();
  if (!/^[+-]?[0-9]+$/.test(trimmed)) throw invalid(form, text, `${name} ${JSON.stringify(word)} is not a signed decimal number`);
  const value = BigInt(trimmed);
  if (value < INT64_MIN || value > INT64_MAX) throw invalid(form, text, `${name} ${trimmed} does not fit in a signed 64-bit integer`);
  return BigInt.asUintN(64, value);
}

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
    const bytes = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
    wordToBytes(lo, bytes, 0);
    wordToBytes(hi, bytes, 8);
    return new MsVmGenid(bytes);
  }

  /**
   * `libxl_ms_vm_genid_generate`: all 16 bytes from `libxl__random_bytes` (128 random bits, no UUID
   * version bits). A source failure is an `XlError('FAIL')`, never a zero ID.
   */
  static generate(random?: RandomSource): MsVmGenid {
    return new MsVmGenid(randomBytes(LIBXL_MS_VM_GENID_LEN, random));
  }

  /** `"<lo>:<hi>"`, two unsigned decimal words, as libxl writes `platform/generation-id`. */
  static fromXenstore(text: string): MsVmGenid {
    const parts = text.split(':');
    if (parts.length !== 2) throw invalid('xenstore', text, 'expected "<lo>:<hi>" with exactly one colon');
    return MsVmGenid.fromWords(
      parseUnsignedWord('xenstore', text, parts[0]!, 'low'),
      parseUnsignedWord('xenstore', text, parts[1]!, 'high'),
    );
  }

  /** RFC 4122 text (any case, optional braces); the first three fields are byte-swapped into memory. */
  static fromGuid(text: string): MsVmGenid {
    const inner = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
    if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(inner)) {
      throw invalid('guid', text, 'expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hexadecimal)');
    }
    const text16 = bytesOfHex(inner.replaceAll('-', ''));
    const bytes = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
    bytes.set(text16.subarray(0, 4).reverse(), 0);
    bytes.set(text16.subarray(4, 6).reverse(), 4);
    bytes.set(text16.subarray(6, 8).reverse(), 6);
    bytes.set(text16.subarray(8, 16), 8);
    return new MsVmGenid(bytes);
  }

  /** 32 hex digits (any case) in memory order. */
  static fromHex(text: string): MsVmGenid {
    if (!/^[0-9a-fA-F]{32}$/.test(text)) throw invalid('hex', text, 'expected exactly 32 hexadecimal digits');
    return new MsVmGenid(bytesOfHex(text));
  }

  /** Hyper-V's 32 hex digits: the high word, then the low word. */
  static fromHyperv(text: string): MsVmGenid {
    if (!/^[0-9a-fA-F]{32}$/.test(text)) throw invalid('hyperv', text, 'expected exactly 32 hexadecimal digits');
    return MsVmGenid.fromWords(BigInt(`0x${text.slice(16)}`), BigInt(`0x${text.slice(0, 16)}`));
  }

  /** Windows' `lo:hi` in hexadecimal (`%I64x:%I64x`, any case, padding optional). */
  static fromWindows(text: string): MsVmGenid {
    const match = /^([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,16})$/.exec(text);
    if (!match) throw invalid('windows', text, 'expected "<lo>:<hi>" in hexadecimal, at most 16 digits each');
    return MsVmGenid.fromWords(BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`));
  }

  /** VMware's `vm.genid` (low word) and `vm.genidX` (high word), signed 64-bit decimals. */
  static fromVmware(pair: { readonly genid: string; readonly genidX: string }): MsVmGenid {
    const text = `vm.genid=${pair.genid} vm.genidX=${pair.genidX}`;
    return MsVmGenid.fromWords(
      parseSignedWord('vmware', text, pair.genid, 'vm.genid'),
      parseSignedWord('vmware', text, pair.genidX, 'vm.genidX'),
    );
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

  /** Parses any text form by name. */
  static parse(text: string, form: MsVmGenidTextForm): MsVmGenid {
    switch (form) {
      case 'xenstore':
        return MsVmGenid.fromXenstore(text);
      case 'guid':
        return MsVmGenid.fromGuid(text);
      case 'hex':
        return MsVmGenid.fromHex(text);
      case 'hyperv':
        return MsVmGenid.fromHyperv(text);
      case 'windows':
        return MsVmGenid.fromWindows(text);
    }
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
    return new DataView(this.#bytes.buffer, this.#bytes.byteOffset, 16).getBigUint64(0, true);
  }

  /** The high word: bytes 8..15, little-endian. */
  get hi(): bigint {
    return new DataView(this.#bytes.buffer, this.#bytes.byteOffset, 16).getBigUint64(8, true);
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

  toXenstore(): string {
    return `${this.lo}:${this.hi}`;
  }

  toGuid(): string {
    const bytes = this.#bytes;
    const text = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
    text.set(bytes.slice(0, 4).reverse(), 0);
    text.set(bytes.slice(4, 6).reverse(), 4);
    text.set(bytes.slice(6, 8).reverse(), 6);
    text.set(bytes.subarray(8, 16), 8);
    const hex = hexOf(text);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  toHex(): string {
    return hexOf(this.#bytes);
  }

  toHyperv(): string {
    return this.hi.toString(16).padStart(16, '0') + this.lo.toString(16).padStart(16, '0');
  }

  toWindows(): string {
    return `${this.lo.toString(16)}:${this.hi.toString(16)}`;
  }

  toVmware(): VmwareGenid {
    return { genid: BigInt.asIntN(64, this.lo).toString(), genidX: BigInt.asIntN(64, this.hi).toString() };
  }

  /** libxl's JSON form: 16 integers, byte 0 first. */
  toJson(): number[] {
    return Array.from(this.#bytes);
  }

  /** Formats in a text form by name. */
  format(form: MsVmGenidTextForm): string {
    switch (form) {
      case 'xenstore':
        return this.toXenstore();
      case 'guid':
        return this.toGuid();
      case 'hex':
        return this.toHex();
      case 'hyperv':
        return this.toHyperv();
      case 'windows':
        return this.toWindows();
    }
  }

  /** The GUID form, for logs. */
  toString(): string {
    return this.toGuid();
  }
}
