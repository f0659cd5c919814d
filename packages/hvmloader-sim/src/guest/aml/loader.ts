/**
 * The AML loader, as ACPICA's `acpi_ns_load_table` / `acpi_ds_load*_begin_op` build the namespace
 * from a definition block: Scope, Device, Method, Name, OperationRegion, Field, IndexField,
 * BankField, Processor, PowerResource, ThermalZone, Mutex, Event, Alias, External, and module-level
 * If/Else and other code, which it runs through the evaluator while loading.
 */
import { AML } from '../../firmware/acpi/aml-encoder.ts';
import { HvmloaderError } from '../../errors.ts';
import { AmlEvaluator, MAX_NESTING, UNINITIALIZED, type Frame } from './evaluator.ts';
import { formatNamePath, type NamePath, type NamespaceNode, type NamespaceObject } from './namespace.ts';
import { AmlReader } from './reader.ts';

/** The evaluator with a loader: what an OS's ACPI layer does with its tables. */
export class AmlInterpreter extends AmlEvaluator {
  #loadDepth = 0;

  /**
   * Loads one definition block (the AML after a DSDT/SSDT header) into the namespace. `base` is
   * the AML's offset in its table (36), `revision` the table revision (below 2: 32-bit integers).
   * Returns the problems met; loading goes on past an object it cannot place.
   */
  load(aml: Uint8Array, revision: number, base = 36): string[] {
    const problems: string[] = [];
    const integerBits = revision < 2 ? 32 : 64;
    this.#loadTermList(new AmlReader(aml, 0, base), aml.length, this.namespace.root, integerBits, problems);
    return problems;
  }

  #define(scope: NamespaceNode, name: NamePath, object: NamespaceObject, problems: string[]): NamespaceNode | undefined {
    try {
      return this.namespace.define(scope, name, object);
    } catch (error) {
      if (!HvmloaderError.is(error)) throw error;
      problems.push(error.message);
      return undefined;
    }
  }

  #loadTermList(reader: AmlReader, end: number, scope: NamespaceNode, integerBits: 32 | 64, problems: string[]): void {
    if (this.#loadDepth >= MAX_NESTING) {
      problems.push(`objects nested more than ${MAX_NESTING} deep at ${reader.where()}`);
      reader.position = end;
      return;
    }
    this.#loadDepth += 1;
    try {
      this.#loadTerms(reader, end, scope, integerBits, problems);
    } finally {
      this.#loadDepth -= 1;
    }
  }

  #loadTerms(reader: AmlReader, end: number, scope: NamespaceNode, integerBits: 32 | 64, problems: string[]): void {
    while (reader.position < end) {
      const start = reader.position;
      try {
        this.#loadTerm(reader, end, scope, integerBits, problems);
      } catch (error) {
        if (!HvmloaderError.is(error)) throw error;
        problems.push(`${error.message} (object at offset 0x${(reader.base + start).toString(16)})`);
        return;
      }
    }
  }

  #loadTerm(reader: AmlReader, end: number, scope: NamespaceNode, integerBits: 32 | 64, problems: string[]): void {
    const start = reader.position;
    const op = reader.byte();
    const container = (kind: 'device' | 'processor' | 'power-resource' | 'thermal-zone', skip: number): void => {
      const pkgEnd = reader.pkgEnd();
      const name = reader.nameString();
      reader.take(skip);
      const node = this.#define(scope, name, { kind } as NamespaceObject, problems);
      if (node) this.#loadTermList(reader, pkgEnd, node, integerBits, problems);
      reader.position = pkgEnd;
    };
    switch (op) {
      case AML.SCOPE: {
        const pkgEnd = reader.pkgEnd();
        const name = reader.nameString();
        const node = this.namespace.lookupExact(scope, name);
        if (!node) problems.push(`Scope(${formatNamePath(name)}) names nothing`);
        else this.#loadTermList(reader, pkgEnd, node, integerBits, problems);
        reader.position = pkgEnd;
        return;
      }
      case AML.NAME: {
        const name = reader.nameString();
        const frame: Frame = { reader, scope, locals: [], args: [], integerBits };
        const value = this.dataObject(frame);
        this.#define(scope, name, { kind: 'name', value }, problems);
        return;
      }
      case AML.METHOD: {
        const pkgEnd = reader.pkgEnd();
        const name = reader.nameString();
        const flags = reader.byte();
        const body = reader.bytes.subarray(reader.position, pkgEnd);
        const bodyOffset = reader.base + reader.position;
        this.#define(scope, name, { kind: 'method', args: flags & 7, serialized: (flags & 8) !== 0, body, bodyOffset, integerBits }, problems);
        reader.position = pkgEnd;
        return;
      }
      case AML.ALIAS: {
        const source = reader.nameString();
        const alias = reader.nameString();
        const target = this.namespace.resolve(scope, source);
        if (!target) problems.push(`Alias source ${formatNamePath(source)} not found`);
        else this.#define(scope, alias, { kind: 'alias', target }, problems);
        return;
      }
      case AML.EXTERNAL: {
        reader.nameString();
        reader.take(2);
        return;
      }
      case AML.IF: {
        // Module-level code: ACPICA runs it while loading.
        const pkgEnd = reader.pkgEnd();
        const frame: Frame = { reader, scope, locals: [], args: [], integerBits };
        const taken = this.toInteger(this.termArg(frame), frame) !== 0n;
        if (taken) this.#loadTermList(reader, pkgEnd, scope, integerBits, problems);
        reader.position = pkgEnd;
        if (reader.peek() === AML.ELSE && reader.position < end) {
          reader.position += 1;
          const elseEnd = reader.pkgEnd();
          if (!taken) this.#loadTermList(reader, elseEnd, scope, integerBits, problems);
          reader.position = elseEnd;
        }
        return;
      }
      case AML.EXT_PREFIX:
        break;
      default: {
        // Other module-level code (Store, CreateField...) runs as in a method.
        reader.position = start;
        const frame: Frame = { reader, scope, locals: Array(8).fill(UNINITIALIZED), args: [], integerBits };
        this.statement(frame, end);
        return;
      }
    }
    const ext = reader.byte();
    switch (ext) {
      case AML.EXT_DEVICE:
        return container('device', 0);
      case AML.EXT_PROCESSOR:
        return container('processor', 6);
      case AML.EXT_POWER_RES:
        return container('power-resource', 3);
      case AML.EXT_THERMAL_ZONE:
        return container('thermal-zone', 0);
      case AML.EXT_MUTEX: {
        const name = reader.nameString();
        reader.byte();
        this.#define(scope, name, { kind: 'mutex' }, problems);
        return;
      }
      case AML.EXT_EVENT: {
        this.#define(scope, reader.nameString(), { kind: 'event' }, problems);
        return;
      }
      case AML.EXT_OP_REGION: {
        const name = reader.nameString();
        const space = reader.byte();
        const frame: Frame = { reader, scope, locals: [], args: [], integerBits };
        const offset = this.toInteger(this.termArg(frame), frame);
        const length = this.toInteger(this.termArg(frame), frame);
        this.#define(scope, name, { kind: 'region', space, offset, length }, problems);
        return;
      }
      case AML.EXT_FIELD:
      case AML.EXT_INDEX_FIELD:
      case AML.EXT_BANK_FIELD: {
        const pkgEnd = reader.pkgEnd();
        const regionName = reader.nameString();
        let why: string | undefined;
        if (ext === AML.EXT_INDEX_FIELD) {
          reader.nameString();
          why = 'IndexField';
        } else if (ext === AML.EXT_BANK_FIELD) {
          reader.nameString();
          const frame: Frame = { reader, scope, locals: [], args: [], integerBits };
          this.termArg(frame);
          why = 'BankField';
        }
        const region = this.namespace.resolve(scope, regionName);
        if (!why && (!region || region.object.kind !== 'region')) why = `region ${formatNamePath(regionName)} not found`;
        const flags = reader.byte();
        let accessBytes = [1, 1, 2, 4, 8, 1][flags & 0x0f] ?? 1;
        let bitOffset = 0;
        while (reader.position < pkgEnd) {
          const lead = reader.peek() as number;
          if (lead === 0x00) {
            reader.position += 1;
            bitOffset += reader.fieldLength();
          } else if (lead === 0x01) {
            reader.position += 1;
            accessBytes = [1, 1, 2, 4, 8, 1][reader.byte() & 0x0f] ?? 1;
            reader.byte();
          } else if (lead === 0x03) {
            reader.take(4);
          } else if (lead === 0x02) {
            reader.position += 1;
            if (reader.peek() === AML.BUFFER) {
              reader.position += 1;
              reader.position = reader.pkgEnd();
            } else reader.nameString();
          } else {
            const segment = reader.nameSeg();
            const bits = reader.fieldLength();
            const object: NamespaceObject =
              why || !region
                ? { kind: 'unsupported-field', why: why ?? 'no region' }
                : { kind: 'field', region, bitOffset, bitLength: bits, accessBytes, updateRule: (flags >> 5) & 3 };
            this.#define(scope, { root: false, parents: 0, segments: [segment] }, object, problems);
            bitOffset += bits;
          }
        }
        reader.position = pkgEnd;
        return;
      }
      default:
        reader.position = start;
        {
          const frame: Frame = { reader, scope, locals: Array(8).fill(UNINITIALIZED), args: [], integerBits };
          this.statement(frame, end);
        }
    }
  }
}
