/**
 * AML bytes with a cursor, as ACPICA's parser walks a definition block (`acpi_ps_get_next_*`):
 * opcodes, PkgLength, NameSeg and NameString, integers. The loader and the evaluator both read
 * through it.
 */
import { AML } from '../../firmware/acpi/aml-encoder.ts';
import { HvmloaderError } from '../../errors.ts';
import type { NamePath } from './namespace.ts';

/** Stops the load or evaluation with `HvmloaderError('AML_EVALUATION')`. */
export const amlFail = (message: string): never => {
  throw new HvmloaderError('AML_EVALUATION', message);
};

/** Bytes of AML with a cursor. `base` is the offset of `bytes[0]` in its table, for messages. */
export class AmlReader {
  readonly bytes: Uint8Array;
  position: number;
  readonly base: number;

  constructor(bytes: Uint8Array, position = 0, base = 0) {
    this.bytes = bytes;
    this.position = position;
    this.base = base;
  }

  where(): string {
    return `offset 0x${(this.base + this.position).toString(16)}`;
  }

  byte(): number {
    if (this.position >= this.bytes.length) amlFail(`AML ends early at ${this.where()}`);
    return this.bytes[this.position++] as number;
  }

  peek(): number | undefined {
    return this.bytes[this.position];
  }

  take(count: number): Uint8Array {
    if (this.position + count > this.bytes.length) amlFail(`AML ends early at ${this.where()}`);
    const out = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return out;
  }

  unsigned(size: number): bigint {
    const bytes = this.take(size);
    let value = 0n;
    for (let index = size - 1; index >= 0; index -= 1) value = (value << 8n) | BigInt(bytes[index] as number);
    return value;
  }

  /** PkgLength (§20.2.4): returns the absolute end offset of the package. */
  pkgEnd(): number {
    const start = this.position;
    const lead = this.byte();
    const extra = lead >> 6;
    let length = extra === 0 ? lead & 0x3f : lead & 0x0f;
    for (let index = 0; index < extra; index += 1) length |= this.byte() << (4 + 8 * index);
    const end = start + length;
    if (length < 1 + extra || end > this.bytes.length) amlFail(`bad PkgLength ${length} at ${this.where()}`);
    return end;
  }

  /** A field element's length: a PkgLength that does not count itself. */
  fieldLength(): number {
    const lead = this.byte();
    const extra = lead >> 6;
    let length = extra === 0 ? lead & 0x3f : lead & 0x0f;
    for (let index = 0; index < extra; index += 1) length += this.byte() * 2 ** (4 + 8 * index);
    return length;
  }

  nameSeg(): string {
    const bytes = this.take(4);
    const text = String.fromCharCode(...bytes);
    if (!/^[A-Z_][A-Z0-9_]{3}$/.test(text)) amlFail(`bad NameSeg ${JSON.stringify(text)} at ${this.where()}`);
    return text;
  }

  /** True if the next byte starts a NameString. */
  atNameString(): boolean {
    const next = this.peek();
    if (next === undefined) return false;
    return (
      next === AML.ROOT_CHAR ||
      next === AML.PARENT_PREFIX ||
      next === AML.DUAL_NAME_PREFIX ||
      next === AML.MULTI_NAME_PREFIX ||
      next === 0x5f ||
      (next >= 0x41 && next <= 0x5a)
    );
  }

  nameString(): NamePath {
    let root = false;
    let parents = 0;
    if (this.peek() === AML.ROOT_CHAR) {
      root = true;
      this.position += 1;
    } else {
      while (this.peek() === AML.PARENT_PREFIX) {
        parents += 1;
        this.position += 1;
      }
    }
    const lead = this.peek();
    const segments: string[] = [];
    if (lead === 0) {
      this.position += 1;
    } else if (lead === AML.DUAL_NAME_PREFIX) {
      this.position += 1;
      segments.push(this.nameSeg(), this.nameSeg());
    } else if (lead === AML.MULTI_NAME_PREFIX) {
      this.position += 1;
      const count = this.byte();
      for (let index = 0; index < count; index += 1) segments.push(this.nameSeg());
    } else {
      segments.push(this.nameSeg());
    }
    return { root, parents, segments };
  }
}
