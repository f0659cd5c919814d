import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { MS_VM_GENID_FORM_NAMES } from '../genid/text-forms.ts';
import { domainConfigFromJsonText } from '../types/domain-config.ts';
import { JsonDouble, ParsedJsonMap, parseLibxlJson, type ParsedJson } from './json-parse.ts';
import { yajlBeautify, type JsonValue } from './yajl-gen.ts';

const seed = Number(process.env.XEN_GENID_FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`json fuzz seed ${seed} (XEN_GENID_FC_SEED to repeat)`);
const runs = { seed, numRuns: 1000 };

/** The parsed tree back to plain values, integers as numbers where exact. */
function plain(node: ParsedJson): unknown {
  if (node instanceof ParsedJsonMap) return Object.fromEntries(node.entries.map(([key, value]) => [key, plain(value)]));
  if (Array.isArray(node)) return node.map(plain);
  if (node instanceof JsonDouble) return node.value;
  if (typeof node === 'bigint') return Number(node);
  return node;
}

function expectOnlyXlErrors(body: () => unknown): void {
  try {
    body();
  } catch (error) {
    if (!XlError.is(error)) throw error;
  }
}

describe('libxl JSON parser, fuzzed', () => {
  it('reads whatever JSON.stringify writes, and yajlBeautify of it, to the same values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3, depthSize: 'small' }), (value) => {
        const text = JSON.stringify(value);
        // -0 and unsafe integers are the only values JSON.stringify itself does not keep exactly.
        fc.pre(!/-0(?![.\d])/.test(text));
        const expected = JSON.stringify(JSON.parse(text));
        if (JSON.stringify(plain(parseLibxlJson(text))) !== expected) throw new Error(`parse changed ${text}`);
        const beautified = yajlBeautify(JSON.parse(text) as JsonValue);
        if (JSON.stringify(plain(parseLibxlJson(beautified))) !== expected) throw new Error(`beautify/parse changed ${text}`);
      }),
      runs,
    );
  });

  it('keeps any string, control characters and astral-plane characters included', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x20, max: 0x7f }), fc.integer({ min: 0x80, max: 0x10ffff })), {
            maxLength: 16,
          })
          .map((codePoints) => String.fromCodePoint(...codePoints)),
        (text) => {
        expect(parseLibxlJson(yajlBeautify(text).trimEnd())).toBe(text);
        expect(parseLibxlJson(JSON.stringify(text))).toBe(text);
        },
      ),
      runs,
    );
  });

  it('never fails with anything but ERROR_FAIL on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => expectOnlyXlErrors(() => parseLibxlJson(text))),
      runs,
    );
  });

  it('a domain config from arbitrary JSON is either parsed or refused with an XlError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3, depthSize: 'small' }), (value) => expectOnlyXlErrors(() => domainConfigFromJsonText(JSON.stringify(value)))),
      runs,
    );
  });
});

describe('generation ID text parsers, fuzzed', () => {
  const forms = MS_VM_GENID_FORM_NAMES;
  it('refuse arbitrary text only with XlError INVAL, and what they accept formats back equal', () => {
    fc.assert(
      fc.property(fc.constantFrom(...forms), fc.string({ maxLength: 48 }), (form, text) => {
        let id: MsVmGenid | undefined;
        try {
          id = MsVmGenid.parse(text, form);
        } catch (error) {
          expect(XlError.is(error) && error.code).toBe('INVAL');
          return;
        }
        expect(MsVmGenid.parse(id.format(form), form).equals(id)).toBe(true);
      }),
      runs,
    );
  });
});
