/**
 * A JSON printer that reproduces yajl 2's beautified generator byte for byte, as libxl uses it
 * (`libxl_yajl_gen_alloc` turns on `yajl_gen_beautify`; yajl's `yajl_gen.c`): four-space indent,
 * `"key": value`, one element per line, an empty map or array printed as its bracket, a newline,
 * an empty line and the indented closing bracket, and a final newline once the top-level value is
 * complete. Strings are escaped as `yajl_string_encode` does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
 * `\t`, other control characters as `\u00XX` with upper-case hex; `/` and non-ASCII left as they are).
 */
import { XlError } from '../errors.ts';

/** A value to print. Maps keep their insertion order; use a `Map` where keys may look like integers. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue }
  | ReadonlyMap<string, JsonValue>;

const INDENT = '    ';

/** `yajl_string_encode` without `yajl_gen_escape_solidus`. */
export function yajlEncodeString(text: string): string {
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const char = text[index]!;
    switch (char) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += code < 0x20 ? `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
    }
  }
  return `${out}"`;
}

function entriesOf(value: object): [string, JsonValue][] {
  if (value instanceof Map) return [...(value as ReadonlyMap<string, JsonValue>).entries()];
  return Object.entries(value as { [key: string]: JsonValue });
}

function atom(value: null | boolean | number | bigint | string): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return yajlEncodeString(value);
  if (!Number.isFinite(value)) throw new XlError('INVAL', `cannot print ${value} as JSON`);
  return String(value);
}

function write(value: JsonValue, depth: number, parts: string[]): void {
  if (value === null || typeof value !== 'object') {
    parts.push(atom(value));
    return;
  }
  const inner = INDENT.repeat(depth + 1);
  const closing = INDENT.repeat(depth);
  if (Array.isArray(value)) {
    parts.push('[\n');
    (value as readonly JsonValue[]).forEach((element, index) => {
      if (index > 0) parts.push(',\n');
      parts.push(inner);
      write(element, depth + 1, parts);
    });
    parts.push('\n', closing, ']');
    return;
  }
  parts.push('{\n');
  entriesOf(value).forEach(([key, element], index) => {
    if (index > 0) parts.push(',\n');
    parts.push(inner, yajlEncodeString(key), ': ');
    write(element, depth + 1, parts);
  });
  parts.push('\n', closing, '}');
}

/**
 * The text yajl's beautified generator produces for `value`: what `yajl_gen_get_buf` returns
 * after the top-level value is complete, including yajl's final newline.
 */
export function yajlBeautify(value: JsonValue): string {
  const parts: string[] = [];
  write(value, 0, parts);
  parts.push('\n');
  return parts.join('');
}
