/**
 * The C library's number conversions as xl and libxlutil call them on a 64-bit host (`strtoul`,
 * `atoi`, `sscanf("%x")`), so odd input converts as it does under real xl.
 */

import { strtoul } from '@xen-genid/xl-lib';
import type { XlCfgDiagnostic } from './xl-cfg.ts';
import { XlExit } from './xl-exit.ts';

export { strtoul };

const ULONG_MAX = (1n << 64n) - 1n;

/** xl's `parse_ulong`: a decimal `unsigned long`; no digits or ULONG_MAX is xl's message and exit 1. */
export function parseUlong(text: string, diagnostics: XlCfgDiagnostic[]): bigint {
  const { value, end } = strtoul(text, 10);
  if (end === 0 || value === ULONG_MAX) {
    diagnostics.push({ severity: 'error', message: `xl: failed to convert "${text}" to number` });
    throw new XlExit(1);
  }
  return value;
}

/** `atoi`: leading blanks, a sign, decimal digits; 0 when none; the low 32 bits. */
export function atoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  return match ? Number(BigInt.asIntN(32, BigInt(match[1]!))) : 0;
}

/** `strtoul(text, NULL, 0)` stored into a C integer of `bits` bits. */
export function strtoulInto(text: string, bits: 8 | 32): number {
  return Number(BigInt.asUintN(bits, strtoul(text, 0).value));
}

/**
 * One `%x` (or `%u` with `radix` 10) of `sscanf`: blanks, a sign, for hex an optional `0x`, digits;
 * the value modulo 2^bits and where it stopped, or undefined when nothing matched.
 */
export function scanNumber(text: string, position: number, radix: 10 | 16, bits: 32 | 64): { value: bigint; end: number } | undefined {
  const { value, end } = strtoul(text.slice(position), radix);
  if (end === 0) return undefined;
  return { value: BigInt.asUintN(bits, value), end: position + end };
}
