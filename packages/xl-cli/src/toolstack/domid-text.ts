/**
 * Domain ids as xl reads them from the command line: `strtoul` in `libxl_domain_qualifier_to_domid`
 * (tools/libs/light/libxl_utils.c, for a qualifier of digits only) and `strtol` in `main_domname`
 * (tools/xl/xl_info.c), both stored into a `uint32_t`. An out-of-range number saturates as the C
 * function does (`ULONG_MAX`, `LONG_MAX`, `LONG_MIN`) before the conversion keeps its low 32 bits.
 */

const UINT32 = 1n << 32n;
const ULONG_MAX = (1n << 64n) - 1n;
const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** `(uint32_t)strtoul(digits, NULL, 10)` for a string of decimal digits. */
export function domidFromDigits(digits: string): number {
  const value = BigInt(digits);
  return Number((value > ULONG_MAX ? ULONG_MAX : value) % UINT32);
}

/**
 * `(uint32_t)strtol(text, &end, 10)`: leading white space, a sign, then as many digits as there
 * are; `converted` is false when there were none (strtol leaves `end` at the start).
 */
export function domidFromStrtol(text: string): { readonly domid: number; readonly converted: boolean } {
  const match = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)/.exec(text);
  if (!match) return { domid: 0, converted: false };
  let value = BigInt(match[2]!) * (match[1] === '-' ? -1n : 1n);
  if (value > LONG_MAX) value = LONG_MAX;
  if (value < LONG_MIN) value = LONG_MIN;
  return { domid: Number(((value % UINT32) + UINT32) % UINT32), converted: true };
}

/** `printf("%-<width>s", text)`: C's width counts the bytes of the UTF-8 text, not its characters. */
export function padEndBytes(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - Buffer.byteLength(text)));
}

/** `printf("%.1f", value)` as glibc rounds: to nearest, an exact tie to the even digit. */
export function formatOneDecimal(value: number): string {
  // A tie is a multiple of 0.05 that is not one of 0.1, which a double holds only as an odd multiple
  // of 0.25: ten times it is exactly some n + 0.5 (below 2^50, where the product is exact). Anything
  // else rounds the same in toFixed.
  const tenfold = Math.abs(value) * 10;
  if (!(tenfold - Math.floor(tenfold) === 0.5 || tenfold >= 2 ** 50)) return value.toFixed(1);
  const exact = value.toFixed(100);
  const tie = /^(-?\d+)\.(\d)5(0*)$/.exec(exact);
  if (!tie) return value.toFixed(1);
  const tenths = BigInt(`${tie[1]!}${tie[2]!}`);
  const even = tenths % 2n === 0n ? tenths : tenths + (tenths < 0n ? -1n : 1n);
  const text = (even < 0n ? -even : even).toString().padStart(2, '0');
  return `${even < 0n ? '-' : ''}${text.slice(0, -1)}.${text.slice(-1)}`;
}
