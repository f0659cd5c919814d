import { describe, expect, it } from 'vitest';
import { JsonDouble, ParsedJsonMap, jsonNodeKind, parseLibxlJson } from './json-parse.ts';
import { yajlBeautify, yajlEncodeString } from './yajl-gen.ts';

describe('yajlBeautify (yajl_gen with yajl_gen_beautify)', () => {
  it('prints nested maps and arrays with four-space indent and empty containers as yajl does', () => {
    const value = new Map<string, unknown>([
      ['a', 1],
      ['empty', new Map()],
      ['list', [1n, 'two', null, true, false]],
      ['none', []],
      ['nested', { x: [{}] }],
    ]) as never;
    expect(yajlBeautify(value)).toBe(
      [
        '{',
        '    "a": 1,',
        '    "empty": {',
        '',
        '    },',
        '    "list": [',
        '        1,',
        '        "two",',
        '        null,',
        '        true,',
        '        false',
        '    ],',
        '    "none": [',
        '',
        '    ],',
        '    "nested": {',
        '        "x": [',
        '            {',
        '',
        '            }',
        '        ]',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('ends a top-level atom with the final newline too', () => {
    expect(yajlBeautify(5)).toBe('5\n');
    expect(yajlBeautify('x')).toBe('"x"\n');
  });

  it('escapes strings as yajl_string_encode: control characters as upper-case \\u00XX, "/" and UTF-8 kept', () => {
    expect(yajlEncodeString('a"b\\c/d\b\f\n\r\t\u0001\u001fé€')).toBe('"a\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001Fé€"');
  });

  it('prints 64-bit integers exactly', () => {
    expect(yajlBeautify([18446744073709551615n])).toBe('[\n    18446744073709551615\n]\n');
  });
});

describe('parseLibxlJson', () => {
  it('keeps integers exact and tells doubles apart, as libxl node kinds', () => {
    const parsed = parseLibxlJson('[1, -2, 1.0, 1e3, 18446744073709551615, "s", null, true, {}, []]') as unknown[];
    expect(parsed.slice(0, 2)).toEqual([1n, -2n]);
    expect(parsed[2]).toBeInstanceOf(JsonDouble);
    expect((parsed[3] as JsonDouble).value).toBe(1000);
    expect(parsed.map((node) => jsonNodeKind(node as never))).toEqual([
      'integer',
      'integer',
      'double',
      'double',
      'number',
      'string',
      'null',
      'bool',
      'map',
      'array',
    ]);
  });

  it('keeps duplicate keys in order and returns the first, as libxl__json_map_get', () => {
    const map = parseLibxlJson('{"k": 1, "k": 2}') as ParsedJsonMap;
    expect(map.entries).toEqual([
      ['k', 1n],
      ['k', 2n],
    ]);
    expect(map.get('k')).toBe(1n);
  });

  it('decodes escapes', () => {
    expect(parseLibxlJson('"\\u0041\\n\\/\\"\\\\"')).toBe('A\n/"\\');
  });

  for (const bad of ['', '{', '[1,]', '{"a" 1}', '01', '"unterminated', '[1] x', 'tru', '"\\x"', '{1: 2}']) {
    it(`refuses ${JSON.stringify(bad)} with ERROR_FAIL and an offset`, () => {
      expect(() => parseLibxlJson(bad)).toThrow(expect.objectContaining({ code: 'FAIL', message: expect.stringContaining('offset') }));
    });
  }

  it('reads what yajlBeautify prints', () => {
    const value = { a: [1n, 'x', null], b: { c: true } };
    const parsed = parseLibxlJson(yajlBeautify(value)) as ParsedJsonMap;
    expect(parsed.get('a')).toEqual([1n, 'x', null]);
    expect((parsed.get('b') as ParsedJsonMap).get('c')).toBe(true);
  });
});
