import { describe, expect, it } from 'vitest';
import { domidFromDigits, domidFromStrtol, formatOneDecimal } from './domid-text.ts';

describe('domain ids as xl converts them', () => {
  it('strtoul of digits, kept to 32 bits, saturating at ULONG_MAX', () => {
    expect(domidFromDigits('7')).toBe(7);
    expect(domidFromDigits('4294967296')).toBe(0);
    expect(domidFromDigits('4294967297')).toBe(1);
    expect(domidFromDigits('99999999999999999999999999')).toBe(4294967295);
  });

  it('strtol with a prefix of digits, white space and sign, saturating at LONG_MAX and LONG_MIN', () => {
    expect(domidFromStrtol('0abc')).toEqual({ domid: 0, converted: true });
    expect(domidFromStrtol('abc')).toEqual({ domid: 0, converted: false });
    expect(domidFromStrtol('')).toEqual({ domid: 0, converted: false });
    expect(domidFromStrtol(' \t+12x')).toEqual({ domid: 12, converted: true });
    expect(domidFromStrtol('-1')).toEqual({ domid: 4294967295, converted: true });
    expect(domidFromStrtol('4294967296')).toEqual({ domid: 0, converted: true });
    expect(domidFromStrtol('99999999999999999999')).toEqual({ domid: 4294967295, converted: true });
    expect(domidFromStrtol('-99999999999999999999')).toEqual({ domid: 0, converted: true });
  });

  it('prints %.1f as glibc: exact ties go to the even digit', () => {
    expect(formatOneDecimal(0.25)).toBe('0.2');
    expect(formatOneDecimal(0.75)).toBe('0.8');
    expect(formatOneDecimal(2.5)).toBe('2.5');
    expect(formatOneDecimal(0.05)).toBe('0.1'); // 0.05 is a little above the tie in binary
    expect(formatOneDecimal(123.456)).toBe('123.5');
    expect(formatOneDecimal(0)).toBe('0.0');
  });
});
