/**
 * libxlutil's getters (tools/libs/util/libxlu_cfg.c, declared in tools/include/libxlutil.h):
 * they look a name up (the last setting of it wins) and return an errno-style result. Where
 * libxlutil would print a warning to its report stream, the result carries it (unless
 * `dontWarn`), worded exactly as libxlutil prints it.
 */
import { isCSpace } from './lex-xl-cfg.ts';
import { decodeValue, fromBytes, sourceBytesOf, toBytes } from './parse-xl-cfg.ts';
import type { XlCfg, XlCfgDiagnostic, XlCfgList, XlCfgSetting, XlCfgString, XlCfgValue, XluErrno } from './xl-cfg.ts';

/** A getter's outcome: the value, or libxlutil's errno and the warning it would print. */
export type XlCfgResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errno: XluErrno; readonly warning?: XlCfgDiagnostic };

/** `dont_warn`: when true, no warning is produced. */
export interface XlCfgGetOptions {
  readonly dontWarn?: boolean;
}

/** C `long` on the 64-bit hosts Xen's toolstack runs on. */
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

function fail<T>(config: XlCfg, errno: XluErrno, options: XlCfgGetOptions, line: number, text: string, column?: number): XlCfgResult<T> {
  if (options.dontWarn) return { ok: false, errno };
  const where = column === undefined ? `${line}` : `${line}:${column}`;
  const message = fromBytes(`${sourceBytesOf(config)}:${where}: warning: ${toBytes(text)}`, config.encoding);
  return { ok: false, errno, warning: { severity: 'warning', line, message } };
}

/** `find_atom`: the setting of a single value. */
function findAtom(config: XlCfg, name: string, options: XlCfgGetOptions): XlCfgResult<XlCfgSetting & { value: XlCfgString }> {
  const setting = config.find(name);
  if (!setting) return { ok: false, errno: 'ESRCH' };
  if (setting.value.type !== 'string') {
    return fail(config, 'EINVAL', options, setting.line, `parameter \`${name}' is a list but should be a single value`);
  }
  return { ok: true, value: setting as XlCfgSetting & { value: XlCfgString } };
}

/** @see xlu_cfg_get_string (and xlu_cfg_replace_string, which returns the same) */
export function getString(config: XlCfg, name: string, options: XlCfgGetOptions = {}): XlCfgResult<string> {
  const found = findAtom(config, name, options);
  if (!found.ok) return found;
  return { ok: true, value: decodeValue(config, found.value.value.bytes) };
}

/** `strtol(text, &end, 0)` on a 64-bit `long`: the value, how many chars it used, and ERANGE. */
export function strtol(text: string): { value: bigint; end: number; overflow: boolean } {
  let position = 0;
  while (position < text.length && isCSpace(text.charCodeAt(position))) position += 1;
  let negative = false;
  if (text[position] === '+' || text[position] === '-') {
    negative = text[position] === '-';
    position += 1;
  }
  let base = 10n;
  let digitsStart = position;
  if (text[position] === '0') {
    const next = text[position + 1];
    if ((next === 'x' || next === 'X') && digitValue(text.charCodeAt(position + 2)) < 16) {
      base = 16n;
      digitsStart = position + 2;
    } else {
      base = 8n;
    }
  }
  let value = 0n;
  let end = digitsStart;
  const limit = 1n << 64n; // beyond this only the overflow matters: stop growing the number
  while (end < text.length) {
    const digit = digitValue(text.charCodeAt(end));
    if (BigInt(digit) >= base) break;
    if (value < limit) value = value * base + BigInt(digit);
    end += 1;
  }
  if (end === digitsStart && base !== 8n) return { value: 0n, end: 0, overflow: false };
  if (negative) value = -value;
  if (value > LONG_MAX) return { value: LONG_MAX, end, overflow: true };
  if (value < LONG_MIN) return { value: LONG_MIN, end, overflow: true };
  return { value, end, overflow: false };
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

/** @see xlu_cfg_get_bounded_long */
export function getBoundedLong(
  config: XlCfg,
  name: string,
  min: bigint,
  max: bigint,
  options: XlCfgGetOptions = {},
): XlCfgResult<bigint> {
  const found = findAtom(config, name, options);
  if (!found.ok) return found;
  const setting = found.value;
  if (setting.op === 'add') {
    return fail(config, 'EINVAL', options, setting.line, `can't use += with numbers for parameter \`${name}'`);
  }
  const text = setting.value.bytes;
  const parsed = strtol(text);
  if (parsed.overflow) {
    return fail(config, 'ERANGE', options, setting.line, `parameter \`${name}' could not be parsed as a number: Numerical result out of range`);
  }
  if (parsed.end !== text.length || parsed.end === 0) {
    return fail(config, 'EINVAL', options, setting.line, `parameter \`${name}' is not a valid number`);
  }
  if (parsed.value < min) {
    return fail(config, 'EINVAL', options, setting.line, `value \`${parsed.value}' is smaller than minimum bound '${min}'`);
  }
  if (parsed.value > max) {
    return fail(config, 'EINVAL', options, setting.line, `value \`${parsed.value}' is greater than maximum bound '${max}'`);
  }
  return { ok: true, value: parsed.value };
}

/** @see xlu_cfg_get_long */
export function getLong(config: XlCfg, name: string, options: XlCfgGetOptions = {}): XlCfgResult<bigint> {
  return getBoundedLong(config, name, LONG_MIN, LONG_MAX, options);
}

/** @see xlu_cfg_get_defbool: a number, zero is false and anything else true. */
export function getDefbool(config: XlCfg, name: string, options: XlCfgGetOptions = {}): XlCfgResult<boolean> {
  const result = getLong(config, name, options);
  return result.ok ? { ok: true, value: result.value !== 0n } : result;
}

/** @see xlu_cfg_get_list */
export function getList(config: XlCfg, name: string, options: XlCfgGetOptions = {}): XlCfgResult<XlCfgList> {
  const setting = config.find(name);
  if (!setting) return { ok: false, errno: 'ESRCH' };
  if (setting.value.type !== 'list') {
    return fail(config, 'EINVAL', options, setting.line, `parameter \`${name}' is a single value but should be a list`);
  }
  return { ok: true, value: setting.value };
}

/** @see xlu_cfg_get_list_as_string_list: nested lists become undefined entries. */
export function getListAsStringList(config: XlCfg, name: string, options: XlCfgGetOptions = {}): XlCfgResult<(string | undefined)[]> {
  const list = getList(config, name, options);
  if (!list.ok) return list;
  return { ok: true, value: list.value.items.map((item) => (item.type === 'string' ? decodeValue(config, item.bytes) : undefined)) };
}

/**
 * @see xlu_cfg_get_listitem: the string at `index`, or undefined when out of range or a list.
 * Strings are decoded as the config says (`config.encoding`, UTF-8 when omitted).
 */
export function getListItem(list: XlCfgList, index: number, config?: XlCfg): string | undefined {
  const item = list.items[index];
  if (item?.type !== 'string') return undefined;
  return config ? decodeValue(config, item.bytes) : fromBytes(item.bytes, 'utf8');
}

/** @see xlu_cfg_get_listitem2 */
export function getListItemValue(list: XlCfgList, index: number): XlCfgValue | undefined {
  return list.items[index];
}

/** @see xlu_cfg_value_get_string; the warning has a column, always 0 as in libxlutil. */
export function valueGetString(config: XlCfg, value: XlCfgValue, options: XlCfgGetOptions = {}): XlCfgResult<string> {
  if (value.type !== 'string') return fail(config, 'EINVAL', options, value.line, 'value is not a string', 0);
  return { ok: true, value: decodeValue(config, value.bytes) };
}

/** @see xlu_cfg_value_get_list */
export function valueGetList(config: XlCfg, value: XlCfgValue, options: XlCfgGetOptions = {}): XlCfgResult<XlCfgList> {
  if (value.type !== 'list') return fail(config, 'EINVAL', options, value.line, 'value is not a list', 0);
  return { ok: true, value };
}
