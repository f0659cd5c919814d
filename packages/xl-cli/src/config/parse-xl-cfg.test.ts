import { describe, expect, it } from 'vitest';
import { getList, getListItem, getLong, getString, LONG_MAX, strtol } from './getters.ts';
import { parseXlCfg } from './parse-xl-cfg.ts';

describe('parseXlCfg', () => {
  it('takes text as UTF-8 and gives UTF-8 back by default, bytes with latin1', () => {
    const text = 'name = "café"\nl = [ "ü" ]\n';
    const parsed = parseXlCfg(text);
    expect(getString(parsed.config, 'name')).toEqual({ ok: true, value: 'café' });
    const list = getList(parsed.config, 'l');
    expect(list.ok && getListItem(list.value, 0, parsed.config)).toBe('ü');
    const bytes = parseXlCfg(Buffer.from(text), { encoding: 'latin1' });
    expect(getString(bytes.config, 'name')).toEqual({ ok: true, value: 'caf\u00c3\u00a9' });
  });

  it('decodes strings only when the input has a byte above 0x7f, whichever form it comes in', () => {
    const name = (input: string | Uint8Array, encoding?: 'utf8' | 'latin1') => getString(parseXlCfg(input, { encoding }).config, 'name');
    expect(name(Buffer.from('name = "plain"\n'))).toEqual({ ok: true, value: 'plain' });
    expect(name(new Uint8Array(Buffer.from('x = 1\nname = "café"\n')).subarray(6))).toEqual({ ok: true, value: 'café' });
    expect(name(Buffer.from('name = "caf\xe9"\n', 'latin1'))).toEqual({ ok: true, value: 'caf\ufffd' });
    expect(name(Buffer.from('name = "caf\xe9"\n', 'latin1'), 'latin1')).toEqual({ ok: true, value: 'caf\u00e9' });
    // a lone surrogate is not ASCII: it goes to UTF-8 as EF BF BD, and comes back as U+FFFD
    expect(name('name = "\ud800"\n')).toEqual({ ok: true, value: '\ufffd' });
    expect(name('name = "\ud800"\n', 'latin1')).toEqual({ ok: true, value: '\u00ef\u00bf\u00bd' });
    expect(name('name = "\u007f"\n')).toEqual({ ok: true, value: '\u007f' });
  });

  it('ends strings at their quote, with or without backslashes, NULs and newlines about', () => {
    const cases: [text: string, settings: [string, string | string[], number][], messages: string[]][] = [
      ['a = "x\\"y"\nb = "plain"\n', [['a', 'x"y', 1], ['b', 'plain', 2]], []],
      ['a = "x\0y"\nb = \'z\'\n', [['a', 'x', 1], ['b', 'z', 2]], []],
      ['a = 1 # \0 and \\ in a comment\nb = "ok"\n', [['a', '1', 1], ['b', 'ok', 2]], []],
      ['a = "abc\nb = "d"\n', [], ["config:1: config parsing error near `\"abc': lexical error"]],
      ['a = "ab\\\ncd"\n', [], ["config:1: config parsing error near `\"ab\\': lexical error", "config:2: config parsing error near `\"': lexical error"]],
      ['a = \'it\\\'s\' ; b = "a\\\\b" ; c = "\0"\n', [['a', "it's", 1], ['b', 'a\\b', 1], ['c', '', 1]], []],
      ['a = [ "1", \'2\', "3\\t" ]\nb = "\r"\n', [['a', ['1', '2', '3\t'], 1], ['b', '\r', 2]], []],
      ['a = "unterminated', [], ["config:1: config parsing error near `\"unterminated': lexical error"]],
      ['a = "x\\q"\nb = "y"\n', [], ["config:1: config parsing error near `\"x\\q\"': invalid character after backlash in quoted string"]],
    ];
    for (const [text, settings, messages] of cases) {
      const parsed = parseXlCfg(text, { encoding: 'latin1' });
      const values = parsed.config.settings.map((setting) => [
        setting.name,
        setting.value.type === 'string' ? setting.value.bytes : setting.value.items.map((item) => (item.type === 'string' ? item.bytes : '')),
        setting.line,
      ]);
      expect({ text, values, messages: parsed.diagnostics.map((item) => item.message) }).toEqual({ text, values: settings, messages });
    }
  });

  it('names the source in messages, "config" by default', () => {
    expect(parseXlCfg('a =\n').diagnostics[0]?.message).toBe(
      "config:0: config parsing error near <newline>: syntax error, unexpected NEWLINE, expecting STRING or NUMBER or '['",
    );
    expect(parseXlCfg('a = @\n', { source: '/etc/xen/é.cfg' }).diagnostics[0]).toEqual({
      severity: 'error',
      line: 1,
      message: "/etc/xen/é.cfg:1: config parsing error near `@': lexical error",
    });
  });

  it('keeps the settings stored before the first error, and nothing after', () => {
    const parsed = parseXlCfg('a = 1\nb = @\nc = 3\n');
    expect(parsed.ok).toBe(false);
    expect(parsed.errno).toBe('EINVAL');
    expect(parsed.config.settings.map((setting) => setting.name)).toEqual(['a']);
  });

  it('copes with pathological sizes without throwing', () => {
    expect(parseXlCfg(`a = ${'['.repeat(20000)}`).diagnostics[0]?.message).toMatch(/memory exhausted$/);
    const long = parseXlCfg(`n = ${'9'.repeat(200000)}\n`);
    expect(getLong(long.config, 'n')).toMatchObject({ ok: false, errno: 'ERANGE' });
    expect(parseXlCfg('# '.repeat(50000)).ok).toBe(false);
    const items = `[ ${'1, '.repeat(300000)}]`;
    const joined = parseXlCfg(`l = ${items}\nl += ${items}\n`);
    const list = getList(joined.config, 'l');
    expect(list.ok && list.value.items.length).toBe(600000);
  });
});

describe('strtol as glibc, base 0, 64-bit', () => {
  it.each([
    ['0', 0n, 1], ['010', 8n, 3], ['08', 0n, 1], ['0x1f', 31n, 4], ['0X1F', 31n, 4], ['0x', 0n, 1], [' \t-12z', -12n, 5],
    ['+7', 7n, 2], ['', 0n, 0], ['-', 0n, 0], ['x', 0n, 0],
  ] as const)('%j', (text, value, end) => {
    expect(strtol(text)).toEqual({ value, end, overflow: false });
  });

  it('saturates and flags overflow', () => {
    expect(strtol('9223372036854775808')).toEqual({ value: LONG_MAX, end: 19, overflow: true });
    expect(strtol('-9223372036854775808').overflow).toBe(false);
  });
});
