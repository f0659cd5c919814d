/**
 * The C library's `strtoul` on a 64-bit host, as libxl and xl call it, so odd input converts as it
 * does under real Xen tools.
 */

const ULONG_MAX = (1n << 64n) - 1n;
const SPACE = ' \t\n\v\f\r';

function digitValue(char: string | undefined): number {
  if (char === undefined) return 99;
  const code = char.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/**
 * `strtoul(text, &end, base)` for base 0, 10 or 16: the value (ULONG_MAX on overflow, negated
 * modulo 2^64 after a `-`) and how many chars it used (0 when no digits).
 */
export function strtoul(text: string, base: 0 | 10 | 16): { value: bigint; end: number } {
  let position = 0;
  while (position < text.length && SPACE.includes(text[position]!)) position += 1;
  let negative = false;
  if (text[position] === '+' || text[position] === '-') {
    negative = text[position] === '-';
    position += 1;
  }
  let radix: number = base;
  const hexPrefix = text[position] === '0' && (text[position + 1] === 'x' || text[position + 1] === 'X') && digitValue(text[position + 2]) < 16;
  if ((base === 0 || base === 16) && hexPrefix) {
    radix = 16;
    position += 2;
  } else if (base === 0) {
    radix = text[position] === '0' ? 8 : 10;
  }
  const start = position;
  let value = 0n;
  let overflow = false;
  while (digitValue(text[position]) < radix) {
    value = value * BigInt(radix) + BigInt(digitValue(text[position]));
    if (value > ULONG_MAX) overflow = true;
    position += 1;
  }
  if (position === start) return { value: 0n, end: 0 };
  if (overflow) return { value: ULONG_MAX, end: position };
  return { value: negative ? BigInt.asUintN(64, -value) : value, end: position };
}
