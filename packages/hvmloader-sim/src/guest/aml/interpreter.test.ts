import { describe, expect, it } from 'vitest';
import {
  AML,
  FIELD_ACCESS,
  REGION_SPACE,
  amlBuffer,
  amlField,
  amlIf,
  amlInteger,
  amlLEqual,
  amlMethod,
  amlName,
  amlNameRef,
  amlNotify,
  amlOperationRegion,
  amlPackage,
  amlReturn,
  amlScope,
  amlStore,
  concatBytes,
  withPkgLength,
  type AmlBytes,
} from '../../firmware/acpi/aml-encoder.ts';
import { AmlInterpreter } from './loader.ts';
import { Namespace, type AmlValue } from './namespace.ts';
import { PagedMemory } from '../../guest-memory.ts';

const op = (...bytes: number[]): AmlBytes => Uint8Array.from(bytes);
const local = (index: number): AmlBytes => op(AML.LOCAL0 + index);
const arg = (index: number): AmlBytes => op(AML.ARG0 + index);
const binary = (code: number, left: AmlBytes, right: AmlBytes, target: AmlBytes = op(0)): AmlBytes => concatBytes([op(code), left, right, target]);
const whileLoop = (predicate: AmlBytes, body: AmlBytes[]): AmlBytes => concatBytes([op(AML.WHILE), withPkgLength(concatBytes([predicate, ...body]))]);

function load(aml: AmlBytes[], memory?: PagedMemory): AmlInterpreter {
  const interpreter = new AmlInterpreter(new Namespace(), { memory });
  expect(interpreter.load(concatBytes(aml), 2)).toEqual([]);
  return interpreter;
}

function call(interpreter: AmlInterpreter, path: string[], args: AmlValue[] = []): AmlValue {
  const node = interpreter.namespace.lookupExact(interpreter.namespace.root, { root: true, parents: 0, segments: path });
  if (!node) throw new Error(`${path.join('.')} not loaded`);
  return interpreter.evaluate(node, args);
}

const int = (value: bigint): AmlValue => ({ type: 'integer', value });

describe('AmlInterpreter', () => {
  it('runs While, Increment, Add and locals: sum of 1..Arg0', () => {
    const interpreter = load([
      amlMethod('SUMN', { args: 1 }, [
        amlStore(amlInteger(0), local(0)),
        amlStore(amlInteger(0), local(1)),
        whileLoop(concatBytes([op(AML.LLESS), local(1), arg(0)]), [
          op(AML.INCREMENT, AML.LOCAL0 + 1),
          binary(AML.ADD, local(0), local(1), local(0)),
        ]),
        amlReturn(local(0)),
      ]),
    ]);
    expect(call(interpreter, ['SUMN'], [int(10n)])).toEqual(int(55n));
  });

  it('masks arithmetic to the table revision: 64 bits', () => {
    const interpreter = load([amlMethod('WRAP', {}, [amlReturn(binary(AML.SUBTRACT, amlInteger(0), amlInteger(1)))])]);
    expect(call(interpreter, ['WRAP'])).toEqual(int(0xffffffffffffffffn));
  });

  it('stores through Index into named packages and buffers, in place; SizeOf and DerefOf read them', () => {
    const interpreter = load([
      amlName('PKG', amlPackage([amlInteger(1), amlInteger(2), amlInteger(3)])),
      amlName('BUF', amlBuffer(Uint8Array.of(9, 9))),
      amlMethod('MUTA', {}, [
        amlStore(amlInteger(0x42), concatBytes([op(AML.INDEX), amlNameRef('PKG'), amlInteger(1), op(0)])),
        amlStore(amlInteger(0x1ff), concatBytes([op(AML.INDEX), amlNameRef('BUF'), amlInteger(0), op(0)])),
        amlReturn(binary(AML.ADD, concatBytes([op(AML.SIZE_OF), amlNameRef('PKG')]), concatBytes([op(AML.DEREF_OF), op(AML.INDEX), amlNameRef('PKG'), amlInteger(1), op(0)]))),
      ]),
    ]);
    expect(call(interpreter, ['MUTA'])).toEqual(int(3n + 0x42n));
    expect(call(interpreter, ['PKG_'])).toEqual({ type: 'package', elements: [int(1n), int(0x42n), int(3n)] });
    expect(call(interpreter, ['BUF_'])).toEqual({ type: 'buffer', value: Uint8Array.of(0xff, 9) });
  });

  it('reads and writes SystemMemory fields, preserving the neighbouring bits', () => {
    const memory = new PagedMemory();
    memory.write(0x1000n, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    const interpreter = load(
      [
        amlOperationRegion('REGN', REGION_SPACE.SystemMemory, amlInteger(0x1000), amlInteger(4)),
        amlField('REGN', FIELD_ACCESS.ByteAcc, [{ name: 'LOWB', bits: 4 }, { name: 'MIDL', bits: 12 }, { name: 'HIGH', bits: 16 }]),
        amlMethod('SETM', {}, [amlStore(amlInteger(0x123), amlNameRef('MIDL'))]),
      ],
      memory,
    );
    expect(call(interpreter, ['MIDL'])).toEqual(int(0xfffn));
    call(interpreter, ['SETM']);
    expect(Array.from(memory.read(0x1000n, 4))).toEqual([0x3f, 0x12, 0xff, 0xff]);
    expect(call(interpreter, ['LOWB'])).toEqual(int(0xfn));
    expect(call(interpreter, ['MIDL'])).toEqual(int(0x123n));
  });

  it('collects Notify calls with the target path', () => {
    const interpreter = load([
      amlScope('\\_SB', [concatBytes([op(AML.EXT_PREFIX, AML.EXT_DEVICE), withPkgLength(concatBytes([Uint8Array.from('DEV0', (c) => c.charCodeAt(0))]))])]),
      amlScope('\\_GPE', [amlMethod('_E02', {}, [amlNotify(amlNameRef('\\_SB.DEV0'), amlInteger(0x80))])]),
    ]);
    call(interpreter, ['_GPE', '_E02']);
    expect(interpreter.notifications).toEqual([{ path: '\\_SB.DEV0', value: 0x80 }]);
  });

  it('finds names by the upward search from a method, and calls methods with arguments', () => {
    const interpreter = load([
      amlName('TOP', amlInteger(7)),
      amlMethod('TWIC', { args: 1 }, [amlReturn(binary(AML.ADD, arg(0), arg(0)))]),
      amlScope('\\_SB', [amlMethod('USE', {}, [amlIf(amlLEqual(amlNameRef('TOP'), amlInteger(7)), [amlReturn(concatBytes([amlNameRef('TWIC'), amlNameRef('TOP')]))])])]),
    ]);
    expect(call(interpreter, ['_SB_', 'USE_'])).toEqual(int(14n));
  });

  it('runs module-level If while loading', () => {
    const interpreter = load([
      amlIf(amlLEqual(amlInteger(1), amlInteger(1)), [amlName('YES', amlInteger(1))]),
      amlIf(amlLEqual(amlInteger(1), amlInteger(2)), [amlName('NO', amlInteger(1))]),
    ]);
    expect(interpreter.namespace.root.children.has('YES_')).toBe(true);
    expect(interpreter.namespace.root.children.has('NO__')).toBe(false);
  });

  it('reports a name defined twice and a reference to nothing', () => {
    const interpreter = new AmlInterpreter(new Namespace());
    expect(interpreter.load(concatBytes([amlName('DUP', amlInteger(1)), amlName('DUP', amlInteger(2))]), 2)).toEqual(['\\DUP is defined twice']);
    expect(interpreter.load(amlMethod('BAD', {}, [amlReturn(amlNameRef('NONE'))]), 2)).toEqual([]);
    expect(() => call(interpreter, ['BAD_'])).toThrow(/NONE not found from \\BAD at offset 0x2c/);
  });
});
