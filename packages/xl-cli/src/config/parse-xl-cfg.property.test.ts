/**
 * Properties of the xl.cfg parser on generated input: it never throws, every message has
 * libxlutil's shape, and (with libxen-dev installed) every report and value equals what the real
 * libxlutil gives for the same bytes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithReferee } from '@xen-genid/test-utils';
import { buildHarness, findXlutilReferee, renderOurs, type RefereeCase } from './__fixtures__/xlu-referee.ts';
import { getList, getLong, getString } from './getters.ts';
import { parseXlCfg, parseXlCfgByAutomaton, type ParseXlCfgResult } from './parse-xl-cfg.ts';

const SEED = Number(process.env.XL_CFG_FUZZ_SEED ?? 20141105);
const RUNS = 1500;

/** Pieces that make interesting configs: tokens, near-tokens and junk. */
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'name', 'vm.x_1', 'b', 'memory', 'ms_vm_genid') },
  { weight: 5, arbitrary: fc.constantFrom(' = ', '=', ' += ', '+=', '+ =', ' ', '\t', ';', ',', '[', ']', '[ ', ' ]') },
  { weight: 5, arbitrary: fc.constantFrom('\n', '\n', '# c\n', '#\n', '\r\n', '#') },
  { weight: 4, arbitrary: fc.constantFrom('1', '0x1f', '0x1F', '08', '-1', '1.5', '12abc', '9223372036854775808') },
  {
    weight: 4,
    arbitrary: fc.constantFrom('"x"', "'y'", '"a b"', '""', '"\\n\\t"', '"\\x41"', '"\\101"', '"\\0"', '"\\q"', "'\\''", '"unterminated', '"\\', '"#"'),
  },
  { weight: 2, arbitrary: fc.constantFrom('@', '(', ')', ':', '.', '-', 'X', '_', '\f', '\u00e9', '"', "'", '\\') },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
);

const configText = fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join(''));
const QUERIES = ['string a', 'long a', 'list a', 'string name', 'long memory', 'defbool b', 'strlist ms_vm_genid'];

/** The shape of every line libxlutil reports while parsing. */
const MESSAGE = /^(fuzz\.cfg:-?\d+: config parsing error near (`[^\n]*'|)(<newline>)?: .+|warning: .+)$/;

describe('parseXlCfg on generated input', () => {
  it(`never throws and words every message as libxlutil does (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.oneof(configText, fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1'))), (text) => {
        const result = parseXlCfg(Buffer.from(text, 'latin1'), { source: 'fuzz.cfg', encoding: 'latin1' });
        expect(result.ok).toBe(result.diagnostics.every((line) => line.severity !== 'error'));
        for (const diagnostic of result.diagnostics) expect(diagnostic.message).toMatch(MESSAGE);
        for (const name of ['a', 'name', 'memory']) {
          getString(result.config, name);
          getLong(result.config, name);
          getList(result.config, name);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

/** Well-formed configs: nested lists with newlines and comments anywhere, `+=`, every statement end. */
const wellFormed = (() => {
  const atom = fc.constantFrom('1', '0x1f', '"x"', "'y'", '""', '"a\\tb"', '"#"', "'\u00e9'");
  const gap = fc.constantFrom('', ' ', '\n', ' # c\n', '\n\n', '\t');
  const { value } = fc.letrec<{ value: string; list: string }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, atom, tie('list')),
    list: fc
      .tuple(fc.array(fc.tuple(gap, tie('value'), gap), { maxLength: 4 }), fc.boolean(), gap)
      .map(([items, trailing, after]) => `[${items.map(([before, item, behind]) => before + item + behind).join(',')}${trailing && items.length > 0 ? ',' : ''}${after}]`),
  }));
  const statement = fc
    .tuple(fc.constantFrom('a', 'b', 'name', 'vm.x_1'), fc.constantFrom(' = ', '=', ' += ', '+='), value, fc.constantFrom('\n', ';', ' # c\n', '\n\n'))
    .map(([name, op, item, end]) => `${name}${op}${item}${end}`);
  return fc.tuple(fc.array(statement, { maxLength: 8 }), fc.boolean()).map(([statements, cutEnd]) => {
    const text = statements.join('');
    return cutEnd && text.endsWith('\n') && !text.endsWith('# c\n') ? text.slice(0, -1) : text;
  });
})();

/** A result's observable parts: the settings stored (values and lines), the report, the outcome. */
const outcome = (result: ParseXlCfgResult) => ({ ok: result.ok, errno: result.errno, settings: result.config.settings, diagnostics: result.diagnostics });

describe('parseXlCfg parses error-free files directly', () => {
  it(`gives what the automaton alone gives (seed ${SEED})`, () => {
    let direct = 0;
    fc.assert(
      fc.property(fc.oneof(wellFormed, configText), fc.constantFrom<'utf8' | 'latin1'>('utf8', 'latin1'), (text, encoding) => {
        const ours = parseXlCfg(text, { source: 'fuzz.cfg', encoding });
        expect(outcome(ours)).toEqual(outcome(parseXlCfgByAutomaton(text, { source: 'fuzz.cfg', encoding })));
        if (ours.ok) direct += 1;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(direct).toBeGreaterThan(RUNS / 3);
  });

  it('leaves deep lists to the automaton, up to its stack limit', () => {
    for (const depth of [999, 1000, 1001, 1500, 2000]) {
      for (const text of [`a = ${'['.repeat(depth)}${']'.repeat(depth)}\n`, `a = [ ${'1, ['.repeat(depth)}${']'.repeat(depth)} ]`]) {
        expect(outcome(parseXlCfg(text))).toEqual(outcome(parseXlCfgByAutomaton(text)));
      }
    }
    expect(parseXlCfg(`a = [ ${'1, ['.repeat(1998)}${']'.repeat(1998)} ]`).ok).toBe(true);
    expect(parseXlCfg(`a = [ ${'1, ['.repeat(1999)}${']'.repeat(1999)} ]`).diagnostics[0]?.message).toMatch(/memory exhausted$/);
    expect(parseXlCfg(`a = ${'['.repeat(4997)}${']'.repeat(4997)}\n`).diagnostics[0]?.message).toMatch(/memory exhausted$/);
    expect(parseXlCfg(`a = ${'['.repeat(4996)}${']'.repeat(4996)}\n`).ok).toBe(true);
  });
});

describeWithReferee('parseXlCfg equals libxlutil on generated input', findXlutilReferee(), () => {
  const byteSoup = fc
    .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...'a=1 "\'\\#[],;\n+-x'.split('').map((c) => c.charCodeAt(0)))), { maxLength: 48 })
    .map((codes) => String.fromCharCode(...codes));
  const cases: RefereeCase[] = [
    ...fc.sample(configText, { seed: SEED, numRuns: RUNS }).map((text) => Buffer.from(text, 'utf8').toString('latin1')),
    ...fc.sample(byteSoup, { seed: SEED + 1, numRuns: 500 }),
  ].map((input) => ({ input, queries: QUERIES, source: 'fuzz.cfg' }));
  let expected: string[][] = [];
  let dispose = (): void => {};
  beforeAll(() => {
    const harness = buildHarness();
    dispose = harness.dispose;
    expected = harness.run(cases);
  }, 180_000); // compiles the C harness and runs 2,000 inputs through real libxlutil
  afterAll(() => dispose());

  it(`matches on ${RUNS} generated configs and 500 byte strings (seed ${SEED})`, () => {
    let compared = 0;
    for (const [index, item] of cases.entries()) {
      const theirs = expected[index]!;
      if (theirs.some((line) => line.startsWith('crash'))) continue;
      expect({ input: item.input, lines: renderOurs(item) }).toEqual({ input: item.input, lines: theirs });
      compared += 1;
    }
    expect(compared).toBeGreaterThan(cases.length * 0.9);
  });
});
