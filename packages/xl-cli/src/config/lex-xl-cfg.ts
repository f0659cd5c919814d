/**
 * The xl.cfg lexer, with the behaviour of libxlutil's flex scanner
 * (tools/libs/util/libxlu_cfg_l.l, `%option 8bit yylineno nodefault`) and of its string
 * decoder `xlu__cfgl_dequote` (tools/libs/util/libxlu_cfg.c).
 *
 * Works on a byte string (one char per byte). Longest match wins; on a tie the earlier rule:
 *   IDENT `[a-z][._0-9a-z]*`, NUMBER `[0-9][0-9a-fx]*` (kept as text), blanks (space, tab),
 *   `,` `[` `]` `+=` `=` `;`, NEWLINE `\n` or `#` up to and including `\n`, STRING in either
 *   quote style (`\` followed by any char but newline), one of `+-.():` (the parse is then
 *   "likely Python") or any other char: a lexical error, whose text runs to the next blank or
 *   newline. A stray char that is the last byte of the input is dropped without a message.
 */

/** Grammar symbols, numbered as the parser's verbose messages order them. */
export const SYMBOL = {
  END: 0,
  ERROR: 1,
  IDENT: 3,
  STRING: 4,
  NUMBER: 5,
  NEWLINE: 6,
  ADD: 7,
  EQUALS: 8,
  SEMICOLON: 9,
  OPEN: 10,
  CLOSE: 11,
  COMMA: 12,
} as const;

/** How each terminal is named in `syntax error, unexpected X, expecting Y` messages. */
export const SYMBOL_NAMES: readonly string[] = [
  '$end', 'error', '$undefined', 'IDENT', 'STRING', 'NUMBER', 'NEWLINE', '+=', "'='", "';'", "'['", "']'", "','",
];

/** What the lexer reports through. */
export interface LexerHost {
  /** True once any error was recorded: strings are then no longer decoded (nor checked). */
  readonly failed: boolean;
  /** `xlu__cfgl_lexicalerror`: a message at the lexer's current line and text. */
  lexicalError(message: string): void;
}

const NEWLINE_CODE = 10;
const SPACE = 32;
const TAB = 9;

/** Char classes: bit 1 continues an IDENT (`[._0-9a-z]`), bit 2 continues a NUMBER (`[0-9a-fx]`). */
const IDENT_TAIL = 1;
const NUMBER_TAIL = 2;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c += 1) {
  const letter = c >= 97 && c <= 122;
  const digit = c >= 48 && c <= 57;
  if (letter || digit || c === 46 || c === 95) CLASS[c] = CLASS[c]! | IDENT_TAIL;
  if (digit || (c >= 97 && c <= 102) || c === 120) CLASS[c] = CLASS[c]! | NUMBER_TAIL;
}

/** The scanner: `next()` returns the next terminal; `text`, `value` and `line` describe it. */
export class XlCfgLexer {
  readonly input: string;
  /** flex's `yylineno`: the current line, counting the newlines consumed so far. */
  lineno = 1;
  /**
   * flex's `yytext` for the last match (at the end: any pending error text plus a NUL). Built only
   * when asked for (messages need it; parsing does not): prefix + input[start, end) + suffix.
   */
  get text(): string {
    return this.textPrefix + this.input.slice(this.textStart, this.textEnd) + this.textSuffix;
  }
  private textPrefix = '';
  private textStart = 0;
  private textEnd = 0;
  private textSuffix = '';
  /** Set by `stringEnd`: whether the string scanned holds a backslash, or a NUL. */
  private stringHasBackslash = false;
  private stringHasNul = false;
  /** The semantic value of the last IDENT, NUMBER or STRING. */
  value = '';
  /** `yylloc.first_line` of the last token returned (kept at the end of the input). */
  line = 0;
  /** Set when a lexical error started with one of `+-.():`. */
  likelyPython = false;
  private position = 0;
  /** Text of a lexical error being collected (flex's `lexerr` start condition with `yymore`). */
  private pending: string | undefined;

  /** Where the input's last newline is: a `#` after it cannot start a comment token. */
  private readonly lastNewline: number;
  /**
   * The next newline, backslash and NUL at or after the last string's start (-1: none left; 0 until
   * first looked for), each found by `indexOf` once the strings pass it: a string with none of them
   * before its closing quote needs no char-by-char look.
   */
  private nextNewline = 0;
  private nextBackslash = 0;
  private nextNul = 0;

  constructor(input: string) {
    this.input = input;
    this.lastNewline = input.lastIndexOf('\n');
  }

  private setText(prefix: string, start: number, end: number, suffix: string): void {
    this.textPrefix = prefix;
    this.textStart = start;
    this.textEnd = end;
    this.textSuffix = suffix;
  }

  next(host: LexerHost): number {
    const input = this.input;
    const length = input.length;
    for (;;) {
      const start = this.position;
      if (this.pending !== undefined) {
        if (start >= length) {
          this.setText(this.pending, length, length, '\0');
          return SYMBOL.END;
        }
        const c = input.charCodeAt(start);
        if (c === NEWLINE_CODE) {
          this.setText(this.pending, start, start + 1, '');
          this.pending = undefined;
          this.position = start + 1;
          this.lineno += 1;
          host.lexicalError('lexical error');
          this.line = this.lineno;
          return SYMBOL.NEWLINE;
        }
        let end = start + 1;
        if (c !== SPACE && c !== TAB) {
          while (end < length) {
            const d = input.charCodeAt(end);
            if (d === SPACE || d === TAB || d === NEWLINE_CODE) break;
            end += 1;
          }
        }
        this.setText(this.pending, start, end, '');
        this.pending = undefined;
        this.position = end;
        host.lexicalError('lexical error');
        continue;
      }
      if (start >= length) {
        this.setText('', length, length, '\0');
        return SYMBOL.END;
      }
      const c = input.charCodeAt(start);
      let end = start + 1;
      let symbol: number;
      if (c >= 97 && c <= 122) {
        while (end < length && (CLASS[input.charCodeAt(end)]! & IDENT_TAIL) !== 0) end += 1;
        symbol = SYMBOL.IDENT;
      } else if (c >= 48 && c <= 57) {
        while (end < length && (CLASS[input.charCodeAt(end)]! & NUMBER_TAIL) !== 0) end += 1;
        symbol = SYMBOL.NUMBER;
      } else if (c === SPACE || c === TAB) {
        this.position = end;
        continue;
      } else if (c === NEWLINE_CODE) {
        this.position = end;
        this.setText('', start, end, '');
        this.lineno += 1;
        this.line = this.lineno - 1;
        return SYMBOL.NEWLINE;
      } else if (c === 44) {
        symbol = SYMBOL.COMMA;
      } else if (c === 91) {
        symbol = SYMBOL.OPEN;
      } else if (c === 93) {
        symbol = SYMBOL.CLOSE;
      } else if (c === 61) {
        symbol = SYMBOL.EQUALS;
      } else if (c === 59) {
        symbol = SYMBOL.SEMICOLON;
      } else if (c === 43 && input.charCodeAt(end) === 61) {
        end += 1;
        symbol = SYMBOL.ADD;
      } else if (c === 35 && start < this.lastNewline) {
        end = input.indexOf('\n', end) + 1;
        this.position = end;
        this.setText('', start, end, '');
        this.lineno += 1;
        this.line = this.lineno - 1;
        return SYMBOL.NEWLINE;
      } else if ((c === 34 || c === 39) && (end = this.stringEnd(start, c)) > 0) {
        this.position = end;
        this.setText('', start, end, '');
        if (host.failed) this.value = '';
        else if (this.stringHasBackslash) this.value = dequote(this.text, host);
        else {
          const value = input.slice(start + 1, end - 1);
          this.value = this.stringHasNul ? value.slice(0, value.indexOf('\0')) : value;
        }
        this.line = this.lineno;
        return SYMBOL.STRING;
      } else {
        // + - . ( ) : (the Python-looking chars), or anything else: a lexical error starts here
        if (c === 43 || c === 45 || c === 46 || c === 40 || c === 41 || c === 58) this.likelyPython = true;
        this.pending = input[start];
        this.position = start + 1;
        continue;
      }
      this.position = end;
      this.setText('', start, end, '');
      if (symbol === SYMBOL.IDENT || symbol === SYMBOL.NUMBER) this.value = input.slice(start, end);
      this.line = this.lineno;
      return symbol;
    }
  }

  /** End (exclusive) of a complete quoted string starting at `start`, or -1 if unterminated. */
  private stringEnd(start: number, quote: number): number {
    const input = this.input;
    const from = start + 1;
    const close = input.indexOf(quote === 34 ? '"' : "'", from);
    if (close >= 0) {
      if (this.nextNewline >= 0 && this.nextNewline < from) this.nextNewline = input.indexOf('\n', from);
      if (this.nextBackslash >= 0 && this.nextBackslash < from) this.nextBackslash = input.indexOf('\\', from);
      if (this.nextNul >= 0 && this.nextNul < from) this.nextNul = input.indexOf('\0', from);
      const beforeClose = (next: number): boolean => next >= 0 && next < close;
      if (!beforeClose(this.nextNewline) && !beforeClose(this.nextBackslash)) {
        this.stringHasBackslash = false;
        this.stringHasNul = beforeClose(this.nextNul);
        return close + 1;
      }
    }
    return this.stringEndByChars(start, quote);
  }

  /** `stringEnd` char by char: a backslash takes the next char unless it is a newline. */
  private stringEndByChars(start: number, quote: number): number {
    const input = this.input;
    const length = input.length;
    let backslash = false;
    let nul = false;
    let position = start + 1;
    while (position < length) {
      const c = input.charCodeAt(position);
      if (c === quote) {
        this.stringHasBackslash = backslash;
        this.stringHasNul = nul;
        return position + 1;
      }
      if (c === NEWLINE_CODE) return -1;
      if (c === 92) {
        if (position + 1 >= length || input.charCodeAt(position + 1) === NEWLINE_CODE) return -1;
        backslash = true;
        position += 2;
      } else {
        if (c === 0) nul = true;
        position += 1;
      }
    }
    return -1;
  }
}

/** How many chars `strtoul(text, &end, 10)` consumes (0 when there is no digit). */
function strtoulDecimalLength(text: string): number {
  let position = 0;
  while (position < text.length && isCSpace(text.charCodeAt(position))) position += 1;
  if (text[position] === '+' || text[position] === '-') position += 1;
  const digits = position;
  while (position < text.length && text.charCodeAt(position) >= 48 && text.charCodeAt(position) <= 57) position += 1;
  return position > digits ? position : 0;
}

/** C `isspace` in the C locale. */
export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Up to `max` chars from `position`, stopping at a NUL, as `strncpy` into a small buffer copies. */
function cChars(text: string, position: number, max: number): string {
  const chunk = text.slice(position, position + max);
  const nul = chunk.indexOf('\0');
  return nul >= 0 ? chunk.slice(0, nul) : chunk;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"', "'": "'", '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/**
 * `xlu__cfgl_dequote`: decodes a quoted token (quotes included). Faithful to its defects: `\x`
 * always fails; `\0`-`\7` read up to three more chars as a *decimal* number, drop them and emit
 * nothing, failing when fewer than two chars were consumed. The result is cut at its first NUL,
 * as the C string it becomes.
 */
export function dequote(token: string, host: LexerHost): string {
  const last = token.length - 1;
  let result: string;
  if (token.indexOf('\\') < 0) {
    result = token.slice(1, last);
  } else {
    result = '';
    let position = 1;
    while (position < last) {
      const c = token[position++]!;
      if (c !== '\\') {
        result += c;
        continue;
      }
      const escaped = token[position++]!;
      const simple = SIMPLE_ESCAPES[escaped];
      if (simple !== undefined) {
        result += simple;
      } else if (escaped === 'x') {
        host.lexicalError('invalid digit after backslash hexnumerical character escape in quoted string');
        break;
      } else if (escaped >= '0' && escaped <= '7') {
        const consumed = strtoulDecimalLength(cChars(token, position, 3));
        if (consumed <= 1) {
          host.lexicalError('invalid digit after backslash octalnumerical character escape in quoted string');
          break;
        }
        position += consumed;
      } else {
        host.lexicalError('invalid character after backlash in quoted string');
        break;
      }
    }
  }
  const nul = result.indexOf('\0');
  return nul >= 0 ? result.slice(0, nul) : result;
}
