import fc from 'fast-check';
import { describe, it } from 'vitest';
import { amlInteger, amlPackage, amlString, encodeNameString, withPkgLength } from '../../firmware/acpi/aml-encoder.ts';
import { AmlInterpreter } from './loader.ts';
import { AmlReader } from './reader.ts';
import { Namespace, formatNamePath } from './namespace.ts';
import { hvmloaderStrtoll, parseGenerationIdValue } from '../../firmware/strtoll.ts';

const segment = fc.stringMatching(/^[A-Z_][A-Z0-9_]{3}$/);
const path = fc.record({
  prefix: fc.oneof(fc.constant(''), fc.constant('\\'), fc.integer({ min: 1, max: 3 }).map((count) => '^'.repeat(count))),
  segments: fc.array(segment, { minLength: 1, maxLength: 6 }),
});

describe('encoder and decoder agree', () => {
  it('on every PkgLength', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0x1100 }), fc.integer({ min: 0xffff0, max: 0x100100 })), (content) => {
        const encoded = withPkgLength(new Uint8Array(content));
        const reader = new AmlReader(encoded);
        return reader.pkgEnd() === encoded.length && reader.position === encoded.length - content;
      }),
      { numRuns: 100 },
    );
  });

  it('on every NameString', () => {
    fc.assert(
      fc.property(path, ({ prefix, segments }) => {
        const text = `${prefix}${segments.join('.')}`;
        const reader = new AmlReader(encodeNameString(text));
        const decoded = reader.nameString();
        return formatNamePath(decoded) === text && reader.position === reader.bytes.length;
      }),
      { numRuns: 300 },
    );
  });

  it('on integers, strings and packages evaluated by the interpreter', () => {
    const interpreter = new AmlInterpreter(new Namespace());
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), fc.stringMatching(/^[ -~]{0,40}$/), (value, text) => {
        const aml = amlPackage([amlInteger(value), amlString(text)]);
        interpreter.load(Uint8Array.of(0x08, 0x54, 0x45, 0x53, 0x54, ...aml), 2);
        const node = interpreter.namespace.root.children.get('TEST');
        const result = node ? interpreter.evaluate(node) : undefined;
        interpreter.namespace.root.children.delete('TEST');
        return (
          result?.type === 'package' &&
          result.elements[0]?.type === 'integer' &&
          result.elements[0].value === value &&
          result.elements[1]?.type === 'string' &&
          result.elements[1].value === text
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe("hvmloader's strtoll", () => {
  it('round-trips every pair libxl writes ("%"PRIu64":%"PRIu64), bit for bit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), (low, high) => {
        const parsed = parseGenerationIdValue(`${low}:${high}`);
        return parsed.low === low && parsed.high === high;
      }),
      { numRuns: 500 },
    );
  });

  it('reads any decimal digit string modulo 2^64 and stops at the first non-digit', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9][0-9]{0,40}$/), fc.stringMatching(/^[^0-9]?$/), (digits, tail) => {
        const bytes = new TextEncoder().encode(`${digits}${tail}`);
        const result = hvmloaderStrtoll(bytes);
        return result.value === BigInt.asIntN(64, BigInt(digits)) && result.end === digits.length;
      }),
      { numRuns: 300 },
    );
  });
});
