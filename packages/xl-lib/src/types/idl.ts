/**
 * The IDL behind the domain config types, after libxl's own (`tools/libs/light/idl.py`,
 * `gentypes.py`, `libxl_json.c`): each type is declared once, as data. Its valibot schema is the one
 * source of the TypeScript type (`IdlValue`), the default (`_init`: each member's `init_val` is the
 * schema's default), validation and copy (`_copy`: parsing makes a new value); equality and "is this
 * member at its default" follow from the values. What stays per kind is only libxl's JSON for it
 * (`_gen_json`, `_parse_json`).
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
import { isCanonicalUuid } from '@xen-genid/xc-params';
import { XlError } from '../errors.ts';
import type { JsonValue } from '../json/yajl-gen.ts';
import { JsonDouble, ParsedJsonMap, jsonNodeKind, type JsonNodeKind, type ParsedJson } from '../json/json-parse.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';

/** libxl's JSON for one kind: what its parser accepts, how it prints and parses a value. */
export interface LibxlJson<T> {
  /** The JSON node kinds libxl's parser accepts for it (`json_parse_type`); others are skipped. */
  readonly accepts: readonly JsonNodeKind[] | 'any';
  /** True for structs and keyed unions: always printed. */
  readonly aggregate: boolean;
  gen(value: T): JsonValue;
  parse(node: ParsedJson, path: string): T;
}

/** A schema whose value is its member's default when the member is missing (`init_val`). */
type MemberSchema = v.GenericSchema<unknown, unknown>;

/**
 * One IDL type: its valibot schema (type, default, validation, copy) and libxl's JSON for it. The
 * types here build their schema when it is first read: a program loads every type of a domain
 * config, and most commands never validate one (nor the device types of a config without devices).
 */
export interface IdlType<S extends MemberSchema = MemberSchema> {
  /** The IDL type name (`libxl_defbool`, `MemKB`, `libxl_domain_build_info`...). */
  readonly idlType: string;
  readonly schema: S;
  readonly json: LibxlJson<v.InferOutput<S>>;
  /** A fresh default (`_init`), made without a schema parse; the same value `schema` gives for undefined. */
  readonly make: () => v.InferOutput<S>;
}

/** The value of an IDL type. */
export type IdlValue<T extends IdlType> = v.InferOutput<T['schema']>;

/** A type of any schema (the value type is invariant, so `IdlType<MemberSchema>` would not do). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyIdlType = IdlType<any>;

function fail(path: string, message: string): never {
  throw new XlError('FAIL', `${path}: ${message}`);
}

function integerOf(node: ParsedJson, path: string): bigint {
  if (typeof node !== 'bigint') fail(path, 'expected a JSON integer');
  return node;
}

function stringOf(node: ParsedJson, path: string): string {
  if (typeof node !== 'string') fail(path, 'expected a JSON string');
  return node;
}

function arrayOf(node: ParsedJson, path: string): ParsedJson[] {
  if (!Array.isArray(node)) fail(path, 'expected a JSON array');
  return node;
}

/**
 * A leaf kind's type: its schema is made at the first read. A class rather than an object literal
 * with a getter: a domain config declares hundreds of leaves, and a literal's getter is a new
 * closure and accessor for each.
 */
class LeafType<S extends MemberSchema, D extends v.Default<S, undefined>> implements IdlType<v.OptionalSchema<S, D>> {
  readonly idlType: string;
  readonly json: LibxlJson<v.InferOutput<v.OptionalSchema<S, D>>>;
  readonly #base: () => S;
  readonly #init: D;
  #schema: v.OptionalSchema<S, D> | undefined;

  constructor(idlType: string, base: () => S, init: D, json: LibxlJson<v.InferOutput<v.OptionalSchema<S, D>>>) {
    this.idlType = idlType;
    this.#base = base;
    this.#init = init;
    this.json = json;
  }

  get schema(): v.OptionalSchema<S, D> {
    return (this.#schema ??= v.optional(this.#base(), this.#init));
  }

  make(): v.InferOutput<v.OptionalSchema<S, D>> {
    const init = this.#init;
    return (typeof init === 'function' ? init() : init) as v.InferOutput<v.OptionalSchema<S, D>>;
  }
}

/** A leaf kind: the schema `base()` makes, with `init` as its default, printed and parsed by `json`. */
function leaf<const S extends MemberSchema, const D extends v.Default<S, undefined>>(
  idlType: string,
  base: () => S,
  init: D,
  json: Omit<LibxlJson<v.InferOutput<v.OptionalSchema<S, D>>>, 'aggregate'>,
): IdlType<v.OptionalSchema<S, D>> {
  return new LeafType(idlType, base, init, { ...json, aggregate: false });
}

/** libxl_defbool: unset, true or false. JSON `"<default>"`, `"True"`, `"False"`. */
export type Defbool = 'default' | 'true' | 'false';

/** `libxl_defbool_setdefault` then `libxl_defbool_val`: the value, or `fallback` when left at default. */
export function defboolValue(value: Defbool, fallback: boolean): boolean {
  return value === 'default' ? fallback : value === 'true';
}

const DEFBOOL_TEXT = { default: '<default>', true: 'True', false: 'False' } as const;

/** `libxl_defbool` (`libxl__defbool_gen_json` / `libxl__defbool_parse_json`: prefix match, as libxl's `strncmp`). */
export function defbool() {
  return leaf('libxl_defbool', () => v.picklist(['default', 'true', 'false']), 'default', {
    accepts: ['string'],
    gen: (value: Defbool) => DEFBOOL_TEXT[value],
    parse(node, path): Defbool {
      const text = stringOf(node, path);
      if (text.startsWith('<default>')) return 'default';
      if (text.startsWith('True')) return 'true';
      if (text.startsWith('False')) return 'false';
      return fail(path, `invalid defbool ${JSON.stringify(text)}`);
    },
  });
}

function fixedNumber(idlType: string, bits: 8 | 32, signed: boolean, init: number) {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return leaf(idlType, () => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)), init, {
    accepts: ['integer'],
    gen: (value: number) => value,
    parse(node, path) {
      // libxl__int_parse_json / libxl__uint*_parse_json refuse a value outside the C type.
      const value = integerOf(node, path);
      if (value < BigInt(min) || value > BigInt(max)) fail(path, `${value} is out of range for ${idlType}`);
      return Number(value);
    },
  });
}

/** IDL `integer` (C `int`), with its `init_val`. */
export const integer = (init = 0) => fixedNumber('integer', 32, true, init);
/** IDL `uint32`. */
export const uint32 = (init = 0) => fixedNumber('uint32', 32, false, init);
/** IDL `uint8`. */
export const uint8 = (init = 0) => fixedNumber('uint8', 8, false, init);
/** `INVALID_DOMID` (`libxl.h`): "no domid yet", xl's `domid_policy` unless xl.conf says `random`. */
export const INVALID_DOMID = 0xffffffff;
/** `RANDOM_DOMID` (`libxl.h`): "pick a random free domid". */
export const RANDOM_DOMID = INVALID_DOMID - 1;

/** `libxl_domid`: a JSON integer, printed when non-zero. */
export const domid = () => fixedNumber('libxl_domid', 32, false, 0);

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * IDL `uint64` (and `MemKB`): a bigint. libxl parses it from a JSON integer that fits a
 * `long long`; a larger one (yajl's JSON_NUMBER) is skipped like any member of the wrong kind.
 */
export function uint64(init = 0n, idlType = 'uint64') {
  const schema = () =>
    v.pipe(
      v.bigint(),
      v.check((value: bigint) => value >= 0n && value <= UINT64_MAX, 'must be a uint64'),
    );
  return leaf(idlType, schema, init, {
    accepts: ['integer'],
    gen: (value: bigint) => value,
    parse(node, path) {
      const value = integerOf(node, path);
      if (value < 0n) fail(path, `${value} is out of range for ${idlType}`);
      return value;
    },
  });
}

/** `LIBXL_MEMKB_DEFAULT` (`~0ULL`). */
export const LIBXL_MEMKB_DEFAULT = UINT64_MAX;

/** `MemKB`: a uint64 whose default is `LIBXL_MEMKB_DEFAULT`. */
export const memkb = () => uint64(LIBXL_MEMKB_DEFAULT, 'MemKB');

/** IDL `string`: `undefined` is C's NULL (left out of the JSON); JSON null parses to it. */
export function string() {
  return leaf('string', () => v.string(), undefined, {
    accepts: ['string', 'null'],
    gen: (value: string | undefined) => value ?? null,
    parse: (node, path) => (node === null ? undefined : stringOf(node, path)),
  });
}

/** The nil uuid (`libxl_uuid_is_nil`). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** `libxl_uuid`: lower-case 8-4-4-4-12 text (`LIBXL_UUID_FMT`); parsed in any case. */
export function uuid() {
  return leaf('libxl_uuid', () => v.pipe(v.string(), v.check(isCanonicalUuid, 'must be a lower-case uuid')), NIL_UUID, {
    accepts: ['string'],
    gen: (value: string) => value,
    parse(node, path) {
      const text = stringOf(node, path).toLowerCase();
      if (!isCanonicalUuid(text)) fail(path, `invalid uuid ${JSON.stringify(node)}`);
      return text;
    },
  });
}

/**
 * An IDL `Enumeration`: values by their libxl string (`libxl_<enum>_to_string`, lower case);
 * parsed case-insensitively (`libxl__enum_from_string`). The default is `init` (else value 0's name).
 */
export function enumeration<const N extends string>(idlType: string, names: readonly [N, ...N[]], init: N) {
  return leaf(idlType, () => v.picklist(names), init, {
    accepts: ['string'],
    gen: (value: N) => value,
    parse(node, path): N {
      const text = stringOf(node, path).toLowerCase();
      const found = names.find((name) => name.toLowerCase() === text);
      if (found === undefined) fail(path, `invalid ${idlType} ${JSON.stringify(node)}`);
      return found;
    },
  });
}

/** `libxl_bitmap`: the set bits, ascending; JSON an array of bit numbers; printed when non-empty. */
export function bitmap() {
  return leaf('libxl_bitmap', () => v.array(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffff))), () => [], {
    accepts: ['array'],
    gen: (value: number[]) => [...new Set(value)].sort((left, right) => left - right),
    parse(node, path) {
      const bits = new Set<number>();
      arrayOf(node, path).forEach((element, index) => {
        const bit = integerOf(element, `${path}[${index}]`);
        if (bit < 0n || bit > 0xffffffn) fail(`${path}[${index}]`, `bit ${bit} out of range`);
        bits.add(Number(bit));
      });
      return [...bits].sort((left, right) => left - right);
    },
  });
}

/** `libxl_string_list`: JSON an array of strings; printed when non-empty. */
export function stringList() {
  return leaf('libxl_string_list', () => v.array(v.string()), () => [], {
    accepts: ['array'],
    gen: (value: string[]) => [...value],
    parse: (node, path) => arrayOf(node, path).map((element, index) => stringOf(element, `${path}[${index}]`)),
  });
}

/** One entry of a `libxl_key_value_list`; a `null` value is C's NULL. */
export type KeyValue = [key: string, value: string | null];

/** `libxl_key_value_list`: JSON a map of strings (or null); printed when non-empty. */
export function keyValueList() {
  return leaf('libxl_key_value_list', () => v.array(v.tuple([v.string(), v.nullable(v.string())])), () => [], {
    accepts: ['map'],
    gen: (value: KeyValue[]) => new Map(value),
    parse(node, path) {
      if (!(node instanceof ParsedJsonMap)) fail(path, 'expected a JSON map');
      return node.entries.map(([key, entry]): KeyValue => [key, entry === null ? null : stringOf(entry, `${path}.${key}`)]);
    },
  });
}

/** `libxl_ms_vm_genid`: printed when not all-zero (`check_default_fn = libxl_ms_vm_genid_is_zero`). */
export function msVmGenid() {
  return leaf('libxl_ms_vm_genid', () => v.custom<MsVmGenid>((value) => MsVmGenid.is(value), 'must be an MsVmGenid'), () => MsVmGenid.zero(), {
    accepts: 'any',
    gen: (value: MsVmGenid) => value.toJson(),
    parse(node, path) {
      try {
        return MsVmGenid.fromJson(node);
      } catch (error) {
        return fail(path, error instanceof Error ? error.message : String(error));
      }
    },
  });
}

/** IDL `bool`: JSON true or false, printed when true. */
export function boolean() {
  return leaf('bool', () => v.boolean(), false, {
    accepts: ['bool'],
    gen: (value: boolean) => value,
    parse: (node, path) => {
      if (typeof node !== 'boolean') fail(path, 'expected a JSON boolean');
      return node;
    },
  });
}

/** `libxl_devid`: a JSON integer, init -1 (libxl picks the next free one). */
export const devid = () => fixedNumber('libxl_devid', 32, true, -1);

/** The all-zero MAC address (`libxl__mac_is_default`): libxl picks a random one. */
export const ZERO_MAC = '00:00:00:00:00:00';
const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** `libxl_mac`: six bytes printed as `LIBXL_MAC_FMT` (lower-case hex, colons); printed when not all zero. */
export function mac() {
  return leaf('libxl_mac', () => v.pipe(v.string(), v.regex(MAC_PATTERN, 'must be a MAC address')), ZERO_MAC, {
    accepts: ['string'],
    gen: (value: string) => value,
    parse(node, path) {
      // libxl__mac_parse_json: sscanf of six "%hhx" separated by ':'.
      const parts = stringOf(node, path).split(':');
      if (parts.length < 6 || parts.slice(0, 6).some((part) => !/^[0-9a-fA-F]{1,2}/.test(part))) fail(path, `invalid mac ${JSON.stringify(node)}`);
      return parts
        .slice(0, 6)
        .map((part) => (/^[0-9a-fA-F]{1,2}/.exec(part)![0].padStart(2, '0')).toLowerCase())
        .join(':');
    },
  });
}

/**
 * An IDL `Array` of a modelled type: a JSON array of its elements; printed when non-empty. Its
 * elements' schema is read when an element is checked (an empty array needs none).
 */
export function array<const T extends AnyIdlType>(element: T) {
  const elements = (): v.GenericSchema<unknown, IdlValue<T>[]> => v.array(v.lazy(() => element.schema));
  const type = leaf(`Array(${element.idlType})`, elements, () => [], {
    accepts: ['array'],
    gen: (value: IdlValue<T>[]) => value.map((item) => element.json.gen(item)),
    parse: (node, path) => arrayOf(node, path).map((item, index): IdlValue<T> => element.json.parse(item, `${path}[${index}]`)),
  });
  // Assigned, not spread: a spread would read (and so build) the schema.
  return Object.assign(type, { element });
}

/** A JSON value kept as it is (device arrays xl-lib does not model). */
export type OpaqueJson = JsonValue;

/** A JSON value as plain values (maps as `Map`), from libxl's parser or copied from another. */
function plainJson(node: ParsedJson | JsonValue): JsonValue {
  if (node instanceof ParsedJsonMap) {
    const map = new Map<string, JsonValue>();
    for (const [key, entry] of node.entries) if (!map.has(key)) map.set(key, plainJson(entry));
    return map;
  }
  if (Array.isArray(node)) return node.map(plainJson);
  if (node instanceof JsonDouble) return node.value;
  if (node instanceof Map || (typeof node === 'object' && node !== null)) {
    return new Map([...(node instanceof Map ? node.entries() : Object.entries(node))].map(([key, entry]) => [key, plainJson(entry)]));
  }
  return node;
}

/** An IDL `Array` of a type xl-lib does not model: its JSON elements, kept and printed as they are. */
export function opaqueArray(idlType: string) {
  const elements = (): v.GenericSchema<unknown, OpaqueJson[]> =>
    v.pipe(
      v.array(v.custom<OpaqueJson>(() => true)),
      v.transform((value) => value.map(plainJson)),
    );
  return leaf(`Array(${idlType})`, elements, () => [], {
    accepts: ['array'],
    gen: (value: OpaqueJson[]) => [...value],
    parse: (node, path) => arrayOf(node, path).map(plainJson),
  });
}

/** Structural equality of IDL values (IDs by their bytes, maps by their entries in order). */
export function idlEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (MsVmGenid.is(left)) return MsVmGenid.is(right) && left.equals(right);
  if (Array.isArray(left) || Array.isArray(right)) {
    return Array.isArray(left) && Array.isArray(right) && left.length === right.length && left.every((element, index) => idlEqual(element, right[index]));
  }
  if (left instanceof Map || right instanceof Map) {
    return left instanceof Map && right instanceof Map && idlEqual([...left], [...right]);
  }
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].every((key) => idlEqual((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]));
}

/** The default of a type (`libxl_<type>_init`): its schema's value for a missing member. */
export function defaultOf<T extends AnyIdlType>(type: T): IdlValue<T> {
  return type.make();
}

/** A deep copy (`libxl_<type>_copy`), checked against the schema. */
export function copyOf<T extends AnyIdlType>(type: T, value: IdlValue<T>): IdlValue<T> {
  return validate(type, value);
}

/** Checks a value against a type's schema: `XlError('INVAL')` listing every problem with its path. */
export function validate<T extends AnyIdlType>(type: T, value: unknown, what: string = type.idlType): IdlValue<T> {
  const result = v.safeParse(type.schema, value);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((item: { key: unknown }) => String(item.key)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new XlError('INVAL', `invalid ${what}: ${problems.join('; ')}`);
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

type Members = { readonly [name: string]: AnyIdlType };

type MemberCopy = (template: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** Defaults of a struct type made by spreading its template before its copy is compiled. */
const SPREAD_COPIES = 16;

/**
 * A struct's copy of its template, as the `_init` gentypes.py writes for each libxl type: a function
 * whose one object literal names every member, in order. V8 then builds every default of the type
 * in one shape; a spread shared by all the struct types goes through V8's generic copy, member by
 * member, which costs a NIC (63 members) thirty times as much. The names are the IDL's own, quoted
 * as JSON. Where code cannot be made from strings (`--disallow-code-generation-from-strings`), the
 * template is spread.
 */
export function compileMemberCopy(names: readonly string[]): MemberCopy {
  const spread: MemberCopy = (template) => ({ ...template });
  // (in a literal, even a quoted `__proto__` sets the prototype: such a name is spread)
  if (names.includes('__proto__')) return spread;
  const members = names.map((name) => `${JSON.stringify(name)}: template[${JSON.stringify(name)}]`);
  try {
    return new Function('template', `return { ${members.join(', ')} };`) as MemberCopy;
  } catch {
    return spread;
  }
}

/** The value of a struct: every member present, with its TypeScript (camelCase) name. */
export type StructValue<M extends Members> = { -readonly [K in keyof M]: IdlValue<M[K]> };
type StructSchema<M extends Members> = v.GenericSchema<unknown, StructValue<M>>;

/** A struct type, with its members' declarations. */
export interface StructType<M extends Members> extends IdlType<StructSchema<M>> {
  readonly members: M;
  /** The members' schemas, by TypeScript name (a keyed union's arm is made of them). */
  readonly memberSchemas: v.ObjectEntries;
}

/** A keyed union member (`KeyedUnion`): its keyvar and arms. Its JSON is read from the enclosing map. */
export interface KeyedUnionType<S extends MemberSchema> extends IdlType<S> {
  readonly keyvar: string;
  readonly arms: Readonly<Record<string, StructType<Members> | null>>;
  /** The arm of a key value outside the enumeration (no `case` matches): printed as nothing. */
  readonly unnamedArm?: string;
  /** The arm a value is in. */
  armOf(value: unknown): string;
  /** The arm's JSON from the enclosing struct's map, the default arm when none is there. */
  parseFrom(map: ParsedJsonMap, path: string): v.InferOutput<S>;
  /** `_init_<keyvar>`: the arm's members at their defaults, keyed as `arm`. */
  armDefault(arm: string): v.InferOutput<S>;
}

function isKeyedUnion(type: AnyIdlType): type is KeyedUnionType<MemberSchema> {
  return 'keyvar' in type;
}

/**
 * An IDL `Struct`. Members are printed in declaration order under their snake_case names
 * (`maxMemkb` → `max_memkb`), or the names given in `jsonKeyOverrides`.
 */
export function struct<const M extends Members>(
  idlType: string,
  members: M,
  jsonKeyOverrides: { readonly [K in keyof M]?: string } = {},
): StructType<M> {
  type Value = StructValue<M>;
  /** The members as the struct's functions use them, worked out when the type is first made or printed. */
  const layOut = () => {
    const order = Object.entries(members).map(([name, type]) => {
      const init: unknown = defaultOf(type);
      const shared = typeof init !== 'object' || init === null;
      const atDefault = shared ? (value: unknown) => value === init : (value: unknown) => idlEqual(value, init);
      return {
        name,
        type,
        key: jsonKeyOverrides[name] ?? snakeCase(name),
        // Structs and keyed unions are always printed; other members when not at their default.
        printed: (value: unknown) => type.json.aggregate || !atDefault(value),
        /** A fresh default (objects are made anew, so values never share them). */
        fresh: shared ? () => init : () => type.make(),
      };
    });
    // A copy of the shared (primitive) defaults, then a fresh object for each other member.
    const madeFresh: typeof order = [];
    const templateEntries = order.map((member): [string, unknown] => {
      const init: unknown = member.fresh();
      const isObject = typeof init === 'object' && init !== null;
      if (isObject) madeFresh.push(member);
      return [member.name, isObject ? undefined : init];
    });
    // Made in one go rather than member by member: V8 turns an object that gets more than a dozen
    // properties added by computed name into a dictionary, and copying one of those is ten times slower.
    const template: Record<string, unknown> = Object.fromEntries(templateEntries);
    // Spread for the first defaults, and the copy compiled once a type is made often: compiling it
    // costs as much as spreading a wide struct dozens of times, and most commands make each once.
    let copies = 0;
    let compiled: MemberCopy | undefined;
    const copyTemplate: MemberCopy = (from) => {
      if (compiled !== undefined) return compiled(from);
      copies += 1;
      if (copies <= SPREAD_COPIES) return { ...from };
      compiled = compileMemberCopy(order.map(({ name }) => name));
      return compiled(from);
    };
    return { order, madeFresh, template, copyTemplate };
  };
  let layout: ReturnType<typeof layOut> | undefined;
  const layoutOf = () => (layout ??= layOut());
  let memberSchemas: v.ObjectEntries | undefined;
  let schema: StructSchema<M> | undefined;
  const memberSchemasOf = (): v.ObjectEntries =>
    (memberSchemas ??= Object.fromEntries(Object.entries(members).map(([name, type]) => [name, type.schema])));
  const make = (): Value => {
    const { copyTemplate, template, madeFresh } = layoutOf();
    const value = copyTemplate(template);
    for (const { name, fresh } of madeFresh) value[name] = fresh();
    return value as Value;
  };
  return {
    idlType,
    get schema() {
      // The members' schemas check each member; the struct's value type is stated once, as `StructValue`.
      return (schema ??= v.optional(v.strictObject(memberSchemasOf()), {}) as StructSchema<M>);
    },
    members,
    get memberSchemas() {
      return memberSchemasOf();
    },
    make,
    json: {
      accepts: ['map'],
      aggregate: true,
      gen(value: Value) {
        const out = new Map<string, JsonValue>();
        for (const { name, type, key, printed } of layoutOf().order) {
          const member: unknown = value[name as keyof M];
          if (isKeyedUnion(type)) {
            const arm = type.armOf(member);
            if (arm !== type.unnamedArm) out.set(`${type.keyvar}.${arm}`, type.json.gen(member));
          }
          else if (printed(member)) out.set(key, type.json.gen(member));
        }
        return out;
      },
      parse(node, path) {
        if (!(node instanceof ParsedJsonMap)) fail(path, `expected a JSON map for ${idlType}`);
        const value: Record<string, unknown> = {};
        for (const { name, type, key, fresh } of layoutOf().order) {
          if (isKeyedUnion(type)) {
            value[name] = type.parseFrom(node, path);
            continue;
          }
          const found = node.get(key);
          const usable = found !== undefined && (type.json.accepts === 'any' || type.json.accepts.includes(jsonNodeKind(found)));
          // A member left out, or of the wrong kind, keeps its default.
          value[name] = usable ? type.json.parse(found, `${path}.${key}`) : fresh();
        }
        return value as Value;
      },
    },
  };
}

type Arms = Readonly<Record<string, StructType<Members> | null>>;

/** The value of a keyed union: `{ type: 'hvm', ...hvm members } | { type: 'pv', ... } | ...`. */
export type KeyedUnionValue<K extends string, A extends Arms> = {
  [N in keyof A & string]: { [P in K]: N } & (A[N] extends StructType<Members> ? IdlValue<A[N]> : unknown);
}[keyof A & string];

/**
 * An IDL `KeyedUnion` (`u` keyed by `type`): the value carries its key as `keyvar`; printed by the
 * enclosing struct as `"<keyvar>.<arm>": { arm members }` (`{}` for an arm with no members).
 * `unnamedArm` names the arm standing for a key value the enumeration lacks (a device whose type
 * was never set holds 0): libxl's generated switch matches no case, so nothing is printed.
 */
export function keyedUnion<const K extends string, const A extends Arms>(
  idlType: string,
  keyvar: K,
  arms: A,
  init: keyof A & string,
  unnamedArm?: keyof A & string,
): KeyedUnionType<v.GenericSchema<unknown, KeyedUnionValue<K, A>>> {
  type Value = KeyedUnionValue<K, A>;
  let schema: v.GenericSchema<unknown, Value> | undefined;
  const schemaOf = (): v.GenericSchema<unknown, Value> => {
    const armSchemas = Object.entries(arms).map(([arm, body]) => v.strictObject({ ...body?.memberSchemas, [keyvar]: v.literal(arm) }));
    // valibot cannot infer a variant over arms built from a record: the type is the IDL's, stated once here.
    return v.optional(v.variant(keyvar, armSchemas as unknown as v.VariantOptions<K>), { [keyvar]: init }) as unknown as v.GenericSchema<unknown, Value>;
  };
  const armOf = (value: unknown): string => String((value as Record<string, unknown>)[keyvar]);
  const armDefault = (arm: string): Value => {
    // The arm's fresh default takes the key after its members (no second copy of a wide arm).
    const value: Record<string, unknown> = arms[arm]?.make() ?? {};
    value[keyvar] = arm;
    return value as Value;
  };
  const parseFrom = (node: ParsedJsonMap, path: string): Value => {
    // The arm is whichever "<keyvar>.<arm>" key holds a map.
    for (const [arm, body] of Object.entries(arms)) {
      const found = node.get(`${keyvar}.${arm}`);
      if (found instanceof ParsedJsonMap) {
        // The arm's struct parser fills its members' defaults.
        return { ...(body ? body.json.parse(found, `${path}.${keyvar}.${arm}`) : {}), [keyvar]: arm } as Value;
      }
    }
    return armDefault(init);
  };
  return {
    idlType,
    keyvar,
    armDefault,
    make: () => armDefault(init),
    arms,
    unnamedArm,
    get schema() {
      return (schema ??= schemaOf());
    },
    armOf,
    parseFrom,
    json: {
      accepts: ['map'],
      aggregate: true,
      gen(value: Value) {
        const body = arms[armOf(value)];
        // The arm's struct prints only its own members, not the key.
        return body ? body.json.gen(value) : new Map();
      },
      parse(node, path) {
        if (!(node instanceof ParsedJsonMap)) fail(path, `expected a JSON map holding ${idlType}`);
        return parseFrom(node, path);
      },
    },
  };
}
