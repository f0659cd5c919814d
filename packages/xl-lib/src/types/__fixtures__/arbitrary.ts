/**
 * Arbitrary values of any IDL type, derived from its declaration, for property tests (the
 * round trip and the libxl referee).
 */
import fc from 'fast-check';
import type { JsonValue } from '../../json/yajl-gen.ts';
import { defaultOf, type AnyIdlType, type KeyedUnionType, type StructType } from '../idl.ts';
import { MsVmGenid } from '../../genid/ms-vm-genid.ts';

export interface ArbitraryOptions {
  /** Arrays of opaque JSON (types Xen 4.17's libxl lacks) are left empty. */
  readonly noOpaque?: boolean;
}

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

function isStruct(field: AnyIdlType): field is StructType<Record<string, AnyIdlType>> {
  return 'members' in field;
}

function isKeyedUnion(field: AnyIdlType): field is KeyedUnionType<AnyIdlType['schema']> {
  return 'keyvar' in field;
}

/** An arbitrary value of any IDL type, derived from its declaration. */
export function arbitraryFor(field: AnyIdlType, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  if (isKeyedUnion(field)) {
    return fc.oneof(
      ...Object.entries(field.arms).map(([arm, body]) =>
        body ? (arbitraryFor(body, options) as fc.Arbitrary<object>).map((members) => ({ [field.keyvar]: arm, ...members })) : fc.constant({ [field.keyvar]: arm }),
      ),
    );
  }
  if (isStruct(field)) {
    const members = Object.fromEntries(Object.entries(field.members).map(([name, member]) => [name, arbitraryFor(member, options)]));
    return fc.record(members);
  }
  // An enumeration's schema is `optional(picklist(names))`.
  const picklist = (field.schema as { wrapped?: { options?: readonly string[] } }).wrapped?.options;
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
      // What libxl reads back: a JSON integer that fits a long long, or the MemKB default (~0).
      return fc.oneof(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.constant(defaultOf(field) as bigint));
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
    case 'bool':
      return fc.boolean();
    case 'libxl_devid':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'libxl_mac':
      return fc.uint8Array({ minLength: 6, maxLength: 6 }).map((bytes) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':'));
    case 'libxl_cpuid_policy_list': {
      const filter = (length: number) => fc.string({ unit: fc.constantFrom('0', '1', 'x', 'k', 's'), minLength: length, maxLength: length });
      const uint32 = fc.integer({ min: 0, max: 0xfffffffe });
      const leaf = fc.record(
        { leaf: uint32, subleaf: fc.oneof(uint32, fc.constant(0xffffffff)), eax: filter(32), ebx: filter(32), ecx: filter(32), edx: filter(32) },
        { requiredKeys: ['leaf', 'subleaf'] },
      );
      return fc.record({ cpuid: fc.array(leaf, { maxLength: 3 }), msr: fc.array(fc.record({ index: uint32, policy: filter(64) }), { maxLength: 2 }) });
    }
    case 'libxl_ms_vm_genid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => MsVmGenid.fromBytes(bytes));
  }
  if ('element' in field) return fc.array(arbitraryFor(field.element as AnyIdlType, options), { maxLength: 2 });
  if (field.idlType.startsWith('Array(')) return options.noOpaque ? fc.constant([]) : fc.array(opaqueJson, { maxLength: 2 });
  if (picklist) return fc.constantFrom(...picklist);
  throw new Error(`no generator for IDL type ${field.idlType}`);
}

