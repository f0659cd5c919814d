import { describe, expect, it } from 'vitest';
import { generationIdBytes, hvmloaderStrtoll, parseGenerationIdValue } from './strtoll.ts';

const U64 = (value: bigint): bigint => BigInt.asUintN(64, value);

describe('parseGenerationIdValue (hvmloader 4.17: strtoll(s, &end, 0), then after a ":")', () => {
  it.each<[string, bigint, bigint]>([
    ['0:0', 0n, 0n],
    ['', 0n, 0n],
    ['123:456', 123n, 456n],
    ['11400714819323198485:1311768467463790320', 0x9e3779b97f4a7c15n, 0x123456789abcdef0n],
    ['18446744073709551615:1', 0xffffffffffffffffn, 1n],
    ['18446744073709551616:1', 0n, 1n], // 2^64 wraps to 0
    ['9223372036854775808:0', 1n << 63n, 0n], // > INT64_MAX: no saturation
    ['99999999999999999999999:7', U64(99999999999999999999999n), 7n],
    ['0x10:0x20', 16n, 32n],
    ['0xffffffffffffffff:0xFF', 0xffffffffffffffffn, 0xffn],
    ['0X10:5', 0n, 0n], // only lower-case 0x: "0" then octal stops at "X", no ":" follows
    ['010:011', 8n, 9n], // octal
    ['08:1', 0n, 0n], // "8" is not octal: stops there, no ":" follows
    ['0:5', 0n, 5n], // the 0 stops at ":"
    ['0x:5', 0n, 5n], // "0x" with no digits: stops at ":"
    ['-1:-2', 0xffffffffffffffffn, 0xfffffffffffffffen],
    ['-9223372036854775808:0', 1n << 63n, 0n],
    ['+7:+8', 7n, 8n],
    [' 12: 34', 12n, 34n],
    ['\t\n\v\f\r 3:4', 3n, 4n],
    ['5', 5n, 0n], // no colon: second word 0
    ['5;6', 5n, 0n],
    ['1:2:3', 1n, 2n],
    ['12abc:3', 12n, 0n], // stops at "a": no ":" follows
    ['abc:5', 0n, 0n], // garbage
    [':5', 0n, 5n], // empty first word
    ['-', 0n, 0n],
    ['0x1g:2', 1n, 0n],
    ['7:garbage', 7n, 0n],
    ['7:0x', 7n, 0n],
  ])('%j -> %s, %s', (text, low, high) => {
    expect(parseGenerationIdValue(text)).toEqual({ low, high });
  });

  it('stops at a NUL as C does', () => {
    expect(parseGenerationIdValue('1\u00002:3')).toEqual({ low: 1n, high: 0n });
  });
});

describe('hvmloaderStrtoll', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  it('reports where it stopped', () => {
    expect(hvmloaderStrtoll(bytes('  42xyz'))).toEqual({ value: 42n, end: 4 });
    expect(hvmloaderStrtoll(bytes('0'))).toEqual({ value: 0n, end: 1 });
    expect(hvmloaderStrtoll(bytes(''))).toEqual({ value: 0n, end: 0 });
  });

  it('with an explicit base refuses prefixes of another base at once', () => {
    expect(hvmloaderStrtoll(bytes('0x1f'), 0, 10)).toEqual({ value: 0n, end: 1 });
    expect(hvmloaderStrtoll(bytes('17'), 0, 8)).toEqual({ value: 0n, end: 0 });
    expect(hvmloaderStrtoll(bytes('0x1f'), 0, 16)).toEqual({ value: 31n, end: 4 });
  });

  it('returns a signed long long', () => {
    expect(hvmloaderStrtoll(bytes('18446744073709551615')).value).toBe(-1n);
  });
});

describe('generationIdBytes', () => {
  it('writes both words little-endian, low first', () => {
    expect(Buffer.from(generationIdBytes({ low: 0x0102030405060708n, high: 0x1112131415161718n })).toString('hex')).toBe(
      '08070605040302011817161514131211',
    );
  });
});
