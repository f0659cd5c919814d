/**
 * libxl's gentest.py, for our IDL: every registered type, filled with arbitrary values, goes
 * through its JSON (yajl-beautified text) and back unchanged, and its schema accepts the value and
 * copies it unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLibxlJson } from '../json/json-parse.ts';
import { yajlBeautify } from '../json/yajl-gen.ts';
import { arbitraryFor } from './__fixtures__/arbitrary.ts';
import { defaultOf, idlEqual, validate } from './idl.ts';
import { typeRegistry } from './registry.ts';

describe('every registered type round-trips through libxl JSON', () => {
  it('covers the domain config and all its parts', () => {
    expect([...typeRegistry.keys()]).toEqual(
      expect.arrayContaining(['libxl_domain_config', 'libxl_domain_create_info', 'libxl_domain_build_info', 'libxl_domain_sched_params']),
    );
  });

  for (const [name, field] of typeRegistry) {
    it(name, () => {
      fc.assert(
        fc.property(arbitraryFor(field), (value) => {
          expect(idlEqual(validate(field, value), value)).toBe(true);
          const printed = yajlBeautify(field.json.gen(value));
          const parsed: unknown = field.json.parse(parseLibxlJson(printed), name);
          if (!idlEqual(parsed, value)) {
            throw new Error(`round trip changed the value:\n${printed}\n${yajlBeautify(field.json.gen(parsed))}`);
          }
          expect(yajlBeautify(field.json.gen(parsed))).toBe(printed);
        }),
        { numRuns: name === 'libxl_domain_config' ? 120 : 200 },
      );
    }, 60_000);
  }

  it('the defaults print only the members libxl always prints', () => {
    const config = typeRegistry.get('libxl_domain_config')!;
    expect(yajlBeautify(config.json.gen(defaultOf(config)))).toBe(
      [
        '{',
        '    "c_info": {',
        '',
        '    },',
        '    "b_info": {',
        '        "sched_params": {',
        '',
        '        },',
        '        "type.invalid": {',
        '',
        '        },',
        '        "arch_arm": {',
        '',
        '        },',
        '        "arch_x86": {',
        '',
        '        }',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
  });
});
