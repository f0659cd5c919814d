/**
 * hvmloader's own `strtoll` (`tools/firmware/hvmloader/util.c`, Xen 4.17), which is not the C
 * library's: base 0 picks octal after a leading `0` and hex only after a lower-case `0x`; a
 * leading `0` with an explicit base other than 8/16 stops at once; digits accumulate as
 * `v * base + d` with no overflow check (two's-complement wrap-around) and stop at the first
 * character that is not a digit of the base; the result is `sign * v`. Whitespace is hvmloader's
 * `isspace` (`ctype.c`: bytes 9-13, 32 and 160).
 */

export interface StrtollResult {
  /** The value as hvmloader's `long long`. */
  readonly value: bigint;
  /** Byte offset of `*end` in the input. */
  readonly end: number;
}

const isHvmloaderSpace = (byte: number): boolean => (byte >= 9 && byte <= 13) || byte === 32 || byte === 160;

function digitValue(byte: number, base: number): number {
  let digit = -1;
  if (byte >= 0x30 && byte <= 0x39) digit = byte - 0x30;
  if (byte >= 0x41 && byte <= 0x5a) digit = byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x7a) digit = byte - 0x61 + 10;
  return digit >= base ? -1 : digit;
}

/** @see strtoll (tools/firmware/hvmloader/util.c). `input` is the C string's bytes (no NUL). */
export function hvmloaderStrtoll(input: Uint8Array, start = 0, base = 0): StrtollResult {
  let position = start;
  let value = 0n;
  let sign = 1n;
  const at = (index: number): number => (index < input.length ? (input[index] as number) : 0);
  const done = (): StrtollResult => ({ value: BigInt.asIntN(64, sign * value), end: position });

  while (at(position) !== 0 && isHvmloaderSpace(at(position))) position += 1;
  if (at(position) === 0) return done();
  if (at(position) === 0x2d) {
    sign = -1n;
    position += 1;
  } else if (at(position) === 0x2b) {
    position += 1;
  }
  if (at(position) === 0) return done();

  if (at(position) === 0x30) {
    position += 1;
    if (at(position) === 0) return done();
    if (at(position) === 0x78) {
      if (base !== 0 && base !== 16) return done();
      base = 16;
      position += 1;
    } else {
      if (base !== 0 && base !== 8) return done();
      base = 8;
    }
  } else {
    if (base !== 0 && base !== 10) return done();
    base = 10;
  }

  const bigBase = BigInt(base);
  while (at(position) !== 0) {
    const digit = digitValue(at(position), base);
    if (digit < 0) break;
    value = BigInt.asIntN(64, value * bigBase + BigInt(digit));
    position += 1;
  }
  return done();
}

/** The two 64-bit words of a generation ID (`uint64_t vm_gid[2]`), low word first. */
export interface GenerationIdWords {
  readonly low: bigint;
  readonly high: bigint;
}

/**
 * How hvmloader 4.17 reads `platform/generation-id` (`util.c` hvmloader_acpi_build_tables):
 * `vm_gid[0] = strtoll(s, &end, 0)`, then `vm_gid[1] = strtoll(end + 1, NULL, 0)` only when
 * `end[0] == ':'`; each stored into a `uint64_t`.
 */
export function parseGenerationIdValue(text: string): GenerationIdWords {
  const bytes = new TextEncoder().encode(text);
  const nul = bytes.indexOf(0);
  const cString = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  const first = hvmloaderStrtoll(cString, 0, 0);
  let high = 0n;
  if (cString[first.end] === 0x3a) high = hvmloaderStrtoll(cString, first.end + 1, 0).value;
  return { low: BigInt.asUintN(64, first.value), high: BigInt.asUintN(64, high) };
}

/** The 16 bytes hvmloader copies into guest memory: both words little-endian, low first. */
export function generationIdBytes(words: GenerationIdWords): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, words.low, true);
  view.setBigUint64(8, words.high, true);
  return bytes;
}
