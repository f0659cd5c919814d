/**
 * The IDL behind the domain config types, after libxl's own (`tools/libs/light/idl.py`,
 * `gentypes.py`, `libxl_json.c`): each type is declared once, as data, and its valibot schema,
 * default (`_init`), copy, equality and JSON generation and parsing (`_gen_json`, `_parse_json`)
 * all derive from that declaration.
 *
 * JSON rules kept from libxl:
 * - a struct member is printed only when it differs from its IDL default (`get_default_expr`):
 *   numbers and enumerations against their `init_val` (else 0), strings when non-NULL, defbools
 *   when set, bitmaps / lists / arrays when non-empty, builtins with a `check_default_fn`
 *   (uuid, ms_vm_genid) when that says non-default. Nested structs and keyed unions are always
 *   printed, even empty.
 * - a keyed union is printed under `"<keyvar>.<arm>"` (`"type.hvm"`), with no separate key member.
 * - on parse, a member whose JSON node has the wrong kind is skipped, as `libxl__json_map_get`
 *   returns NULL for it, and the member keeps its default; a member of the right kind that does not
 *   convert is `ERROR_FAIL`. Unknown keys are ignored.
 */
import * as v from 'valibot';
import { XlError } from '../errors.ts';
import type { JsonValue } from '../json/yajl-gen.ts';
import { JsonDouble, ParsedJsonMap, jsonNodeKind, type JsonNodeKind, type ParsedJson } from '../json/json-parse.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';

/** One IDL type: how a value is validated, defaulted, compared, copied, printed and parsed. */
export interface Field<T> {
  /** The IDL type name (`libxl_defbool`, `MemKB`, `libxl_domain_build_info`...). */
  readonly idlType: string;
  readonly schema: v.GenericSchema<T>;
  /** The JSON node kinds libxl's parser accepts for it (`json_parse_type`); others are skipped. */
  readonly accepts: readonly JsonNodeKind[] | 'any';
  /** True for structs and keyed unions: always printed. */
  readonly aggregate: boolean;
  makeDefault(): T;
  /** True when a struct member holding `value` is left out of the JSON. */
  isDefault(value: T): boolean;
  toJson(value: T): JsonValue;
  fromJson(node: ParsedJson, path: string): T;
  copy(value: T): T;
  equal(left: T, right: T): boolean;
}

export type FieldValue<F> = F extends Field<infer T> ? T : never;

/** A field of any value type (the value type is invariant, so `unknown` would not do). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyField = Field<any>;

function fail(path: string, message: string): never {
  throw new XlError('FAIL', `${path}: ${message}`);
}

function integerOf(node: ParsedJson, path: string): bigint {
  if (typeof node !== 'bigint') fail(path, 'expected a JSON integer');
  return node;
}

/** libxl_defbool: unset, true or false. JSON `"<default>"`, `"True"`, `"False"`. */
export type Defbool = 'default' | 'true' | 'false';

const DEFBOOL_TEXT = { default: '<default>', true: 'True', false: 'False' } as const;

/** `libxl_defbool` (`libxl__defbool_gen_json` / `libxl__defbool_parse_json`: prefix match, as libxl's `strncmp`). */
export function defbool(): Field<Defbool> {
  return {
    idlType: 'libxl_defbool',
    schema: v.picklist(['default', 'true', 'false']),
    accepts: ['string'],
    aggregate: false,
    makeDefault: () => 'default',
    isDefault: (value) => value === 'default',
    toJson: (value) => DEFBOOL_TEXT[value],
    fromJson(node, path) {
      const text = node as string;
      if (text.startsWith('<default>')) return 'default';
      if (text.startsWith('True')) return 'true';
      if (text.startsWith('False')) return 'false';
      return fail(path, `invalid defbool ${JSON.stringify(text)}`);
    },
    copy: (value) => value,
    equal: (left, right) => left === right,
  };
}

interface NumberOptions {
  readonly idlType: string;
  readonly bits: 8 | 16 | 32;
  readonly signed: boolean;
  readonly init: number;
}

function fixedNumber(options: NumberOptions): Field<number> {
  const min = options.signed ? -(2 ** (options.bits - 1)) : 0;
  const max = options.signed ? 2 ** (options.bits - 1) - 1 : 2 ** options.bits - 1;
  return {
    idlType: options.idlType,
    schema: v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)),
    accepts: ['integer'],
    aggregate: false,
    makeDefault: () => options.init,
    isDefault: (value) => value === options.init,
    toJson: (value) => value,
    fromJson(node, path) {
      // libxl__int_parse_json / libxl__uint*_parse_json refuse a value outside the C type.
      const value = integerOf(node, path);
      if (value < BigInt(min) || value > BigInt(max)) fail(path, `${value} is out of range for ${options.idlType}`);
      return Number(value);
    },
    copy: (value) => value,
    equal: (left, right) => left === right,
  };
}

/** IDL `integer` (C `int`), with its `init_val`. */
export function integer(init = 0): Field<number> {
  return fixedNumber({ idlType: 'integer', bits: 32, signed: true, init });
}

/** IDL `uint32`. */
export function uint32(init = 0): Field<number> {
  return fixedNumber({ idlType: 'uint32', bits: 32, signed: false, init });
}

/** IDL `uint8`. */
export function uint8(init = 0): Field<number> {
  return fixedNumber({ idlType: 'uint8', bits: 8, signed: false, init });
}

/** `libxl_domid`: a JSON integer, printed when non-zero. */
export function domid(): Field<number> {
  return { ...fixedNumber({ idlType: 'libxl_domid', bits: 32, signed: false, init: 0 }) };
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * IDL `uint64` (and `MemKB`): a bigint. libxl parses it from a JSON integer that fits a
 * `long long`; a larger one (yajl's JSON_NUMBER) is skipped like any member of the wrong kind.
 */
export function uint64(init = 0n, idlType = 'uint64'): Field<bigint> {
  return {
    idlType,
    schema: v.pipe(
      v.bigint(),
      v.check((value) => value >= 0n && value <= UINT64_MAX, 'must be a uint64'),
    ),
    accepts: ['integer'],
    aggregate: false,
    makeDefault: () => init,
    isDefault: (value) => value === init,
    toJson: (value) => value,
    fromJson(node, path) {
      const value = integerOf(node, path);
      if (value < 0n) fail(path, `${value} is out of range for ${idlType}`);
      return value;
    },
    copy: (value) => value,
    equal: (left, right) => left === right,
  };
}

/** `LIBXL_MEMKB_DEFAULT` (`~0ULL`). */
export const LIBXL_MEMKB_DEFAULT = UINT64_MAX;

/** `MemKB`: a uint64 whose default is `LIBXL_MEMKB_DEFAULT`. */
export function memkb(): Field<bigint> {
  return uint64(LIBXL_MEMKB_DEFAULT, 'MemKB');
}

/** IDL `string`: `undefined` is C's NULL (left out of the JSON); JSON null parses to it. */
export function string(): Field<string | undefined> {
  return {
    idlType: 'string',
    schema: v.optional(v.string()),
    accepts: ['string', 'null'],
    aggregate: false,
    makeDefault: () => undefined,
    isDefault: (value) => value === undefined,
    toJson: (value) => value ?? null,
    fromJson: (node) => (node === null ? undefined : (node as string)),
    copy: (value) => value,
    equal: (left, right) => left === right,
  };
}

/** The nil uuid (`libxl_uuid_is_nil`). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `libxl_uuid`: lower-case 8-4-4-4-12 text (`LIBXL_UUID_FMT`); parsed in any case. */
export function uuid(): Field<string> {
  return {
    idlType: 'libxl_uuid',
    schema: v.pipe(v.string(), v.regex(UUID_PATTERN, 'must be a lower-case uuid')),
    accepts: ['string'],
    aggregate: false,
    makeDefault: () => NIL_UUID,
    isDefault: (value) => value === NIL_UUID,
    toJson: (value) => value,
    fromJson(node, path) {
      const text = (node as string).toLowerCase();
      if (!UUID_PATTERN.test(text)) fail(path, `invalid uuid ${JSON.stringify(node)}`);
      return text;
    },
    copy: (value) => value,
    equal: (left, right) => left === right,
  };
}

/**
 * An IDL `Enumeration`: values by their libxl string (`libxl_<enum>_to_string`, lower case);
 * parsed case-insensitively (`libxl__enum_from_string`). The default is `init` (else value 0's name).
 */
export function enumeration<const N extends string>(idlType: string, names: readonly N[], init: N): Field<N> {
  return {
    idlType,
    schema: v.picklist(names),
    accepts: ['string'],
    aggregate: false,
    makeDefault: () => init,
    isDefault: (value) => value === init,
    toJson: (value) => value,
    fromJson(node, path) {
      const text = (node as string).toLowerCase();
      const found = names.find((name) => name.toLowerCase() === text);
      if (found === undefined) fail(path, `invalid ${idlType} ${JSON.stringify(node)}`);
      return found;
    },
    copy: (value) => value,
    equal: (left, right) => left === right,
  };
}

function sameArray<T>(left: readonly T[], right: readonly T[], equal: (a: T, b: T) => boolean): boolean {
  return left.length === right.length && left.every((element, index) => equal(element, right[index]!));
}

/** `libxl_bitmap`: the set bits, ascending; JSON an array of bit numbers; printed when non-empty. */
export function bitmap(): Field<number[]> {
  return {
    idlType: 'libxl_bitmap',
    schema: v.array(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffff))),
    accepts: ['array'],
    aggregate: false,
    makeDefault: () => [],
    isDefault: (value) => value.length === 0,
    toJson: (value) => [...new Set(value)].sort((left, right) => left - right),
    fromJson(node, path) {
      const bits = new Set<number>();
      (node as ParsedJson[]).forEach((element, index) => {
        const bit = integerOf(element, `${path}[${index}]`);
        if (bit < 0n || bit > 0xffffffn) fail(`${path}[${index}]`, `bit ${bit} out of range`);
        bits.add(Number(bit));
      });
      return [...bits].sort((left, right) => left - right);
    },
    copy: (value) => [...value],
    equal: (left, right) => sameArray(left, right, (a, b) => a === b),
  };
}

/** `libxl_string_list`: JSON an array of strings; printed when non-empty. */
export function stringList(): Field<string[]> {
  return {
    idlType: 'libxl_string_list',
    schema: v.array(v.string()),
    accepts: ['array'],
    aggregate: false,
    makeDefault: () => [],
    isDefault: (value) => value.length === 0,
    toJson: (value) => [...value],
    fromJson(node, path) {
      return (node as ParsedJson[]).map((element, index) => {
        if (typeof element !== 'string') fail(`${path}[${index}]`, 'expected a string');
        return element;
      });
    },
    copy: (value) => [...value],
    equal: (left, right) => sameArray(left, right, (a, b) => a === b),
  };
}

/** One entry of a `libxl_key_value_list`; a `null` value is C's NULL. */
export type KeyValue = [key: string, value: string | null];

/** `libxl_key_value_list`: JSON a map of strings (or null); printed when non-empty. */
export function keyValueList(): Field<KeyValue[]> {
  return {
    idlType: 'libxl_key_value_list',
    schema: v.array(v.tuple([v.string(), v.nullable(v.string())])),
    accepts: ['map'],
    aggregate: false,
    makeDefault: () => [],
    isDefault: (value) => value.length === 0,
    toJson: (value) => new Map(value.map(([key, entry]) => [key, entry])),
    fromJson(node, path) {
      return (node as ParsedJsonMap).entries.map(([key, entry]): KeyValue => {
        if (entry !== null && typeof entry !== 'string') fail(`${path}.${key}`, 'expected a string or null');
        return [key, entry];
      });
    },
    copy: (value) => value.map(([key, entry]): KeyValue => [key, entry]),
    equal: (left, right) => sameArray(left, right, (a, b) => a[0] === b[0] && a[1] === b[1]),
  };
}

/** `libxl_ms_vm_genid`: printed when not all-zero (`check_default_fn = libxl_ms_vm_genid_is_zero`). */
export function msVmGenid(): Field<MsVmGenid> {
  return {
    idlType: 'libxl_ms_vm_genid',
    schema: v.custom<MsVmGenid>((value) => MsVmGenid.is(value), 'must be an MsVmGenid'),
    accepts: 'any',
    aggregate: false,
    makeDefault: () => MsVmGenid.zero(),
    isDefault: (value) => value.isZero(),
    toJson: (value) => value.toJson(),
    fromJson(node, path) {
      try {
        return MsVmGenid.fromJson(node);
      } catch (error) {
        return fail(path, (error as Error).message);
      }
    },
    copy: (value) => value.copy(),
    equal: (left, right) => left.equals(right),
  };
}

/** A JSON value kept as it is (device arrays xl-lib does not model). */
export type OpaqueJson = JsonValue;

function parsedToValue(node: ParsedJson): JsonValue {
  if (node instanceof ParsedJsonMap) {
    const map = new Map<string, JsonValue>();
    for (const [key, entry] of node.entries) if (!map.has(key)) map.set(key, parsedToValue(entry));
    return map;
  }
  if (Array.isArray(node)) return node.map(parsedToValue);
  if (node instanceof JsonDouble) return node.value;
  return node;
}

function jsonEqual(left: JsonValue, right: JsonValue): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) || Array.isArray(right)) {
    return Array.isArray(left) && Array.isArray(right) && sameArray(left as JsonValue[], right as JsonValue[], jsonEqual);
  }
  const leftEntries = left instanceof Map ? [...left.entries()] : Object.entries(left);
  const rightEntries = right instanceof Map ? [...right.entries()] : Object.entries(right);
  return sameArray(leftEntries, rightEntries, (a, b) => a[0] === b[0] && jsonEqual(a[1], b[1]));
}

/** An IDL `Array` of a type xl-lib does not model: its JSON elements, kept and printed as they are. */
export function opaqueArray(idlType: string): Field<OpaqueJson[]> {
  return {
    idlType: `Array(${idlType})`,
    schema: v.array(v.custom<OpaqueJson>(() => true)),
    accepts: ['array'],
    aggregate: false,
    makeDefault: () => [],
    isDefault: (value) => value.length === 0,
    toJson: (value) => [...value],
    fromJson: (node) => (node as ParsedJson[]).map(parsedToValue),
    copy: (value) => value.map((element) => parsedToValueCopy(element)),
    equal: (left, right) => sameArray(left, right, jsonEqual),
  };
}

function parsedToValueCopy(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as JsonValue[]).map(parsedToValueCopy);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return new Map(entries.map(([key, entry]) => [key, parsedToValueCopy(entry)]));
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** A keyed union member (`KeyedUnion`): its keyvar and arms. Its `fromJson` reads the enclosing map. */
export interface KeyedUnionField<T> extends Field<T> {
  readonly keyvar: string;
  readonly arms: Readonly<Record<string, Field<object> | null>>;
}

function isKeyedUnion(field: Field<unknown>): field is KeyedUnionField<unknown> {
  return 'keyvar' in field;
}

type Fields = { readonly [key: string]: AnyField };

/** The value of a struct: every member present, with its TypeScript (camelCase) name. */
export type StructValue<F extends Fields> = { -readonly [K in keyof F]: FieldValue<F[K]> };

/** A struct of any members. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStructField = StructField<any>;

/** A struct type, with its members' declarations and JSON keys. */
export interface StructField<F extends Fields> extends Field<StructValue<F>> {
  readonly fields: F;
  /** The JSON key of each member (libxl's snake_case name). */
  readonly jsonKeys: { readonly [K in keyof F]: string };
}

/**
 * An IDL `Struct`. Members are printed in declaration order under their snake_case names
 * (`maxMemkb` → `max_memkb`), or the names given in `jsonKeys`.
 */
export function struct<const F extends Fields>(
  idlType: string,
  fields: F,
  jsonKeyOverrides: Partial<Record<keyof F, string>> = {},
): StructField<F> {
  const names = Object.keys(fields) as (keyof F & string)[];
  const jsonKeys = Object.fromEntries(
    names.map((name) => [name, jsonKeyOverrides[name] ?? snakeCase(name)]),
  ) as { [K in keyof F]: string };
  const entries = Object.fromEntries(names.map((name) => [name, fields[name]!.schema]));
  const schema = v.strictObject(entries) as unknown as v.GenericSchema<StructValue<F>>;

  const makeDefault = (): StructValue<F> => {
    const value: Record<string, unknown> = {};
    for (const name of names) value[name] = fields[name]!.makeDefault();
    return value as StructValue<F>;
  };

  return {
    idlType,
    schema,
    fields,
    jsonKeys,
    accepts: ['map'],
    aggregate: true,
    makeDefault,
    isDefault: () => false,
    toJson(value) {
      const out = new Map<string, JsonValue>();
      for (const name of names) {
        const field = fields[name]! as Field<unknown>;
        const member = (value as Record<string, unknown>)[name];
        if (isKeyedUnion(field)) {
          const arm = (member as Record<string, unknown>)[field.keyvar] as string;
          out.set(`${field.keyvar}.${arm}`, field.toJson(member));
        } else if (field.aggregate || !field.isDefault(member)) {
          out.set(jsonKeys[name], field.toJson(member));
        }
      }
      return out;
    },
    fromJson(node, path) {
      if (!(node instanceof ParsedJsonMap)) fail(path, `expected a JSON map for ${idlType}`);
      const value = makeDefault() as Record<string, unknown>;
      for (const name of names) {
        const field = fields[name]! as Field<unknown>;
        const key = jsonKeys[name];
        if (isKeyedUnion(field)) {
          value[name] = field.fromJson(node, `${path}`);
          continue;
        }
        const found = node.get(key);
        if (found === undefined) continue;
        if (field.accepts !== 'any' && !field.accepts.includes(jsonNodeKind(found))) continue;
        value[name] = field.fromJson(found, `${path}.${key}`);
      }
      return value as StructValue<F>;
    },
    copy(value) {
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = (fields[name]! as Field<unknown>).copy((value as Record<string, unknown>)[name]);
      return out as StructValue<F>;
    },
    equal(left, right) {
      return names.every((name) =>
        (fields[name]! as Field<unknown>).equal((left as Record<string, unknown>)[name], (right as Record<string, unknown>)[name]),
      );
    },
  };
}

type ArmValue<K extends string, N extends string, A> = { [P in K]: N } & (A extends Field<infer T> ? T : unknown);

/** The value of a keyed union: `{ type: 'hvm', ...hvm members } | { type: 'pv', ... } | ...`. */
export type KeyedUnionValue<K extends string, A extends Record<string, AnyField | null>> = {
  [N in keyof A & string]: ArmValue<K, N, A[N]>;
}[keyof A & string];

/**
 * An IDL `KeyedUnion` (`u` keyed by `type`): the value carries its key as `keyvar`; printed by the
 * enclosing struct as `"<keyvar>.<arm>": { arm members }` (`{}` for an arm with no members).
 */
export function keyedUnion<const K extends string, const A extends Record<string, AnyStructField | null>>(
  idlType: string,
  keyvar: K,
  arms: A,
  init: keyof A & string,
): Field<KeyedUnionValue<K, A>> & KeyedUnionField<KeyedUnionValue<K, A>> {
  type Value = KeyedUnionValue<K, A>;
  const armOf = (value: Value): string => (value as Record<string, unknown>)[keyvar] as string;
  const makeArm = (arm: string): Value => {
    const body = arms[arm];
    return { [keyvar]: arm, ...(body ? body.makeDefault() : {}) } as Value;
  };
  const armSchemas = Object.entries(arms).map(([arm, body]) =>
    v.strictObject({
      [keyvar]: v.literal(arm),
      ...(body ? (body.schema as unknown as { entries: v.ObjectEntries }).entries : {}),
    }),
  );
  return {
    idlType,
    keyvar,
    arms,
    schema: v.variant(keyvar, armSchemas as never) as unknown as v.GenericSchema<Value>,
    accepts: ['map'],
    aggregate: true,
    makeDefault: () => makeArm(init),
    isDefault: () => false,
    toJson(value) {
      const body = arms[armOf(value)];
      if (!body) return new Map();
      const { [keyvar]: _key, ...members } = value as Record<string, unknown>;
      return body.toJson(members as never);
    },
    fromJson(node, path) {
      // `node` is the enclosing struct's map: the arm is whichever "<keyvar>.<arm>" key holds a map.
      if (!(node instanceof ParsedJsonMap)) fail(path, `expected a JSON map holding ${idlType}`);
      for (const arm of Object.keys(arms)) {
        const found = node.get(`${keyvar}.${arm}`);
        if (!(found instanceof ParsedJsonMap)) continue;
        const body = arms[arm];
        if (!body) return makeArm(arm);
        return { [keyvar]: arm, ...(body.fromJson(found, `${path}.${keyvar}.${arm}`) as object) } as Value;
      }
      return makeArm(init);
    },
    copy(value) {
      const body = arms[armOf(value)];
      const { [keyvar]: key, ...members } = value as Record<string, unknown>;
      return { [keyvar]: key, ...(body ? (body.copy(members as never) as object) : {}) } as Value;
    },
    equal(left, right) {
      if (armOf(left) !== armOf(right)) return false;
      const body = arms[armOf(left)];
      if (!body) return true;
      const { [keyvar]: _left, ...leftMembers } = left as Record<string, unknown>;
      const { [keyvar]: _right, ...rightMembers } = right as Record<string, unknown>;
      return body.equal(leftMembers as never, rightMembers as never);
    },
  };
}

/** Checks a value against a type's schema: `XlError('INVAL')` listing every problem with its path. */
export function validate<T>(field: Field<T>, value: unknown, what = field.idlType): T {
  const result = v.safeParse(field.schema, value);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((item) => String(item.key)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new XlError('INVAL', `invalid ${what}: ${problems.join('; ')}`);
}
