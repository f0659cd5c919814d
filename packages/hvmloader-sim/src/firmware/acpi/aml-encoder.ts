/**
 * An AML encoder (ACPI 6.5 §20.2, the grammar iasl compiles ASL into), enough for the tables the
 * firmware builds: what `tools/libacpi/dsdt.asl` and `dsdt_acpi_info.asl` compile to, written as
 * TypeScript instead of ASL. Integers are encoded as iasl does (Zero, One, then the smallest of
 * Byte/Word/DWord/QWord), so the output matches iasl's byte for byte.
 */
import { HvmloaderError } from '../../errors.ts';

export type AmlBytes = Uint8Array;

/** Opcodes (ACPI 6.5 §20.3). */
export const AML = {
  ZERO: 0x00,
  ONE: 0x01,
  ALIAS: 0x06,
  NAME: 0x08,
  BYTE_PREFIX: 0x0a,
  WORD_PREFIX: 0x0b,
  DWORD_PREFIX: 0x0c,
  STRING_PREFIX: 0x0d,
  QWORD_PREFIX: 0x0e,
  SCOPE: 0x10,
  BUFFER: 0x11,
  PACKAGE: 0x12,
  VAR_PACKAGE: 0x13,
  METHOD: 0x14,
  EXTERNAL: 0x15,
  DUAL_NAME_PREFIX: 0x2e,
  MULTI_NAME_PREFIX: 0x2f,
  EXT_PREFIX: 0x5b,
  ROOT_CHAR: 0x5c,
  PARENT_PREFIX: 0x5e,
  LOCAL0: 0x60,
  ARG0: 0x68,
  STORE: 0x70,
  REF_OF: 0x71,
  ADD: 0x72,
  CONCAT: 0x73,
  SUBTRACT: 0x74,
  INCREMENT: 0x75,
  DECREMENT: 0x76,
  MULTIPLY: 0x77,
  SHIFT_LEFT: 0x79,
  SHIFT_RIGHT: 0x7a,
  AND: 0x7b,
  NAND: 0x7c,
  OR: 0x7d,
  NOR: 0x7e,
  XOR: 0x7f,
  NOT: 0x80,
  DEREF_OF: 0x83,
  NOTIFY: 0x86,
  SIZE_OF: 0x87,
  INDEX: 0x88,
  CREATE_DWORD_FIELD: 0x8a,
  CREATE_WORD_FIELD: 0x8b,
  CREATE_BYTE_FIELD: 0x8c,
  CREATE_BIT_FIELD: 0x8d,
  OBJECT_TYPE: 0x8e,
  CREATE_QWORD_FIELD: 0x8f,
  LAND: 0x90,
  LOR: 0x91,
  LNOT: 0x92,
  LEQUAL: 0x93,
  LGREATER: 0x94,
  LLESS: 0x95,
  IF: 0xa0,
  ELSE: 0xa1,
  WHILE: 0xa2,
  NOOP: 0xa3,
  RETURN: 0xa4,
  BREAK: 0xa5,
  ONES: 0xff,
  // after EXT_PREFIX
  EXT_MUTEX: 0x01,
  EXT_EVENT: 0x02,
  EXT_CREATE_FIELD: 0x13,
  EXT_REVISION: 0x30,
  EXT_OP_REGION: 0x80,
  EXT_FIELD: 0x81,
  EXT_DEVICE: 0x82,
  EXT_PROCESSOR: 0x83,
  EXT_POWER_RES: 0x84,
  EXT_THERMAL_ZONE: 0x85,
  EXT_INDEX_FIELD: 0x86,
  EXT_BANK_FIELD: 0x87,
} as const;

/** Operation region spaces (ACPI 6.5 §19.6.100). */
export const REGION_SPACE = { SystemMemory: 0, SystemIO: 1, PCI_Config: 2 } as const;

/** Field flags: AccessType in bits 0-3, LockRule bit 4, UpdateRule bits 5-6. */
export const FIELD_ACCESS = { AnyAcc: 0, ByteAcc: 1, WordAcc: 2, DWordAcc: 3, QWordAcc: 4, BufferAcc: 5 } as const;

export function concatBytes(parts: readonly AmlBytes[]): AmlBytes {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Largest value a PkgLength can hold (28 bits), including its own bytes. */
export const PKG_LENGTH_MAX = 0x0fffffff;

/**
 * PkgLength (§20.2.4) for a package whose content after the PkgLength is `contentLength` bytes.
 * The encoded value counts the PkgLength's own bytes: one byte up to 63, then 2, 3 or 4 bytes
 * holding 12, 20 or 28 bits.
 */
export function encodePkgLength(contentLength: number): AmlBytes {
  if (!Number.isInteger(contentLength) || contentLength < 0) {
    throw new HvmloaderError('AML_ENCODING', `bad AML package length ${contentLength}`);
  }
  if (contentLength + 1 <= 0x3f) return Uint8Array.of(contentLength + 1);
  for (let extra = 1; extra <= 3; extra += 1) {
    const total = contentLength + 1 + extra;
    if (total < 2 ** (4 + 8 * extra)) {
      const out = new Uint8Array(1 + extra);
      out[0] = (extra << 6) | (total & 0x0f);
      for (let index = 1; index <= extra; index += 1) out[index] = Math.floor(total / 2 ** (4 + 8 * (index - 1))) & 0xff;
      return out;
    }
  }
  throw new HvmloaderError('AML_ENCODING', `AML package of ${contentLength} bytes exceeds the 28-bit PkgLength`);
}

/** A package: its PkgLength, then its content. */
export function withPkgLength(content: AmlBytes): AmlBytes {
  return concatBytes([encodePkgLength(content.length), content]);
}

const NAME_SEG = /^[A-Z_][A-Z0-9_]{0,3}$/;

/** NameSeg (§20.2.2): up to four characters, padded with `_` as iasl pads. */
export function encodeNameSeg(name: string): AmlBytes {
  if (!NAME_SEG.test(name)) throw new HvmloaderError('AML_ENCODING', `bad AML NameSeg "${name}"`);
  const padded = name.padEnd(4, '_');
  return Uint8Array.from(padded, (character) => character.charCodeAt(0));
}

/**
 * NameString (§20.2.2) from ASL path syntax: an optional `\` or `^` prefixes, then segments joined
 * by `.`: `\_SB.PCI0`, `^^FOO`, `VGIA`. The empty path is the NullName.
 */
export function encodeNameString(path: string): AmlBytes {
  let rest = path;
  const prefix: number[] = [];
  if (rest.startsWith('\\')) {
    prefix.push(AML.ROOT_CHAR);
    rest = rest.slice(1);
  } else {
    while (rest.startsWith('^')) {
      prefix.push(AML.PARENT_PREFIX);
      rest = rest.slice(1);
    }
  }
  const segments = rest === '' ? [] : rest.split('.');
  if (segments.length > 255) throw new HvmloaderError('AML_ENCODING', `AML path "${path}" has too many segments`);
  const encoded = segments.map(encodeNameSeg);
  let namePath: AmlBytes;
  if (encoded.length === 0) namePath = Uint8Array.of(0);
  else if (encoded.length === 1) namePath = encoded[0] as AmlBytes;
  else if (encoded.length === 2) namePath = concatBytes([Uint8Array.of(AML.DUAL_NAME_PREFIX), ...encoded]);
  else namePath = concatBytes([Uint8Array.of(AML.MULTI_NAME_PREFIX, encoded.length), ...encoded]);
  return concatBytes([Uint8Array.from(prefix), namePath]);
}

/** An integer constant as iasl writes it. */
export function amlInteger(value: bigint | number): AmlBytes {
  const big = BigInt(value);
  if (big < 0n || big > 0xffffffffffffffffn) throw new HvmloaderError('AML_ENCODING', `AML integer ${big} out of range`);
  if (big === 0n) return Uint8Array.of(AML.ZERO);
  if (big === 1n) return Uint8Array.of(AML.ONE);
  const sizes: readonly [number, number][] = [
    [1, AML.BYTE_PREFIX],
    [2, AML.WORD_PREFIX],
    [4, AML.DWORD_PREFIX],
    [8, AML.QWORD_PREFIX],
  ];
  for (const [size, prefix] of sizes) {
    if (big < 1n << BigInt(8 * size)) {
      const out = new Uint8Array(1 + size);
      out[0] = prefix;
      for (let index = 0; index < size; index += 1) out[1 + index] = Number((big >> BigInt(8 * index)) & 0xffn);
      return out;
    }
  }
  throw new HvmloaderError('AML_ENCODING', `AML integer ${big} out of range`);
}

/** A String constant (ASCII, NUL-terminated). */
export function amlString(text: string): AmlBytes {
  const bytes: number[] = [AML.STRING_PREFIX];
  for (const character of text) {
    const code = character.charCodeAt(0);
    if (code < 1 || code > 0x7f) throw new HvmloaderError('AML_ENCODING', `AML strings are ASCII without NUL: ${JSON.stringify(text)}`);
    bytes.push(code);
  }
  bytes.push(0);
  return Uint8Array.from(bytes);
}

/** `EisaId("XEN0000")`: the compressed 32-bit EISA id (three letters, four hex digits). */
export function eisaId(id: string): number {
  if (!/^[A-Z@-_]{3}[0-9A-F]{4}$/.test(id)) throw new HvmloaderError('AML_ENCODING', `bad EISA id "${id}"`);
  const letter = (index: number): number => (id.charCodeAt(index) - 0x40) & 0x1f;
  const vendor = (letter(0) << 10) | (letter(1) << 5) | letter(2);
  const product = Number.parseInt(id.slice(3), 16);
  const swap16 = (value: number): number => ((value & 0xff) << 8) | ((value >> 8) & 0xff);
  return (swap16(vendor) | (swap16(product) << 16)) >>> 0;
}

/** `Package () {...}` with one DataRefObject per element. */
export function amlPackage(elements: readonly AmlBytes[]): AmlBytes {
  if (elements.length > 255) throw new HvmloaderError('AML_ENCODING', 'Package with more than 255 elements needs VarPackage');
  return concatBytes([Uint8Array.of(AML.PACKAGE), withPkgLength(concatBytes([Uint8Array.of(elements.length), ...elements]))]);
}

/** `Buffer () {...}`. */
export function amlBuffer(bytes: Uint8Array): AmlBytes {
  return concatBytes([Uint8Array.of(AML.BUFFER), withPkgLength(concatBytes([amlInteger(bytes.length), bytes]))]);
}

export function amlName(path: string, value: AmlBytes): AmlBytes {
  return concatBytes([Uint8Array.of(AML.NAME), encodeNameString(path), value]);
}

export function amlScope(path: string, body: readonly AmlBytes[]): AmlBytes {
  return concatBytes([Uint8Array.of(AML.SCOPE), withPkgLength(concatBytes([encodeNameString(path), ...body]))]);
}

export function amlDevice(path: string, body: readonly AmlBytes[]): AmlBytes {
  return concatBytes([
    Uint8Array.of(AML.EXT_PREFIX, AML.EXT_DEVICE),
    withPkgLength(concatBytes([encodeNameString(path), ...body])),
  ]);
}

export interface MethodOptions {
  readonly args?: number;
  readonly serialized?: boolean;
  readonly syncLevel?: number;
}

export function amlMethod(path: string, options: MethodOptions, body: readonly AmlBytes[]): AmlBytes {
  const args = options.args ?? 0;
  const syncLevel = options.syncLevel ?? 0;
  if (args < 0 || args > 7 || syncLevel < 0 || syncLevel > 15) throw new HvmloaderError('AML_ENCODING', 'bad Method flags');
  const flags = args | (options.serialized ? 0x08 : 0) | (syncLevel << 4);
  return concatBytes([Uint8Array.of(AML.METHOD), withPkgLength(concatBytes([encodeNameString(path), Uint8Array.of(flags), ...body]))]);
}

/** A reference to a named object (or a method call with no arguments). */
export function amlNameRef(path: string): AmlBytes {
  return encodeNameString(path);
}

export function amlIf(predicate: AmlBytes, body: readonly AmlBytes[]): AmlBytes {
  return concatBytes([Uint8Array.of(AML.IF), withPkgLength(concatBytes([predicate, ...body]))]);
}

export function amlElse(body: readonly AmlBytes[]): AmlBytes {
  return concatBytes([Uint8Array.of(AML.ELSE), withPkgLength(concatBytes(body))]);
}

export function amlLEqual(left: AmlBytes, right: AmlBytes): AmlBytes {
  return concatBytes([Uint8Array.of(AML.LEQUAL), left, right]);
}

export function amlReturn(value: AmlBytes): AmlBytes {
  return concatBytes([Uint8Array.of(AML.RETURN), value]);
}

export function amlStore(source: AmlBytes, target: AmlBytes): AmlBytes {
  return concatBytes([Uint8Array.of(AML.STORE), source, target]);
}

/** `Index(source, index)` with no target (NullName), as iasl writes it inside a Store. */
export function amlIndex(source: AmlBytes, index: AmlBytes, target: AmlBytes = Uint8Array.of(AML.ZERO)): AmlBytes {
  return concatBytes([Uint8Array.of(AML.INDEX), source, index, target]);
}

export function amlNotify(object: AmlBytes, value: AmlBytes): AmlBytes {
  return concatBytes([Uint8Array.of(AML.NOTIFY), object, value]);
}

export function amlOperationRegion(name: string, space: number, offset: AmlBytes, length: AmlBytes): AmlBytes {
  return concatBytes([Uint8Array.of(AML.EXT_PREFIX, AML.EXT_OP_REGION), encodeNameString(name), Uint8Array.of(space), offset, length]);
}

/** One entry of a Field list: a named field of `bits`, or a reserved gap (`name` undefined). */
export interface FieldEntry {
  readonly name?: string;
  readonly bits: number;
}

/** `Field (region, access, NoLock, Preserve) {...}`; `Offset(n)` is a reserved entry. */
export function amlField(region: string, flags: number, entries: readonly FieldEntry[]): AmlBytes {
  const list = entries.map((entry) =>
    concatBytes([entry.name === undefined ? Uint8Array.of(0) : encodeNameSeg(entry.name), encodeFieldLength(entry.bits)]),
  );
  return concatBytes([
    Uint8Array.of(AML.EXT_PREFIX, AML.EXT_FIELD),
    withPkgLength(concatBytes([encodeNameString(region), Uint8Array.of(flags), ...list])),
  ]);
}

/** A field's bit length is a PkgLength that does not count itself. */
function encodeFieldLength(bits: number): AmlBytes {
  if (!Number.isInteger(bits) || bits < 1) throw new HvmloaderError('AML_ENCODING', `bad field length ${bits}`);
  if (bits <= 0x3f) return Uint8Array.of(bits);
  for (let extra = 1; extra <= 3; extra += 1) {
    if (bits < 2 ** (4 + 8 * extra)) {
      const out = new Uint8Array(1 + extra);
      out[0] = (extra << 6) | (bits & 0x0f);
      for (let index = 1; index <= extra; index += 1) out[index] = Math.floor(bits / 2 ** (4 + 8 * (index - 1))) & 0xff;
      return out;
    }
  }
  throw new HvmloaderError('AML_ENCODING', `field length ${bits} exceeds 28 bits`);
}
