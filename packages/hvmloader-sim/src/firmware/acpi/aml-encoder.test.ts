import { describe, expect, it } from 'vitest';
import {
  amlInteger,
  amlString,
  eisaId,
  encodeNameSeg,
  encodeNameString,
  encodePkgLength,
  withPkgLength,
} from './aml-encoder.ts';
import { AmlReader } from '../../guest/aml/reader.ts';
import { HvmloaderError } from '../../errors.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('PkgLength', () => {
  it.each([
    [0, '01'],
    [62, '3f'],
    [63, '4104'], // 63 + 2 = 65 = 0x41: low nibble 1, next byte 0x4
    [0xffd, '4fff'], // 0xffd + 2 = 0xfff: largest 2-byte value
    [0xffe, '810001'], // 0xffe + 3 = 0x1001
    [0xffffc, '8fffff'], // 0xffffc + 3 = 0xfffff: largest 3-byte value
    [0xffffd, 'c1000001'], // + 4 = 0x100001
    [0xffffffb, 'cfffffff'], // largest 4-byte value 0xfffffff
  ])('encodes a %d-byte package as %s', (content, expected) => {
    expect(hex(encodePkgLength(content))).toBe(expected);
  });

  it('refuses a package beyond 28 bits', () => {
    expect(() => encodePkgLength(0xffffffc)).toThrow(HvmloaderError);
  });

  it.each([0, 1, 62, 63, 64, 0xffd, 0xffe, 0xfff, 0xffffc, 0xffffd, 0x123456])('round-trips %d through the decoder', (content) => {
    const encoded = withPkgLength(new Uint8Array(content));
    const reader = new AmlReader(encoded);
    expect(reader.pkgEnd()).toBe(encoded.length);
    expect(reader.position).toBe(encoded.length - content);
  });
});

describe('NameString', () => {
  it.each([
    ['VGIA', '56474941'],
    ['PKG', '504b475f'],
    ['\\_SB', '5c5f53425f'],
    ['\\_SB.PCI0', '5c2e5f53425f50434930'],
    ['\\_SB.PCI0.ISA.VGID', '5c2f045f53425f504349304953415f56474944'],
    ['^^FOO', '5e5e464f4f5f'],
    ['^FOO.BAR', '5e2e464f4f5f4241525f'],
    ['\\', '5c00'],
    ['', '00'],
  ])('encodes %s', (path, expected) => {
    expect(hex(encodeNameString(path))).toBe(expected);
  });

  it('round-trips through the decoder', () => {
    const reader = new AmlReader(encodeNameString('^^\\'.slice(0, 2) + 'AB.CD.EF'));
    expect(reader.nameString()).toEqual({ root: false, parents: 2, segments: ['AB__', 'CD__', 'EF__'] });
  });

  it.each(['vgid', '1ABC', 'TOOLONG', 'A-B'])('refuses the NameSeg %s', (name) => {
    expect(() => encodeNameSeg(name)).toThrow(HvmloaderError);
  });
});

describe('data objects', () => {
  it('writes integers as iasl does', () => {
    expect(hex(amlInteger(0))).toBe('00');
    expect(hex(amlInteger(1))).toBe('01');
    expect(hex(amlInteger(0x0f))).toBe('0a0f');
    expect(hex(amlInteger(0xae60))).toBe('0b60ae');
    expect(hex(amlInteger(0xfc000000))).toBe('0c000000fc');
    expect(hex(amlInteger(0x100000000n))).toBe('0e0000000001000000');
    expect(() => amlInteger(-1)).toThrow(HvmloaderError);
  });

  it('compresses EISA ids', () => {
    expect(eisaId('XEN0000')).toBe(0x0000ae60);
    expect(eisaId('PNP0A03')).toBe(0x030ad041);
  });

  it('writes ASCII strings with a NUL', () => {
    expect(hex(amlString('VM_Gen_Counter'))).toBe('0d564d5f47656e5f436f756e74657200');
    expect(() => amlString('caf\u00e9')).toThrow(HvmloaderError);
  });
});
