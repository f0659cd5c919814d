/**
 * The AML evaluator, as an OS's ACPI layer (ACPICA's `acpi_ds_*`/`acpi_ex_*`) runs a method or
 * reads an object: Name, Method calls, If/Else/While, LEqual and the other logical operators,
 * integer arithmetic, Store, Index, DerefOf, SizeOf, Return, Package/Buffer/String constants,
 * Notify, locals and arguments, and field reads and writes in SystemMemory operation regions.
 * The loader (`loader.ts`) runs module-level code through `statement` and `termArg`.
 */
import { AML } from '../../firmware/acpi/aml-encoder.ts';
import { Namespace, NamespaceNode, formatNamePath, type AmlValue, type NamePath, type NamespaceObject } from './namespace.ts';
import { GUEST_ADDRESS_LIMIT, type GuestMemory } from '@xen-genid/xc-params';
import { AmlReader, amlFail as fail } from './reader.ts';

export interface Notification {
  readonly path: string;
  readonly value: number;
}

export interface InterpreterOptions {
  /** Guest memory for SystemMemory regions; without it, field reads fail. */
  readonly memory?: GuestMemory;
  /** Upper bound on AML operations per evaluation (guards against endless loops). */
  readonly operationBudget?: number;
}

type Control = { readonly kind: 'normal' } | { readonly kind: 'return'; readonly value: AmlValue } | { readonly kind: 'break' } | { readonly kind: 'continue' };
const NORMAL: Control = { kind: 'normal' };

export interface Frame {
  /** Nodes a method created (CreateField...), removed when it returns, as ACPICA does. */
  readonly created?: NamespaceNode[];
  readonly reader: AmlReader;
  readonly scope: NamespaceNode;
  readonly locals: AmlValue[];
  readonly args: AmlValue[];
  readonly integerBits: 32 | 64;
}

type Target =
  | { readonly kind: 'none' }
  | { readonly kind: 'local'; readonly index: number }
  | { readonly kind: 'arg'; readonly index: number }
  | { readonly kind: 'node'; readonly node: NamespaceNode }
  | { readonly kind: 'element'; readonly container: AmlValue; readonly index: number };

export const UNINITIALIZED: AmlValue = { type: 'uninitialized' };
/** Deepest nesting of objects, expressions or method calls we follow (a crafted table could go deeper than the stack). */
export const MAX_NESTING = 256;
/** Largest Buffer, Package or field read we build (a corrupted size could be gigabytes). */
const MAX_OBJECT_BYTES = 1 << 20;
const MAX_PACKAGE_ELEMENTS = 65_536;
const integer = (value: bigint): AmlValue => ({ type: 'integer', value });

export class AmlEvaluator {
  readonly namespace: Namespace;
  readonly notifications: Notification[] = [];
  readonly #memory: GuestMemory | undefined;
  readonly #budget: number;
  #operations = 0;
  #depth = 0;
  #expressionDepth = 0;

  constructor(namespace: Namespace, options: InterpreterOptions = {}) {
    this.namespace = namespace;
    this.#memory = options.memory;
    this.#budget = options.operationBudget ?? 100_000;
  }

  #tick(): void {
    this.#operations += 1;
    if (this.#operations > this.#budget) fail(`AML evaluation exceeded ${this.#budget} operations`);
  }

  /**
   * Evaluates a named object as `acpi_evaluate_object` does: runs a method with `args`, reads a
   * field, or returns a Name's value.
   */
  evaluate(node: NamespaceNode, args: readonly AmlValue[] = []): AmlValue {
    this.#operations = 0;
    return this.#evaluateNode(node, args);
  }

  #evaluateNode(node: NamespaceNode, args: readonly AmlValue[]): AmlValue {
    const object = node.object;
    switch (object.kind) {
      case 'name':
        return object.value;
      case 'field':
        return this.#readField(node, object);
      case 'buffer-field':
        return readBufferField(object);
      case 'alias':
        return this.#evaluateNode(object.target, args);
      case 'method': {
        if (this.#depth > 32) fail(`method calls nested too deep at ${node.displayPath}`);
        const created: NamespaceNode[] = [];
        const frame: Frame = {
          created,
          reader: new AmlReader(object.body, 0, object.bodyOffset),
          scope: node,
          locals: Array(8).fill(UNINITIALIZED),
          args: [...args, ...Array(7).fill(UNINITIALIZED)].slice(0, 7),
          integerBits: object.integerBits,
        };
        this.#depth += 1;
        try {
          const control = this.#termList(frame, object.body.length);
          return control.kind === 'return' ? control.value : integer(0n);
        } finally {
          this.#depth -= 1;
          for (const temporary of created) temporary.parent?.children.delete(temporary.segment);
        }
      }
      case 'unsupported-field':
        return fail(`${node.displayPath} is a ${object.why} field, which this interpreter does not read`);
      default:
        return { type: 'node', node };
    }
  }

  #termList(frame: Frame, end: number): Control {
    while (frame.reader.position < end) {
      const control = this.statement(frame, end);
      if (control.kind !== 'normal') return control;
    }
    return NORMAL;
  }

  statement(frame: Frame, end: number): Control {
    this.#tick();
    const reader = frame.reader;
    const op = reader.peek();
    switch (op) {
      case AML.IF: {
        reader.position += 1;
        const pkgEnd = reader.pkgEnd();
        const taken = this.toInteger(this.termArg(frame), frame) !== 0n;
        let control: Control = NORMAL;
        if (taken) control = this.#termList(frame, pkgEnd);
        reader.position = pkgEnd;
        if (reader.position < end && reader.peek() === AML.ELSE) {
          reader.position += 1;
          const elseEnd = reader.pkgEnd();
          if (!taken) control = this.#termList(frame, elseEnd);
          reader.position = elseEnd;
        }
        if (control.kind !== 'normal') reader.position = end;
        return control;
      }
      case AML.ELSE: {
        reader.position += 1;
        reader.position = reader.pkgEnd();
        return NORMAL;
      }
      case AML.WHILE: {
        reader.position += 1;
        const pkgEnd = reader.pkgEnd();
        const predicateStart = reader.position;
        for (;;) {
          this.#tick();
          reader.position = predicateStart;
          if (this.toInteger(this.termArg(frame), frame) === 0n) break;
          const control = this.#termList(frame, pkgEnd);
          if (control.kind === 'break') break;
          if (control.kind === 'return') {
            reader.position = pkgEnd;
            return control;
          }
        }
        reader.position = pkgEnd;
        return NORMAL;
      }
      case AML.RETURN: {
        reader.position += 1;
        const value = this.termArg(frame);
        return { kind: 'return', value };
      }
      case AML.BREAK:
        reader.position += 1;
        return { kind: 'break' };
      case 0x9f:
        reader.position += 1;
        return { kind: 'continue' };
      case AML.NOOP:
        reader.position += 1;
        return NORMAL;
      case AML.NOTIFY: {
        reader.position += 1;
        const target = this.#target(frame);
        const value = this.toInteger(this.termArg(frame), frame);
        if (target.kind !== 'node') fail(`Notify on something other than a named object at ${reader.where()}`);
        else this.notifications.push({ path: target.node.displayPath, value: Number(value & 0xffn) });
        return NORMAL;
      }
      default:
        this.termArg(frame);
        return NORMAL;
    }
  }

  #mask(frame: Frame): bigint {
    return frame.integerBits === 32 ? 0xffffffffn : 0xffffffffffffffffn;
  }

  #ones(frame: Frame): AmlValue {
    return integer(this.#mask(frame));
  }

  #bool(frame: Frame, value: boolean): AmlValue {
    return value ? this.#ones(frame) : integer(0n);
  }

  /** A DataRefObject in a Name or Package: constants, packages, buffers, strings, names. */
  dataObject(frame: Frame): AmlValue {
    const reader = frame.reader;
    if (reader.atNameString()) {
      const path = reader.nameString();
      return { type: 'name', path: formatNamePath(path), scope: frame.scope };
    }
    return this.termArg(frame);
  }

  termArg(frame: Frame): AmlValue {
    this.#tick();
    if (this.#expressionDepth >= MAX_NESTING) fail(`expression nested more than ${MAX_NESTING} deep at ${frame.reader.where()}`);
    this.#expressionDepth += 1;
    try {
      return this.#termArgInner(frame);
    } finally {
      this.#expressionDepth -= 1;
    }
  }

  #termArgInner(frame: Frame): AmlValue {
    const reader = frame.reader;
    if (reader.atNameString()) return this.#nameReference(frame);
    const at = reader.where();
    const op = reader.byte();
    if (op >= AML.LOCAL0 && op <= AML.LOCAL0 + 7) return frame.locals[op - AML.LOCAL0] ?? UNINITIALIZED;
    if (op >= AML.ARG0 && op <= AML.ARG0 + 6) return frame.args[op - AML.ARG0] ?? UNINITIALIZED;
    switch (op) {
      case AML.ZERO:
        return integer(0n);
      case AML.ONE:
        return integer(1n);
      case AML.ONES:
        return this.#ones(frame);
      case AML.BYTE_PREFIX:
        return integer(reader.unsigned(1));
      case AML.WORD_PREFIX:
        return integer(reader.unsigned(2));
      case AML.DWORD_PREFIX:
        return integer(reader.unsigned(4));
      case AML.QWORD_PREFIX:
        return integer(reader.unsigned(8) & this.#mask(frame));
      case AML.STRING_PREFIX: {
        const start = reader.position;
        while (reader.byte() !== 0) {
          /* up to the NUL */
        }
        return { type: 'string', value: String.fromCharCode(...reader.bytes.subarray(start, reader.position - 1)) };
      }
      case AML.BUFFER: {
        const pkgEnd = reader.pkgEnd();
        const size = Number(this.toInteger(this.termArg(frame), frame));
        if (size > MAX_OBJECT_BYTES) fail(`Buffer of ${size} bytes at ${at} is too large`);
        const initial = reader.bytes.subarray(reader.position, pkgEnd);
        const value = new Uint8Array(Math.max(size, initial.length));
        value.set(initial);
        reader.position = pkgEnd;
        return { type: 'buffer', value };
      }
      case AML.PACKAGE:
      case AML.VAR_PACKAGE: {
        const pkgEnd = reader.pkgEnd();
        const count = op === AML.PACKAGE ? reader.byte() : Number(this.toInteger(this.termArg(frame), frame));
        if (count > MAX_PACKAGE_ELEMENTS) fail(`Package of ${count} elements at ${at} is too large`);
        const elements: AmlValue[] = [];
        while (reader.position < pkgEnd) elements.push(this.dataObject(frame));
        while (elements.length < count) elements.push(UNINITIALIZED);
        reader.position = pkgEnd;
        return { type: 'package', elements };
      }
      case AML.STORE: {
        const value = this.termArg(frame);
        const target = this.#target(frame);
        this.#store(target, value, frame);
        return value;
      }
      case AML.INDEX: {
        const container = this.#dereference(this.termArg(frame));
        const index = Number(this.toInteger(this.termArg(frame), frame));
        const target = this.#target(frame);
        const length = container.type === 'package' ? container.elements.length : container.type === 'buffer' ? container.value.length : container.type === 'string' ? container.value.length : -1;
        if (length < 0) fail(`Index on a ${container.type} at ${at}`);
        if (index < 0 || index >= length) fail(`Index ${index} beyond the ${length} elements at ${at}`);
        const reference: AmlValue = { type: 'element', container, index };
        this.#store(target, reference, frame);
        return reference;
      }
      case AML.DEREF_OF:
        return this.#dereference(this.termArg(frame));
      case AML.REF_OF: {
        const target = this.#target(frame);
        if (target.kind === 'node') return { type: 'node', node: target.node };
        if (target.kind === 'element') return { type: 'element', container: target.container, index: target.index };
        return fail(`RefOf on a local or argument is not supported at ${at}`);
      }
      case AML.SIZE_OF: {
        const value = this.#dereference(this.termArg(frame));
        if (value.type === 'package') return integer(BigInt(value.elements.length));
        if (value.type === 'buffer') return integer(BigInt(value.value.length));
        if (value.type === 'string') return integer(BigInt(value.value.length));
        return fail(`SizeOf on a ${value.type} at ${at}`);
      }
      case AML.LNOT:
        return this.#bool(frame, this.toInteger(this.termArg(frame), frame) === 0n);
      case AML.LAND:
      case AML.LOR: {
        const left = this.toInteger(this.termArg(frame), frame) !== 0n;
        const right = this.toInteger(this.termArg(frame), frame) !== 0n;
        return this.#bool(frame, op === AML.LAND ? left && right : left || right);
      }
      case AML.LEQUAL:
      case AML.LGREATER:
      case AML.LLESS: {
        const left = this.#dereference(this.termArg(frame));
        const right = this.#dereference(this.termArg(frame));
        const comparison = this.#compare(left, right, frame);
        return this.#bool(frame, op === AML.LEQUAL ? comparison === 0 : op === AML.LGREATER ? comparison > 0 : comparison < 0);
      }
      case AML.ADD:
      case AML.SUBTRACT:
      case AML.MULTIPLY:
      case AML.AND:
      case AML.NAND:
      case AML.OR:
      case AML.NOR:
      case AML.XOR:
      case AML.SHIFT_LEFT:
      case AML.SHIFT_RIGHT: {
        const left = this.toInteger(this.termArg(frame), frame);
        const right = this.toInteger(this.termArg(frame), frame);
        const mask = this.#mask(frame);
        const results: Record<number, () => bigint> = {
          [AML.ADD]: () => left + right,
          [AML.SUBTRACT]: () => left - right,
          [AML.MULTIPLY]: () => left * right,
          [AML.AND]: () => left & right,
          [AML.NAND]: () => ~(left & right),
          [AML.OR]: () => left | right,
          [AML.NOR]: () => ~(left | right),
          [AML.XOR]: () => left ^ right,
          [AML.SHIFT_LEFT]: () => (right >= 64n ? 0n : left << right),
          [AML.SHIFT_RIGHT]: () => (right >= 64n ? 0n : left >> right),
        };
        const value = integer((results[op] as () => bigint)() & mask);
        this.#store(this.#target(frame), value, frame);
        return value;
      }
      case AML.NOT: {
        const value = integer(~this.toInteger(this.termArg(frame), frame) & this.#mask(frame));
        this.#store(this.#target(frame), value, frame);
        return value;
      }
      case AML.INCREMENT:
      case AML.DECREMENT: {
        const target = this.#target(frame);
        const current = this.toInteger(this.#readTarget(target, frame), frame);
        const value = integer((current + (op === AML.INCREMENT ? 1n : -1n)) & this.#mask(frame));
        this.#store(target, value, frame);
        return value;
      }
      case AML.CREATE_BIT_FIELD:
      case AML.CREATE_BYTE_FIELD:
      case AML.CREATE_WORD_FIELD:
      case AML.CREATE_DWORD_FIELD:
      case AML.CREATE_QWORD_FIELD:
        return this.#createBufferField(frame, op, at);
      case AML.EXT_PREFIX: {
        const ext = reader.byte();
        if (ext === AML.EXT_REVISION) return integer(0x20200925n);
        if (ext === AML.EXT_CREATE_FIELD) return this.#createBufferField(frame, 0x5b13, at);
        return fail(`unsupported AML opcode 0x5b 0x${ext.toString(16)} at ${at}`);
      }
      default:
        return fail(`unsupported AML opcode 0x${op.toString(16)} at ${at}`);
    }
  }

  /** CreateBitField/ByteField/WordField/DWordField/QWordField/CreateField over a Buffer. */
  #createBufferField(frame: Frame, op: number, at: string): AmlValue {
    const source = this.#dereference(this.termArg(frame));
    if (source.type !== 'buffer') return fail(`Create*Field on a ${source.type} at ${at}`);
    const index = Number(this.toInteger(this.termArg(frame), frame));
    let bitOffset = index * 8;
    let bitLength: number;
    switch (op) {
      case AML.CREATE_BIT_FIELD:
        bitOffset = index;
        bitLength = 1;
        break;
      case AML.CREATE_BYTE_FIELD:
        bitLength = 8;
        break;
      case AML.CREATE_WORD_FIELD:
        bitLength = 16;
        break;
      case AML.CREATE_DWORD_FIELD:
        bitLength = 32;
        break;
      case AML.CREATE_QWORD_FIELD:
        bitLength = 64;
        break;
      default:
        bitOffset = index;
        bitLength = Number(this.toInteger(this.termArg(frame), frame));
    }
    const name = frame.reader.nameString();
    if (bitLength < 1 || bitOffset + bitLength > source.value.length * 8) fail(`buffer field ${formatNamePath(name)} runs past its buffer at ${at}`);
    const node = this.namespace.define(frame.scope, name, { kind: 'buffer-field', buffer: source.value, bitOffset, bitLength });
    frame.created?.push(node);
    return UNINITIALIZED;
  }

  /** A NameString in a TermArg: a method call (with its arguments) or the object's value. */
  #nameReference(frame: Frame): AmlValue {
    const reader = frame.reader;
    const at = reader.where();
    const name = reader.nameString();
    if (name.segments.length === 0) return UNINITIALIZED;
    const node = this.namespace.resolve(frame.scope, name);
    if (!node) return fail(`${formatNamePath(name)} not found from ${frame.scope.displayPath} at ${at}`);
    const target = node.object.kind === 'alias' ? node.object.target : node;
    if (target.object.kind === 'method') {
      const args: AmlValue[] = [];
      for (let index = 0; index < target.object.args; index += 1) args.push(this.termArg(frame));
      return this.#evaluateNode(target, args);
    }
    if (target.object.kind === 'name') return target.object.value;
    if (target.object.kind === 'field' || target.object.kind === 'buffer-field' || target.object.kind === 'unsupported-field') {
      return this.#evaluateNode(target, []);
    }
    return { type: 'node', node: target };
  }

  #target(frame: Frame): Target {
    const reader = frame.reader;
    const op = reader.peek();
    if (op === undefined) return fail(`AML ends early at ${reader.where()}`);
    if (op === 0) {
      reader.position += 1;
      return { kind: 'none' };
    }
    if (op >= AML.LOCAL0 && op <= AML.LOCAL0 + 7) {
      reader.position += 1;
      return { kind: 'local', index: op - AML.LOCAL0 };
    }
    if (op >= AML.ARG0 && op <= AML.ARG0 + 6) {
      reader.position += 1;
      return { kind: 'arg', index: op - AML.ARG0 };
    }
    if (reader.atNameString()) {
      const at = reader.where();
      const name = reader.nameString();
      const node = this.namespace.resolve(frame.scope, name);
      if (!node) return fail(`${formatNamePath(name)} not found from ${frame.scope.displayPath} at ${at}`);
      return { kind: 'node', node };
    }
    const value = this.termArg(frame);
    if (value.type === 'element') return { kind: 'element', container: value.container, index: value.index };
    if (value.type === 'node') return { kind: 'node', node: value.node };
    return fail(`not a target at ${reader.where()}`);
  }

  #readTarget(target: Target, frame: Frame): AmlValue {
    switch (target.kind) {
      case 'local':
        return frame.locals[target.index] ?? UNINITIALIZED;
      case 'arg':
        return frame.args[target.index] ?? UNINITIALIZED;
      case 'node':
        return this.#evaluateNode(target.node, []);
      case 'element':
        return this.#dereference({ type: 'element', container: target.container, index: target.index });
      default:
        return UNINITIALIZED;
    }
  }

  #store(target: Target, value: AmlValue, frame: Frame): void {
    switch (target.kind) {
      case 'none':
        return;
      case 'local':
        frame.locals[target.index] = value.type === 'element' ? value : copyValue(value);
        return;
      case 'arg':
        frame.args[target.index] = copyValue(value);
        return;
      case 'node': {
        const object = target.node.object;
        if (object.kind === 'name') object.value = copyValue(this.#dereference(value));
        else if (object.kind === 'field') this.#writeField(object, this.toInteger(this.#dereference(value), frame));
        else if (object.kind === 'buffer-field') writeBufferField(object, this.toInteger(this.#dereference(value), frame));
        else fail(`cannot store into ${target.node.displayPath} (${object.kind})`);
        return;
      }
      case 'element': {
        const container = target.container;
        const stored = this.#dereference(value);
        if (container.type === 'package') container.elements[target.index] = copyValue(stored);
        else if (container.type === 'buffer') container.value[target.index] = Number(this.toInteger(stored, frame) & 0xffn);
        else fail('cannot store into an element of this object');
      }
    }
  }

  #dereference(value: AmlValue): AmlValue {
    if (value.type === 'element') {
      const container = value.container;
      if (container.type === 'package') return this.#dereference(container.elements[value.index] ?? UNINITIALIZED);
      if (container.type === 'buffer') return integer(BigInt(container.value[value.index] ?? 0));
      if (container.type === 'string') return integer(BigInt(container.value.charCodeAt(value.index)));
    }
    if (value.type === 'name') {
      const node = this.namespace.resolve(value.scope, parseDisplayName(value.path));
      if (!node) fail(`package element ${value.path} not found`);
      return this.#evaluateNode(node as NamespaceNode, []);
    }
    if (value.type === 'node') {
      const object = value.node.object;
      if (object.kind === 'name' || object.kind === 'field' || object.kind === 'buffer-field') return this.#evaluateNode(value.node, []);
    }
    return value;
  }

  toInteger(raw: AmlValue, frame: Frame): bigint {
    const value = this.#dereference(raw);
    switch (value.type) {
      case 'integer':
        return value.value & this.#mask(frame);
      case 'buffer': {
        let result = 0n;
        const bytes = value.value.subarray(0, frame.integerBits / 8);
        for (let index = bytes.length - 1; index >= 0; index -= 1) result = (result << 8n) | BigInt(bytes[index] as number);
        return result;
      }
      case 'string': {
        const match = /^(?:0x)?([0-9a-fA-F]*)/.exec(value.value);
        return match && match[1] ? BigInt(`0x${match[1]}`) & this.#mask(frame) : 0n;
      }
      default:
        return fail(`expected an integer, got ${value.type}`);
    }
  }

  #compare(left: AmlValue, right: AmlValue, frame: Frame): number {
    if (left.type === 'string' && (right.type === 'string' || right.type === 'integer')) {
      const other = right.type === 'string' ? right.value : right.value.toString(16);
      return left.value === other ? 0 : left.value < other ? -1 : 1;
    }
    const a = this.toInteger(left, frame);
    const b = this.toInteger(right, frame);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  /** The guest memory a field lives in and the guest-physical address of its first byte. */
  #fieldBytes(field: Extract<NamespaceObject, { kind: 'field' }>): { memory: GuestMemory; address: bigint; length: number } {
    const region = field.region.object;
    if (region.kind !== 'region') return fail(`${field.region.displayPath} is not an operation region`);
    if (region.space !== 0) return fail(`${field.region.displayPath} is not a SystemMemory region (space ${region.space})`);
    if (!this.#memory) return fail('no guest memory to read SystemMemory regions from');
    if (BigInt(field.bitOffset + field.bitLength) > region.length * 8n) fail(`field runs past the end of ${field.region.displayPath}`);
    if (field.bitLength > MAX_OBJECT_BYTES * 8) fail(`field of ${field.bitLength} bits is too large to read`);
    const firstByte = Math.floor(field.bitOffset / 8);
    const length = Math.floor((field.bitOffset + field.bitLength - 1) / 8) - firstByte + 1;
    const address = region.offset + BigInt(firstByte);
    if (address + BigInt(length) > GUEST_ADDRESS_LIMIT) fail(`${field.region.displayPath} lies beyond guest-physical memory`);
    return { memory: this.#memory, address, length };
  }

  #readField(node: NamespaceNode, field: Extract<NamespaceObject, { kind: 'field' }>): AmlValue {
    const { memory, address, length } = this.#fieldBytes(field);
    const bytes = memory.read(address, length);
    let raw = 0n;
    for (let index = bytes.length - 1; index >= 0; index -= 1) raw = (raw << 8n) | BigInt(bytes[index] as number);
    const value = (raw >> BigInt(field.bitOffset % 8)) & ((1n << BigInt(field.bitLength)) - 1n);
    if (field.bitLength <= 64) return integer(value);
    const out = new Uint8Array(Math.ceil(field.bitLength / 8));
    for (let index = 0; index < out.length; index += 1) out[index] = Number((value >> BigInt(8 * index)) & 0xffn);
    void node;
    return { type: 'buffer', value: out };
  }

  #writeField(field: Extract<NamespaceObject, { kind: 'field' }>, value: bigint): void {
    const { memory, address, length } = this.#fieldBytes(field);
    const bytes = memory.read(address, length);
    let raw = 0n;
    for (let index = bytes.length - 1; index >= 0; index -= 1) raw = (raw << 8n) | BigInt(bytes[index] as number);
    const shift = BigInt(field.bitOffset % 8);
    const mask = ((1n << BigInt(field.bitLength)) - 1n) << shift;
    raw = (raw & ~mask) | ((value << shift) & mask);
    for (let index = 0; index < bytes.length; index += 1) bytes[index] = Number((raw >> BigInt(8 * index)) & 0xffn);
    memory.write(address, bytes);
  }
}

function readBufferField(field: Extract<NamespaceObject, { kind: 'buffer-field' }>): AmlValue {
  let value = 0n;
  for (let bit = field.bitLength - 1; bit >= 0; bit -= 1) {
    const position = field.bitOffset + bit;
    value = (value << 1n) | BigInt(((field.buffer[position >> 3] as number) >> (position & 7)) & 1);
  }
  if (field.bitLength <= 64) return integer(value);
  const out = new Uint8Array(Math.ceil(field.bitLength / 8));
  for (let index = 0; index < out.length; index += 1) out[index] = Number((value >> BigInt(8 * index)) & 0xffn);
  return { type: 'buffer', value: out };
}

function writeBufferField(field: Extract<NamespaceObject, { kind: 'buffer-field' }>, value: bigint): void {
  for (let bit = 0; bit < field.bitLength; bit += 1) {
    const position = field.bitOffset + bit;
    const mask = 1 << (position & 7);
    const byteIndex = position >> 3;
    const current = field.buffer[byteIndex] as number;
    field.buffer[byteIndex] = (value >> BigInt(bit)) & 1n ? current | mask : current & ~mask;
  }
}

function parseDisplayName(path: string): NamePath {
  let rest = path;
  let root = false;
  let parents = 0;
  if (rest.startsWith('\\')) {
    root = true;
    rest = rest.slice(1);
  }
  while (rest.startsWith('^')) {
    parents += 1;
    rest = rest.slice(1);
  }
  return { root, parents, segments: rest === '' ? [] : rest.split('.') };
}

/** Store semantics: packages and buffers are copied, not shared. */
export function copyValue(value: AmlValue): AmlValue {
  if (value.type === 'package') return { type: 'package', elements: value.elements.map(copyValue) };
  if (value.type === 'buffer') return { type: 'buffer', value: Uint8Array.from(value.value) };
  return value;
}
