/**
 * libxl's gentest.py, for our IDL: every registered type, filled with arbitrary values, goes
 * through its JSON (yajl-beautified text) and back unchanged, and its schema accepts the value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLibxlJson } from '../json/json-parse.ts';
import { yajlBeautify, type JsonValue } from '../json/yajl-gen.ts';
import { validate, type AnyField, type StructField } from './idl.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import { typeRegistry } from './registry.ts';

const text = fc.string({ maxLength: 12 });
const uniqueKeyed = <T>(value: fc.Arbitrary<T>) =>
  fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), value), { maxLength: 4, selector: ([key]) => key });

const opaqueJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    text,
    fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }),
    fc.array(tie('value'), { maxLength: 3 }),
    uniqueKeyed(tie('value')).map((entries) => new Map(entries)),
  ),
})).value;

function isStruct(field: AnyField): field is StructField<never> {
  return 'fields' in field;
}

/** An arbitrary value of any IDL type, derived from its declaration. */
function arbitraryFor(field: AnyField): fc.Arbitrary<unknown> {
  if ('keyvar' in field) {
    const union = field as unknown as { keyvar: string; arms: Record<string, AnyField | null> };
    return fc.oneof(
      ...Object.entries(union.arms).map(([arm, body]) =>
        body ? (arbitraryFor(body) as fc.Arbitrary<object>).map((members) => ({ [union.keyvar]: arm, ...members })) : fc.constant({ [union.keyvar]: arm }),
      ),
    );
  }
  if (isStruct(field)) {
    const members = Object.fromEntries(Object.entries(field.fields).map(([name, member]) => [name, arbitraryFor(member as AnyField)]));
    return fc.record(members);
  }
  const options = (field.schema as { options?: readonly string[] }).options;
  switch (field.idlType) {
    case 'libxl_defbool':
      return fc.constantFrom('default', 'true', 'false');
    case 'integer':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
    case 'libxl_domid':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'uint8':
      return fc.integer({ min: 0, max: 255 });
    case 'uint64':
    case 'MemKB':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'string':
      return fc.option(text, { nil: undefined });
    case 'libxl_uuid':
      return fc.uuid().map((uuid) => uuid.toLowerCase());
    case 'libxl_bitmap':
      return fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }).map((bits) => bits.sort((a, b) => a - b));
    case 'libxl_string_list':
      return fc.array(text, { maxLength: 3 });
    case 'libxl_key_value_list':
      return uniqueKeyed(fc.option(text, { nil: null }));
    case 'libxl_ms_vm_genid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => MsVmGenid.fromBytes(bytes));
  }
  if (field.idlType.startsWith('Array(')) return fc.array(opaqueJson, { maxLength: 2 });
  if (options) return fc.constantFrom(...options);
  throw new Error(`no generator for IDL type ${field.idlType}`);
}

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
          validate(field, value);
          const printed = yajlBeautify(field.toJson(value));
          const parsed = field.fromJson(parseLibxlJson(printed), name);
          if (!field.equal(parsed, value)) {
            throw new Error(`round trip changed the value:\n${printed}\n${yajlBeautify(field.toJson(parsed))}`);
          }
          expect(yajlBeautify(field.toJson(parsed))).toBe(printed);
          const copy = field.copy(value);
          expect(field.equal(copy, value)).toBe(true);
        }),
        { numRuns: name === 'libxl_domain_config' ? 300 : 200 },
      );
    });
  }

  it('the defaults print only the members libxl always prints', () => {
    const config = typeRegistry.get('libxl_domain_config')!;
    expect(yajlBeautify(config.toJson(config.makeDefault()))).toBe(
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
