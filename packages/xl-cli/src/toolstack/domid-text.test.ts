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
    expect(formatOneDecimal(-0.25)).toBe('-0.2');
    expect(formatOneDecimal(-0.75)).toBe('-0.8');
    expect(formatOneDecimal(1e300)).toBe((1e300).toFixed(1));
  });

  it('gives every value the text of the exact decimal expansion, rounded half to even (the quick path for non-ties included)', () => {
    // The reference: from the exact expansion, whatever the value.
    const reference = (value: number): string => {
      const tie = /^(-?\d+)\.(\d)5(0*)$/.exec(value.toFixed(100));
      if (!tie) return value.toFixed(1);
      const tenths = BigInt(`${tie[1]!}${tie[2]!}`);
      const even = tenths % 2n === 0n ? tenths : tenths + (tenths < 0n ? -1n : 1n);
      const text = (even < 0n ? -even : even).toString().padStart(2, '0');
      return `${even < 0n ? '-' : ''}${text.slice(0, -1)}.${text.slice(-1)}`;
    };
    const values: number[] = [];
    for (let n = -2000; n <= 2000; n += 1) values.push(n / 20, n / 4, n * 0.05, Math.fround(n * 1e7) / 1e9);
    for (let n = 0; n < 2000; n += 1) values.push(Math.random() * 1e6, 2 ** 49 + n / 4, 2 ** 50 + n / 2);
    for (const value of values) expect(formatOneDecimal(value), String(value)).toBe(reference(value));
  });
});
