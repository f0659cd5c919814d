import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { createSeededRandomSource, type RandomSource } from '../random-bytes.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import { inspect } from 'node:util';
import { MS_VM_GENID_FORMS, MS_VM_GENID_FORM_NAMES, type MsVmGenidTextForm } from './text-forms.ts';

const hexBytes = (text: string) => MsVmGenid.fromHex(text.replaceAll(' ', ''));

/** spec anchors §5, vectors A–D: every text form of the same 16 bytes. */
const VECTORS = [
  {
    name: 'A',
    memory: '11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00',
    windows: '8877665544332211:ffeeddccbbaa99',
    guid: '44332211-6655-8877-99aa-bbccddeeff00',
    xenstore: '9833440827789222417:72038755451251353',
    json: [17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187, 204, 221, 238, 255, 0],
    vmware: { genid: '-8613303245920329199', genidX: '72038755451251353' },
    hyperv: '00ffeeddccbbaa998877665544332211',
  },
  {
    name: 'B',
    memory: 'c5 2c 51 09 0a 94 87 89 b9 50 f5 4f 63 10 15 e8',
    windows: '8987940a09512cc5:e81510634ff550b9',
    guid: '09512cc5-940a-8987-b950-f54f631015e8',
    xenstore: '9910052275878964421:16723290810039488697',
    json: [197, 44, 81, 9, 10, 148, 135, 137, 185, 80, 245, 79, 99, 16, 21, 232],
    vmware: { genid: '-8536691797830587195', genidX: '-1723453263670062919' },
    hyperv: 'e81510634ff550b98987940a09512cc5',
  },
  {
    name: 'C',
    memory: 'af 6e 4e 32 d1 d1 f6 4b bf 41 b9 bb 6c 91 fb 87',
    windows: '4bf6d1d1324e6eaf:87fb916cbbb941bf',
    guid: '324e6eaf-d1d1-4bf6-bf41-b9bb6c91fb87',
    xenstore: '5473793093537787567:9798585310466621887',
    json: [0xaf, 0x6e, 0x4e, 0x32, 0xd1, 0xd1, 0xf6, 0x4b, 0xbf, 0x41, 0xb9, 0xbb, 0x6c, 0x91, 0xfb, 0x87],
    vmware: { genid: '5473793093537787567', genidX: '-8648158763242929729' },
    hyperv: '87fb916cbbb941bf4bf6d1d1324e6eaf',
  },
  {
    name: 'D',
    memory: '43 4a 33 be 92 69 6f fe e4 89 09 25 7a 28 5a 80',
    windows: 'fe6f6992be334a43:805a287a250989e4',
    guid: 'be334a43-6992-fe6f-e489-09257a285a80',
    xenstore: '18333988687025752643:9248749289831238116',
    json: [0x43, 0x4a, 0x33, 0xbe, 0x92, 0x69, 0x6f, 0xfe, 0xe4, 0x89, 0x09, 0x25, 0x7a, 0x28, 0x5a, 0x80],
    vmware: undefined,
    hyperv: '805a287a250989e4fe6f6992be334a43',
  },
];

describe('MsVmGenid text forms: the spec vectors', () => {
  for (const vector of VECTORS) {
    it(`vector ${vector.name}: every form formats from the bytes and parses back to them`, () => {
      const id = hexBytes(vector.memory);
      expect(id.toXenstore()).toBe(vector.xenstore);
      expect(id.toGuid()).toBe(vector.guid);
      expect(id.toHyperv()).toBe(vector.hyperv);
      expect(id.toWindows()).toBe(vector.windows);
      expect(id.toJson()).toEqual(vector.json);
      expect(MsVmGenid.fromXenstore(vector.xenstore).equals(id)).toBe(true);
      expect(MsVmGenid.fromGuid(vector.guid).equals(id)).toBe(true);
      expect(MsVmGenid.fromGuid(vector.guid.toUpperCase()).equals(id)).toBe(true);
      expect(MsVmGenid.fromGuid(`{${vector.guid}}`).equals(id)).toBe(true);
      expect(MsVmGenid.fromHyperv(vector.hyperv).equals(id)).toBe(true);
      expect(MsVmGenid.fromWindows(vector.windows).equals(id)).toBe(true);
      expect(MsVmGenid.fromJson(vector.json).equals(id)).toBe(true);
      if (vector.vmware) {
        expect(id.toVmware()).toEqual(vector.vmware);
        expect(MsVmGenid.fromVmware(vector.vmware).equals(id)).toBe(true);
      }
    });
  }

  it('QEMU guid= 11223344-5566-7788-99aa-bbccddeeff00 puts 44 33 22 11 66 55 88 77 99.. in memory', () => {
    expect(MsVmGenid.fromGuid('11223344-5566-7788-99aa-bbccddeeff00').toHex()).toBe('4433221166558877' + '99aabbccddeeff00');
  });

  it('the libvirt VMX-import misreading of vector B gives the wrong guest view the spec shows', () => {
    const wrong = MsVmGenid.fromGuid('8987940a-0951-2cc5-e815-10634ff550b9');
    expect(wrong.toHex()).toBe('0a948789' + '5109c52c' + 'e81510634ff550b9');
    expect(wrong.toWindows()).toBe('2cc509518987940a:b950f54f631015e8');
  });

  it('the xenstore forms libxl writes for the spec examples', () => {
    expect(hexBytes('01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10').toXenstore()).toBe('578437695752307201:1157159078456920585');
    expect(MsVmGenid.fromBytes([1, ...new Array(15).fill(0)]).toXenstore()).toBe('1:0');
    expect(MsVmGenid.fromHex('ff'.repeat(16)).toXenstore()).toBe('18446744073709551615:18446744073709551615');
  });
});

describe('MsVmGenid basics', () => {
  it('zero, isZero, copy, equality and the words', () => {
    const zero = MsVmGenid.zero();
    expect(zero.isZero()).toBe(true);
    expect(zero.toXenstore()).toBe('0:0');
    const id = MsVmGenid.fromWords(1n, 2n);
    expect(id.isZero()).toBe(false);
    expect([id.lo, id.hi]).toEqual([1n, 2n]);
    const copy = id.copy();
    expect(copy).not.toBe(id);
    expect(copy.equals(id)).toBe(true);
    expect(id.equals(MsVmGenid.fromWords(1n, 3n))).toBe(false);
    const bytes = id.bytes;
    bytes[0] = 99;
    expect(id.byteAt(0)).toBe(1);
    expect(MsVmGenid.is(id)).toBe(true);
    expect(MsVmGenid.is({ bytes })).toBe(false);
  });

  it('generate: all 16 bytes from the source, no UUID version bits', () => {
    const fixed: RandomSource = { fill: (buffer) => buffer.fill(0xff) };
    expect(MsVmGenid.generate(fixed).toHex()).toBe('ff'.repeat(16));
    const seeded = MsVmGenid.generate(createSeededRandomSource(42));
    expect(seeded.equals(MsVmGenid.generate(createSeededRandomSource(42)))).toBe(true);
    expect(MsVmGenid.generate().equals(MsVmGenid.generate())).toBe(false);
  });

  it('generate: a failing source is ERROR_FAIL, never a zero ID', () => {
    const broken: RandomSource = {
      fill() {
        throw new Error('no entropy');
      },
    };
    expect(() => MsVmGenid.generate(broken)).toThrow(expect.objectContaining({ code: 'FAIL', rc: -3 }));
  });
});

describe('libxl JSON parse rules (libxl__ms_vm_genid_parse_json)', () => {
  it('truncates each integer mod 256 and ignores extra elements', () => {
    const id = MsVmGenid.fromJson([300, -1, 256, ...new Array(13).fill(1), 'extra', null]);
    expect(id.toJson().slice(0, 4)).toEqual([44, 255, 0, 1]);
    expect(MsVmGenid.fromJson([...new Array(16).fill(1n)]).toJson()).toEqual(new Array(16).fill(1));
  });

  for (const [label, value] of [
    ['a string', '0102'],
    ['null', null],
    ['an object', { 0: 1 }],
    ['an empty array', []],
    ['15 elements', new Array(15).fill(0)],
    ['a float', [1.5, ...new Array(15).fill(0)]],
    ['a string element', ['1', ...new Array(15).fill(0)]],
    ['a null element', [null, ...new Array(15).fill(0)]],
  ] as const) {
    it(`refuses ${label} with ERROR_FAIL`, () => {
      expect(() => MsVmGenid.fromJson(value)).toThrow(expect.objectContaining({ code: 'FAIL' }));
    });
  }
});

describe('text-form errors are clear', () => {
  const cases: [MsVmGenidTextForm, string, string][] = [
    ['xenstore', '1:2:3', 'exactly one colon'],
    ['xenstore', '1', 'exactly one colon'],
    ['xenstore', ':5', 'low word is empty'],
    ['xenstore', '0x10:5', 'not an unsigned decimal'],
    ['xenstore', '-1:5', 'not an unsigned decimal'],
    ['xenstore', '0000000000001234567:0', 'leading zero'],
    ['xenstore', '18446744073709551616:0', 'does not fit in 64 bits'],
    ['guid', '1234', 'expected xxxxxxxx'],
    ['guid', '44332211-6655-8877-99aa-bbccddeeff0g', 'expected xxxxxxxx'],
    ['hex', 'abc', '32 hexadecimal digits'],
    ['hyperv', 'z'.repeat(32), '32 hexadecimal digits'],
    ['windows', '1:2:3', 'hexadecimal'],
  ];
  for (const [form, text, message] of cases) {
    it(`${form} ${JSON.stringify(text)}`, () => {
      let caught: unknown;
      try {
        MsVmGenid.parse(text, form);
      } catch (error) {
        caught = error;
      }
      expect(XlError.is(caught)).toBe(true);
      expect((caught as XlError).code).toBe('INVAL');
      expect((caught as XlError).message).toContain(`invalid ${form} generation ID`);
      expect((caught as XlError).message).toContain(message);
    });
  }

  it('vmware values outside int64', () => {
    expect(() => MsVmGenid.fromVmware({ genid: '9223372036854775808', genidX: '0' })).toThrow('does not fit in a signed 64-bit');
    expect(() => MsVmGenid.fromVmware({ genid: '1.5', genidX: '0' })).toThrow('not a signed decimal');
  });

  it('fromBytes refuses a wrong length or a non-byte', () => {
    expect(() => MsVmGenid.fromBytes([1, 2])).toThrow('16 bytes');
    expect(() => MsVmGenid.fromBytes([256, ...new Array(15).fill(0)])).toThrow('not an integer 0..255');
  });
});

describe('round trips (property)', () => {
  it('every text form returns the same 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = MsVmGenid.fromBytes(bytes);
        for (const form of MS_VM_GENID_FORMS) {
          const text = id.format(form.name);
          expect(text).toMatch(form.pattern);
          expect(MsVmGenid.parse(text, form.name).equals(id)).toBe(true);
        }
        expect(MsVmGenid.fromVmware(id.toVmware()).equals(id)).toBe(true);
        expect(MsVmGenid.fromJson(id.toJson()).equals(id)).toBe(true);
        expect(MsVmGenid.fromWords(id.lo, id.hi).equals(id)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the table of text forms', () => {
  const B = MsVmGenid.fromHex('c52c51090a948789b950f54f631015e8');

  it('has one row per form, each named once', () => {
    expect(MS_VM_GENID_FORM_NAMES).toEqual(['xenstore', 'guid', 'hex', 'hyperv', 'windows', 'vmware']);
  });

  it('parse with several forms takes the first whose pattern matches, in the order given', () => {
    const text = B.toHex();
    expect(MsVmGenid.parse(text, ['guid', 'hex', 'hyperv']).equals(B)).toBe(true);
    expect(MsVmGenid.parse(text, ['hyperv', 'hex']).toHyperv()).toBe(text);
    expect(MsVmGenid.parse(B.toGuid(), ['xenstore', 'guid']).equals(B)).toBe(true);
    expect(MsVmGenid.parse(B.toXenstore()).equals(B)).toBe(true);
    expect(MsVmGenid.formOf(B.toXenstore(), ['guid', 'hex'])).toBeUndefined();
    expect(MsVmGenid.formOf('123:456', ['guid', 'windows', 'xenstore'])).toBe('windows');
    expect(MsVmGenid.formOf(B.toXenstore(), ['guid', 'windows', 'xenstore'])).toBe('xenstore');
  });

  it('parse refuses text in none of the allowed forms, naming them', () => {
    expect(() => MsVmGenid.parse(B.toGuid(), ['xenstore', 'hex'])).toThrow('is not a generation ID in any of the forms xenstore, hex');
    // one form: its own parser decides, and says what is wrong
    expect(() => MsVmGenid.parse('01:2', ['xenstore'])).toThrow('leading zero');
  });

  it('vmware: "<vm.genid>,<vm.genidX>" and the form it prints both parse back', () => {
    expect(B.format('vmware')).toBe('vm.genid = "-8536691797830587195", vm.genidX = "-1723453263670062919"');
    expect(MsVmGenid.parse('-8536691797830587195, -1723453263670062919', 'vmware').equals(B)).toBe(true);
    expect(() => MsVmGenid.parse('1,2,3', 'vmware')).toThrow('vmware form: expected "<vm.genid>,<vm.genidX>", got "1,2,3"');
  });
});

describe('MsVmGenid in logs and JSON', () => {
  const A = MsVmGenid.fromHex('112233445566778899aabbccddeeff00');

  it('inspect (console.log) shows the GUID and xenstore forms, or that the ID is all-zero', () => {
    expect(inspect(A)).toBe('MsVmGenid(44332211-6655-8877-99aa-bbccddeeff00, xenstore 9833440827789222417:72038755451251353)');
    expect(inspect({ genid: A })).toContain('genid: MsVmGenid(44332211-6655-8877-99aa-bbccddeeff00');
    expect(inspect(MsVmGenid.zero())).toBe('MsVmGenid(none: all-zero)');
  });

  it('JSON.stringify writes libxl\'s form, 16 integers as xl list -l shows them, and it parses back', () => {
    const text = JSON.stringify({ ms_vm_genid: A });
    expect(text).toBe('{"ms_vm_genid":[17,34,51,68,85,102,119,136,153,170,187,204,221,238,255,0]}');
    expect(MsVmGenid.fromJson((JSON.parse(text) as { ms_vm_genid: unknown }).ms_vm_genid).equals(A)).toBe(true);
  });
});
