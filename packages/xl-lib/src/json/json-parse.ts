/**
 * libxl's JSON reader (`libxl__json_parse` in `tools/libs/light/libxl_json.c`, over yajl's parser):
 * the parsed tree keeps what libxl's typed parsers look at. Integers stay exact (`bigint`; libxl
 * calls those beyond `long long` JSON_NUMBER), numbers with a fraction or exponent are `JsonDouble`
 * (JSON_DOUBLE), maps keep every key in order (libxl's `libxl__json_map_get` returns the first match).
 */
import { XlError } from '../errors.ts';

/** A JSON number with a fraction or an exponent (libxl's JSON_DOUBLE). */
export class JsonDouble {
  readonly value: number;
  readonly text: string;

  constructor(value: number, text: string) {
    this.value = value;
    this.text = text;
  }
}

/** A parsed JSON node. */
export type ParsedJson = null | boolean | string | bigint | JsonDouble | ParsedJson[] | ParsedJsonMap;

/** A JSON map: its entries in document order, duplicates kept. */
export class ParsedJsonMap {
  readonly entries: [string, ParsedJson][] = [];

  /**
   * `libxl__json_map_get`: the first value under `key`. Indexed, not destructured: a struct's parse
   * looks up each of its members, and each destructured entry cost an iterator.
   */
  get(key: string): ParsedJson | undefined {
    const entries = this.entries;
    for (let index = 0; index < entries.length; index += 1) {
      const entry = entries[index]!;
      if (entry[0] === key) return entry[1];
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.entries.some(([name]) => name === key);
  }
}

/** libxl's node kinds (`libxl__json_node_type`). */
export type JsonNodeKind = 'null' | 'bool' | 'integer' | 'double' | 'number' | 'string' | 'map' | 'array';

const LONG_LONG_MIN = -(1n << 63n);
const LONG_LONG_MAX = (1n << 63n) - 1n;

/** What libxl would call `node`. */
export function jsonNodeKind(node: ParsedJson): JsonNodeKind {
  if (node === null) return 'null';
  if (typeof node === 'boolean') return 'bool';
  if (typeof node === 'string') return 'string';
  if (typeof node === 'bigint') return node < LONG_LONG_MIN || node > LONG_LONG_MAX ? 'number' : 'integer';
  if (node instanceof JsonDouble) return 'double';
  if (Array.isArray(node)) return 'array';
  return 'map';
}

class Reader {
  position = 0;
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string): never {
    throw new XlError('FAIL', `JSON parse error at offset ${this.position}: ${message}`);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const char = text.charCodeAt(this.position);
      if (char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09) this.position += 1;
      else break;
    }
  }

  value(depth: number): ParsedJson {
    if (depth > 1024) this.fail('nesting too deep');
    this.skipSpace();
    const char = this.text[this.position];
    switch (char) {
      case '{':
        return this.map(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      case undefined:
        return this.fail('unexpected end of input');
      default:
        if (char === '-' || (char >= '0' && char <= '9')) return this.number();
        return this.fail(`unexpected character ${JSON.stringify(char)}`);
    }
  }

  literal<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.position)) {
      this.position += word.length;
      return value;
    }
    return this.fail(`invalid literal`);
  }

  number(): bigint | JsonDouble {
    const match = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.position;
    const found = match.exec(this.text);
    if (!found) return this.fail('invalid number');
    this.position += found[0].length;
    if (found[1] !== undefined || found[2] !== undefined) return new JsonDouble(Number(found[0]), found[0]);
    return BigInt(found[0]);
  }

  string(): string {
    const text = this.text;
    this.position += 1;
    let out = '';
    let start = this.position;
    for (;;) {
      if (this.position >= text.length) this.fail('unterminated string');
      const code = text.charCodeAt(this.position);
      if (code === 0x22) {
        out += text.slice(start, this.position);
        this.position += 1;
        return out;
      }
      if (code < 0x20) this.fail('control character in string');
      if (code !== 0x5c) {
        this.position += 1;
        continue;
      }
      out += text.slice(start, this.position);
      const escape = text[this.position + 1];
      this.position += 2;
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(this.position, this.position + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.position += 4;
          break;
        }
        default:
          this.fail('invalid escape in string');
      }
      start = this.position;
    }
  }

  array(depth: number): ParsedJson[] {
    this.position += 1;
    const out: ParsedJson[] = [];
    this.skipSpace();
    if (this.text[this.position] === ']') {
      this.position += 1;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      const char = this.text[this.position];
      this.position += 1;
      if (char === ']') return out;
      if (char !== ',') this.fail('expected "," or "]" in array');
    }
  }

  map(depth: number): ParsedJsonMap {
    this.position += 1;
    const out = new ParsedJsonMap();
    this.skipSpace();
    if (this.text[this.position] === '}') {
      this.position += 1;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] !== '"') this.fail('expected a string key in map');
      const key = this.string();
      this.skipSpace();
      if (this.text[this.position] !== ':') this.fail('expected ":" after a map key');
      this.position += 1;
      out.entries.push([key, this.value(depth + 1)]);
      this.skipSpace();
      const char = this.text[this.position];
      this.position += 1;
      if (char === '}') return out;
      if (char !== ',') this.fail('expected "," or "}" in map');
    }
  }
}

/** Parses one JSON document; malformed text is `XlError('FAIL')` with the offset. */
export function parseLibxlJson(text: string): ParsedJson {
  const reader = new Reader(text);
  const value = reader.value(0);
  reader.skipSpace();
  if (reader.position !== text.length) reader.fail('trailing characters after the JSON value');
  return value;
}
