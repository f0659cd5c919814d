/**
 * The xl.cfg parser: libxlutil's grammar (tools/libs/util/libxlu_cfg_y.y, built by bison 3.3.2
 * as an LALR(1) parser with verbose errors) and its storing of settings
 * (`xlu__cfg_set_store`, `xlu_cfg_readdata` in tools/libs/util/libxlu_cfg.c).
 *
 *   file       : stmts | stmts assignment
 *   stmts      : (empty) | stmts stmt
 *   stmt       : assignment endstmt | endstmt | error NEWLINE
 *   assignment : IDENT '=' value | IDENT "+=" value
 *   endstmt    : NEWLINE | ';'
 *   value      : atom | '[' nlok valuelist ']'
 *   atom       : STRING | NUMBER
 *   valuelist  : (empty) | values | values ',' nlok
 *   values     : value nlok | values ',' nlok value nlok
 *   nlok       : (empty) | nlok NEWLINE
 *
 * The automaton below is written out by hand, state by state, so that what a user sees matches
 * the real parser: which token a message is reported at (states that reduce without looking
 * ahead), the "expecting" lists (only the tokens a state names explicitly), recovery through
 * `stmt: error NEWLINE` with three quiet tokens, and the 10,000-entry stack limit.
 */
import { isAscii } from 'node:buffer';
import { SYMBOL, SYMBOL_NAMES, XlCfgLexer, type LexerHost } from './lex-xl-cfg.ts';
import type {
  XlCfg,
  XlCfgDiagnostic,
  XlCfgEncoding,
  XlCfgList,
  XlCfgOperation,
  XlCfgSetting,
  XlCfgValue,
  XluErrno,
} from './xl-cfg.ts';

/** Grammar rules: what they derive, and how many symbols they pop. */
const RULE = {
  FILE: 2, FILE_WITH_LAST: 3, STMTS_EMPTY: 4, STMTS_MORE: 5, STMT_ASSIGNMENT: 6, STMT_EMPTY: 7,
  STMT_ERROR: 8, ASSIGN: 9, ADD: 10, END_NEWLINE: 11, END_SEMICOLON: 12, VALUE_ATOM: 13,
  VALUE_LIST: 14, ATOM_STRING: 15, ATOM_NUMBER: 16, VALUELIST_EMPTY: 17, VALUELIST_VALUES: 18,
  VALUELIST_TRAILING_COMMA: 19, VALUES_FIRST: 20, VALUES_MORE: 21, NLOK_EMPTY: 22, NLOK_MORE: 23,
} as const;

type Nonterminal = 'file' | 'stmts' | 'stmt' | 'assignment' | 'endstmt' | 'value' | 'atom' | 'valuelist' | 'values' | 'nlok';

const RULES: Record<number, { lhs: Nonterminal; length: number }> = {
  [RULE.FILE]: { lhs: 'file', length: 1 },
  [RULE.FILE_WITH_LAST]: { lhs: 'file', length: 2 },
  [RULE.STMTS_EMPTY]: { lhs: 'stmts', length: 0 },
  [RULE.STMTS_MORE]: { lhs: 'stmts', length: 2 },
  [RULE.STMT_ASSIGNMENT]: { lhs: 'stmt', length: 2 },
  [RULE.STMT_EMPTY]: { lhs: 'stmt', length: 1 },
  [RULE.STMT_ERROR]: { lhs: 'stmt', length: 2 },
  [RULE.ASSIGN]: { lhs: 'assignment', length: 3 },
  [RULE.ADD]: { lhs: 'assignment', length: 3 },
  [RULE.END_NEWLINE]: { lhs: 'endstmt', length: 1 },
  [RULE.END_SEMICOLON]: { lhs: 'endstmt', length: 1 },
  [RULE.VALUE_ATOM]: { lhs: 'value', length: 1 },
  [RULE.VALUE_LIST]: { lhs: 'value', length: 4 },
  [RULE.ATOM_STRING]: { lhs: 'atom', length: 1 },
  [RULE.ATOM_NUMBER]: { lhs: 'atom', length: 1 },
  [RULE.VALUELIST_EMPTY]: { lhs: 'valuelist', length: 0 },
  [RULE.VALUELIST_VALUES]: { lhs: 'valuelist', length: 1 },
  [RULE.VALUELIST_TRAILING_COMMA]: { lhs: 'valuelist', length: 3 },
  [RULE.VALUES_FIRST]: { lhs: 'values', length: 2 },
  [RULE.VALUES_MORE]: { lhs: 'values', length: 5 },
  [RULE.NLOK_EMPTY]: { lhs: 'nlok', length: 0 },
  [RULE.NLOK_MORE]: { lhs: 'nlok', length: 2 },
};

/** A state's action: shift to a state (`shift`), reduce by a rule (`reduce`), or a syntax error. */
type Action = { shift: number } | { reduce: number } | 'error';

interface StateSpec {
  /** The LR items, for readers. */
  items: string;
  /** Actions on named lookahead tokens; a state without any reduces without reading one. */
  on?: Partial<Record<number, Action>>;
  /** What any other lookahead (or no lookahead) does. */
  otherwise: Action;
}

const { END, ERROR, IDENT, STRING, NUMBER, NEWLINE, ADD, EQUALS, SEMICOLON, OPEN, CLOSE, COMMA } = SYMBOL;
const ACCEPT_STATE = 3;
const ERROR_RECOVERY_STATE = 2;
const AFTER_ERROR_STATE = 4;
const ATOM_STARTS = { [STRING]: { shift: 15 }, [NUMBER]: { shift: 16 }, [OPEN]: { shift: 17 } } as const;

const STATES: StateSpec[] = [
  /* 0 */ { items: '$accept: . file $end', otherwise: { reduce: RULE.STMTS_EMPTY } },
  /* 1 */ { items: '$accept: file . $end', on: { [END]: { shift: ACCEPT_STATE } }, otherwise: 'error' },
  /* 2 */ {
    items: 'file: stmts . | stmts . assignment; stmts: stmts . stmt',
    on: { [END]: { reduce: RULE.FILE }, [ERROR]: { shift: 4 }, [IDENT]: { shift: 5 }, [NEWLINE]: { shift: 6 }, [SEMICOLON]: { shift: 7 } },
    otherwise: 'error',
  },
  /* 3 */ { items: '$accept: file $end .', otherwise: 'error' },
  /* 4 */ { items: 'stmt: error . NEWLINE', on: { [NEWLINE]: { shift: 11 } }, otherwise: 'error' },
  /* 5 */ { items: 'assignment: IDENT . "=" value | IDENT . "+=" value', on: { [ADD]: { shift: 12 }, [EQUALS]: { shift: 13 } }, otherwise: 'error' },
  /* 6 */ { items: 'endstmt: NEWLINE .', otherwise: { reduce: RULE.END_NEWLINE } },
  /* 7 */ { items: "endstmt: ';' .", otherwise: { reduce: RULE.END_SEMICOLON } },
  /* 8 */ { items: 'stmts: stmts stmt .', otherwise: { reduce: RULE.STMTS_MORE } },
  /* 9 */ {
    items: 'file: stmts assignment . ; stmt: assignment . endstmt',
    on: { [NEWLINE]: { shift: 6 }, [SEMICOLON]: { shift: 7 } },
    otherwise: { reduce: RULE.FILE_WITH_LAST },
  },
  /* 10 */ { items: 'stmt: endstmt .', otherwise: { reduce: RULE.STMT_EMPTY } },
  /* 11 */ { items: 'stmt: error NEWLINE .', otherwise: { reduce: RULE.STMT_ERROR } },
  /* 12 */ { items: 'assignment: IDENT "+=" . value', on: ATOM_STARTS, otherwise: 'error' },
  /* 13 */ { items: 'assignment: IDENT "=" . value', on: ATOM_STARTS, otherwise: 'error' },
  /* 14 */ { items: 'stmt: assignment endstmt .', otherwise: { reduce: RULE.STMT_ASSIGNMENT } },
  /* 15 */ { items: 'atom: STRING .', otherwise: { reduce: RULE.ATOM_STRING } },
  /* 16 */ { items: 'atom: NUMBER .', otherwise: { reduce: RULE.ATOM_NUMBER } },
  /* 17 */ { items: "value: '[' . nlok valuelist ']'", otherwise: { reduce: RULE.NLOK_EMPTY } },
  /* 18 */ { items: 'assignment: IDENT "+=" value .', otherwise: { reduce: RULE.ADD } },
  /* 19 */ { items: 'value: atom .', otherwise: { reduce: RULE.VALUE_ATOM } },
  /* 20 */ { items: 'assignment: IDENT "=" value .', otherwise: { reduce: RULE.ASSIGN } },
  /* 21 */ {
    items: "value: '[' nlok . valuelist ']'; nlok: nlok . NEWLINE",
    on: { ...ATOM_STARTS, [NEWLINE]: { shift: 22 } },
    otherwise: { reduce: RULE.VALUELIST_EMPTY },
  },
  /* 22 */ { items: 'nlok: nlok NEWLINE .', otherwise: { reduce: RULE.NLOK_MORE } },
  /* 23 */ { items: 'values: value . nlok', otherwise: { reduce: RULE.NLOK_EMPTY } },
  /* 24 */ { items: "value: '[' nlok valuelist . ']'", on: { [CLOSE]: { shift: 27 } }, otherwise: 'error' },
  /* 25 */ {
    items: "valuelist: values . | values . ',' nlok; values: values . ',' nlok value nlok",
    on: { [COMMA]: { shift: 28 } },
    otherwise: { reduce: RULE.VALUELIST_VALUES },
  },
  /* 26 */ { items: 'values: value nlok . ; nlok: nlok . NEWLINE', on: { [NEWLINE]: { shift: 22 } }, otherwise: { reduce: RULE.VALUES_FIRST } },
  /* 27 */ { items: "value: '[' nlok valuelist ']' .", otherwise: { reduce: RULE.VALUE_LIST } },
  /* 28 */ { items: "valuelist: values ',' . nlok; values: values ',' . nlok value nlok", otherwise: { reduce: RULE.NLOK_EMPTY } },
  /* 29 */ {
    items: "valuelist: values ',' nlok . ; values: values ',' nlok . value nlok; nlok: nlok . NEWLINE",
    on: { ...ATOM_STARTS, [NEWLINE]: { shift: 22 } },
    otherwise: { reduce: RULE.VALUELIST_TRAILING_COMMA },
  },
  /* 30 */ { items: "values: values ',' nlok value . nlok", otherwise: { reduce: RULE.NLOK_EMPTY } },
  /* 31 */ {
    items: "values: values ',' nlok value nlok . ; nlok: nlok . NEWLINE",
    on: { [NEWLINE]: { shift: 22 } },
    otherwise: { reduce: RULE.VALUES_MORE },
  },
];

/** Where each nonterminal leads, by the state it is reduced back to. */
const GOTO: Record<Nonterminal, Record<number, number>> = {
  file: { 0: 1 },
  stmts: { 0: 2 },
  stmt: { 2: 8 },
  assignment: { 2: 9 },
  endstmt: { 2: 10, 9: 14 },
  value: { 12: 18, 13: 20, 21: 23, 29: 30 },
  atom: { 12: 19, 13: 19, 21: 19, 29: 19 },
  valuelist: { 21: 24 },
  values: { 21: 25 },
  nlok: { 17: 21, 23: 26, 28: 29, 30: 31 },
};

/** bison's YYMAXDEPTH: the parser gives up ("memory exhausted") when its stack reaches this. */
const MAX_STACK_DEPTH = 10000;
const SYMBOL_COUNT = SYMBOL_NAMES.length;

// Flattened tables for the driver: action codes > 0 shift, < 0 reduce, 0 is an error.
const encode = (action: Action): number => (action === 'error' ? 0 : 'shift' in action ? action.shift : -action.reduce);
const READS_LOOKAHEAD = STATES.map((state) => state.on !== undefined);
const ACTIONS = new Int8Array(STATES.length * SYMBOL_COUNT);
const EXPECTED: string[][] = [];
STATES.forEach((state, index) => {
  ACTIONS.fill(encode(state.otherwise), index * SYMBOL_COUNT, (index + 1) * SYMBOL_COUNT);
  const expected: string[] = [];
  for (let symbol = 0; symbol < SYMBOL_COUNT; symbol += 1) {
    const action = state.on?.[symbol];
    if (action === undefined) continue;
    ACTIONS[index * SYMBOL_COUNT + symbol] = encode(action);
    if (symbol !== ERROR) expected.push(SYMBOL_NAMES[symbol]!);
  }
  EXPECTED.push(expected);
});

/** bison's verbose message: at most four expected tokens are listed, else none. */
function syntaxErrorMessage(state: number, token: number): string {
  const expected = EXPECTED[state]!;
  const unexpected = `syntax error, unexpected ${SYMBOL_NAMES[token]}`;
  if (expected.length === 0 || expected.length > 4) return unexpected;
  return `${unexpected}, expecting ${expected.join(' or ')}`;
}

/** Options of `parseXlCfg`. */
export interface ParseXlCfgOptions {
  /** The name messages start with (`config_source`); xl passes the config file path. Default `config`. */
  readonly source?: string;
  /** How strings are decoded; default `utf8`. */
  readonly encoding?: XlCfgEncoding;
}

/** The result of `parseXlCfg`. */
export interface ParseXlCfgResult {
  /** True when libxlutil's `xlu_cfg_readdata` would return 0. */
  readonly ok: boolean;
  /** The errno `xlu_cfg_readdata` returns when it fails (always EINVAL for bad input). */
  readonly errno?: XluErrno;
  /** The settings stored; after an error, only those completed before it (as in libxlutil). */
  readonly config: XlCfg;
  /** Every line libxlutil writes to its report stream while parsing, in order. */
  readonly diagnostics: readonly XlCfgDiagnostic[];
}

interface MutableString {
  type: 'string';
  bytes: string;
  line: number;
}

class Config implements XlCfg {
  readonly settings: XlCfgSetting[] = [];
  private readonly index = new Map<string, XlCfgSetting>();
  readonly source: string;
  readonly encoding: XlCfgEncoding;
  /** The source as bytes, for messages. */
  readonly sourceBytes: string;
  /** True when the input has no byte above 0x7f: its strings need no decoding. */
  readonly ascii: boolean;

  constructor(source: string, encoding: XlCfgEncoding, ascii: boolean) {
    this.source = source;
    this.encoding = encoding;
    this.sourceBytes = toBytes(source);
    this.ascii = ascii;
  }

  /** How many settings `index` covers: it is brought up to date on lookup, not on store. */
  private indexed = 0;

  find(name: string): XlCfgSetting | undefined {
    const settings = this.settings;
    for (; this.indexed < settings.length; this.indexed += 1) {
      const setting = settings[this.indexed]!;
      this.index.set(setting.name, setting);
    }
    return this.index.get(name);
  }

  store(setting: XlCfgSetting): void {
    this.settings.push(setting);
  }
}

/** Internal: the source name as bytes, used by the getters' warnings. */
export function sourceBytesOf(config: XlCfg): string {
  return config instanceof Config ? config.sourceBytes : toBytes(config.source);
}

/**
 * True when every char of `text` is ASCII: only then is its UTF-8 as long as it is (any other char,
 * a lone surrogate too, takes more than one byte per UTF-16 unit). Works on byte strings as well.
 */
function isAsciiText(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === text.length;
}

/** A JavaScript string as a byte string (UTF-8 encoded, one char per byte). */
export function toBytes(text: string): string {
  return isAsciiText(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/** A string of a parsed config's settings, decoded as the config says. */
export function decodeValue(config: XlCfg, bytes: string): string {
  return config instanceof Config && config.ascii ? bytes : fromBytes(bytes, config.encoding);
}

/** A byte string decoded for the caller. */
export function fromBytes(bytes: string, encoding: XlCfgEncoding): string {
  return encoding === 'latin1' || isAsciiText(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8');
}

/** The input as a byte string, and whether it is all ASCII (its strings then need no decoding). */
function inputBytes(input: string | Uint8Array): { bytes: string; ascii: boolean } {
  if (typeof input === 'string') {
    const ascii = isAsciiText(input);
    return { bytes: ascii ? input : Buffer.from(input, 'utf8').toString('latin1'), ascii };
  }
  const buffer = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return { bytes: buffer.toString('latin1'), ascii: isAscii(buffer) };
}

class ParseContext implements LexerHost {
  errno: XluErrno | undefined;
  readonly diagnostics: XlCfgDiagnostic[] = [];
  /** Messages at or before this line are suppressed (`lexerrlineno`). */
  private lexicalErrorLine = -1;

  readonly lexer: XlCfgLexer;
  readonly config: Config;

  constructor(lexer: XlCfgLexer, config: Config) {
    this.lexer = lexer;
    this.config = config;
  }

  get failed(): boolean {
    return this.errno !== undefined;
  }

  /** `xlu__cfg_yyerror`: a message "near" the lexer's current text. */
  report(firstLine: number, message: string): void {
    if (firstLine <= this.lexicalErrorLine) return;
    const text = this.lexer.text;
    let length = text.length;
    let line = firstLine;
    let newline = '';
    if (length > 0 && text[length - 1] === '\n') {
      length -= 1;
      line -= 1;
      if (length === 0) newline = '<newline>';
    }
    while (length > 0 && (text[length - 1] === ' ' || text[length - 1] === '\t')) length -= 1;
    let shown = text.slice(0, length);
    const nul = shown.indexOf('\0');
    if (nul >= 0) shown = shown.slice(0, nul);
    const near = length > 0 ? `\`${shown}'` : '';
    const bytes = `${this.config.sourceBytes}:${line}: config parsing error near ${near}${newline}: ${message}`;
    this.diagnostics.push({ severity: 'error', line, message: fromBytes(bytes, this.config.encoding) });
    this.errno ??= 'EINVAL';
  }

  lexicalError(message: string): void {
    const line = this.lexer.lineno;
    this.report(line, message);
    this.lexicalErrorLine = line;
    this.errno ??= 'EINVAL';
  }

  /** `xlu__cfg_set_store`, with `+=` joining onto the setting a lookup finds. */
  store(name: string, op: XlCfgOperation, value: XlCfgValue, line: number): void {
    if (this.errno !== undefined) return;
    if (op === 'add') {
      const previous = this.config.find(name);
      if (previous) {
        const before = previous.value;
        if (before.type !== value.type) {
          this.lexicalError('can\'t add [list] to "string" or vice versa');
          return;
        }
        if (value.type === 'string') {
          (value as MutableString).bytes = (before as MutableString).bytes + value.bytes;
        } else {
          // the earlier list's items move to the front of the new one (and leave the old one empty)
          const moved = (before as XlCfgList).items.splice(0);
          (value as { items: XlCfgValue[] }).items = moved.concat(value.items);
        }
      }
    }
    this.config.store({ name, value, op, line });
  }
}

/**
 * Parses xl.cfg text as libxlutil's `xlu_cfg_readdata` does. Input is the file's bytes (or text,
 * taken as UTF-8). Never throws on bad input: problems come back as diagnostics, worded exactly
 * as libxlutil's report.
 * @see xlu_cfg_readdata (tools/libs/util/libxlu_cfg.c)
 */
export function parseXlCfg(input: string | Uint8Array, options: ParseXlCfgOptions = {}): ParseXlCfgResult {
  return parseInput(input, options, true);
}

/** Internal, for tests: `parseXlCfg` by the automaton alone, without trying `ErrorFreeParse` first. */
export function parseXlCfgByAutomaton(input: string | Uint8Array, options: ParseXlCfgOptions = {}): ParseXlCfgResult {
  return parseInput(input, options, false);
}

function parseInput(input: string | Uint8Array, options: ParseXlCfgOptions, direct: boolean): ParseXlCfgResult {
  const source = options.source ?? 'config';
  const encoding = options.encoding ?? 'utf8';
  const { bytes, ascii } = inputBytes(input);
  const start = (): ParseContext => new ParseContext(new XlCfgLexer(bytes), new Config(source, encoding, ascii));
  let context = start();
  if (!direct || !new ErrorFreeParse(context).run()) {
    context = start();
    runAutomaton(context);
  }
  if (context.errno !== undefined && context.lexer.likelyPython) {
    for (const message of [
      'warning: Config file looks like it contains Python code.',
      'warning:  Arbitrary Python is no longer supported.',
      'warning:  See https://wiki.xen.org/wiki/PythonInXlConfig',
    ]) {
      context.diagnostics.push({ severity: 'warning', message });
    }
  }
  const errno = context.errno;
  return errno === undefined
    ? { ok: true, config: context.config, diagnostics: context.diagnostics }
    : { ok: false, errno, config: context.config, diagnostics: context.diagnostics };
}

/**
 * How deep `ErrorFreeParse` follows nested lists: bison's stack holds at most seven entries a
 * level, so up to here it stays well below MAX_STACK_DEPTH. Deeper lists are left to the automaton.
 */
const MAX_DIRECT_NESTING = 1000;

/**
 * The parse of a file without errors, by recursive descent over the grammar: it stores the same
 * settings, with the same values and lines, as the automaton's semantic actions (`reduce`), in far
 * fewer steps. It gives up (`run` returns false) at anything else: a token the grammar does not
 * allow where it is, a lexical error, a `+=` that libxlutil refuses, lists nested deeper than
 * MAX_DIRECT_NESTING. The automaton then parses the file again from its start, and reports and
 * recovers as bison does.
 */
class ErrorFreeParse {
  private readonly context: ParseContext;
  private readonly lexer: XlCfgLexer;
  /** The lookahead token. */
  private token: number;
  /** The line the automaton keeps for the value read last: its atom's, or its `[`'s. */
  private valueLine = 0;
  /**
   * The items of the lists being read, the innermost's last (the first `itemCount` entries): at its
   * `]` a list copies its own out, into an array of their number (one grown by push would keep room
   * for more, for the collector to copy). Never shortened, so V8 never shrinks and regrows it.
   */
  private readonly items: XlCfgValue[] = [];
  private itemCount = 0;

  constructor(context: ParseContext) {
    this.context = context;
    this.lexer = context.lexer;
    this.token = this.lexer.next(context);
  }

  private advance(): void {
    this.token = this.lexer.next(this.context);
  }

  /** `file`: every statement up to the end; false where the file has an error. */
  run(): boolean {
    const context = this.context;
    const lexer = this.lexer;
    for (;;) {
      if (context.failed) return false;
      const token = this.token;
      if (token === END) return true;
      if (token === NEWLINE || token === SEMICOLON) {
        this.advance();
        continue;
      }
      if (token !== IDENT) return false;
      const name = lexer.value;
      this.advance();
      const op: XlCfgOperation | undefined = this.token === EQUALS ? 'assign' : this.token === ADD ? 'add' : undefined;
      if (op === undefined) return false;
      this.advance();
      const value = this.value(0);
      if (value === undefined) return false;
      context.store(name, op, value, this.valueLine);
      // `stmt: assignment endstmt`, or the file's last assignment (`file: stmts assignment`)
      if (this.token !== NEWLINE && this.token !== SEMICOLON && this.token !== END) return false;
    }
  }

  /** `value` from the lookahead on: an atom or a list; undefined where there is none. */
  private value(depth: number): XlCfgValue | undefined {
    const lexer = this.lexer;
    if (this.token === STRING || this.token === NUMBER) {
      const atom: MutableString = { type: 'string', bytes: lexer.value, line: lexer.line };
      this.valueLine = lexer.line;
      this.advance();
      return atom;
    }
    if (this.token !== OPEN || depth === MAX_DIRECT_NESTING) return undefined;
    const openLine = lexer.line;
    let token = this.advanceOverNewlines();
    let list: XlCfgList;
    if (token === CLOSE) {
      // `valuelist: (empty)`, at the line of the `]` after it
      list = { type: 'list', items: [], line: lexer.line };
    } else {
      const first = this.value(depth + 1);
      if (first === undefined) return undefined;
      const firstLine = this.valueLine;
      const start = this.itemCount;
      this.keepItem(first);
      token = this.skipNewlines();
      while (token === COMMA) {
        token = this.advanceOverNewlines();
        if (token === CLOSE) break; // `valuelist: values ',' nlok`
        const item = this.value(depth + 1);
        if (item === undefined) return undefined;
        this.keepItem(item);
        token = this.skipNewlines();
      }
      if (token !== CLOSE) return undefined;
      list = { type: 'list', items: this.items.slice(start, this.itemCount), line: firstLine };
      this.itemCount = start;
    }
    this.valueLine = openLine;
    this.advance();
    return list;
  }

  private keepItem(item: XlCfgValue): void {
    this.items[this.itemCount] = item;
    this.itemCount += 1;
  }

  /** `nlok`: the lookahead after any newlines. */
  private skipNewlines(): number {
    while (this.token === NEWLINE) this.advance();
    return this.token;
  }

  /** The token after this one and any newlines. */
  private advanceOverNewlines(): number {
    this.advance();
    return this.skipNewlines();
  }
}

const NO_TOKEN = -1;

const RULE_LENGTH = new Int8Array(24);
const RULE_LHS: Nonterminal[] = [];
for (const [rule, { lhs, length }] of Object.entries(RULES)) {
  RULE_LENGTH[Number(rule)] = length;
  RULE_LHS[Number(rule)] = lhs;
}
/** GOTO flattened: `GOTO_TABLE[rule * STATES.length + state]` for the rule's left-hand side. */
const GOTO_TABLE = new Int8Array(24 * STATES.length).fill(-1);
for (const [rule, lhs] of RULE_LHS.entries()) {
  if (!lhs) continue;
  for (const [from, to] of Object.entries(GOTO[lhs])) GOTO_TABLE[rule * STATES.length + Number(from)] = to;
}

/** The LR driver, with bison's error recovery. The stack is bison's: states, values, lines. */
function runAutomaton(context: ParseContext): void {
  const lexer = context.lexer;
  // One parse runs at a time (it is synchronous), so the stacks are shared between parses.
  const states = STATE_STACK;
  const values = VALUE_STACK;
  const lines = LINE_STACK;
  try {
    runStacks(context, lexer, states, values, lines);
  } finally {
    values.length = 0; // drop the parse's values
  }
}

const STATE_STACK = new Int8Array(MAX_STACK_DEPTH);
const VALUE_STACK: unknown[] = [];
const LINE_STACK = new Int32Array(MAX_STACK_DEPTH);

function runStacks(context: ParseContext, lexer: XlCfgLexer, states: Int8Array, values: unknown[], lines: Int32Array): void {
  let top = 0;
  let state = 0;
  states[0] = 0;
  values[0] = undefined;
  let token = NO_TOKEN;
  /** Tokens still to shift before messages are enabled again after an error. */
  let recovering = 0;
  for (;;) {
    if (top + 1 >= MAX_STACK_DEPTH) {
      context.report(lexer.line, 'memory exhausted');
      return;
    }
    if (state === ACCEPT_STATE) return;
    let action: number;
    if (READS_LOOKAHEAD[state]) {
      if (token === NO_TOKEN) token = lexer.next(context);
      action = ACTIONS[state * SYMBOL_COUNT + token]!;
    } else {
      action = ACTIONS[state * SYMBOL_COUNT]!;
    }
    if (action > 0) {
      if (recovering > 0) recovering -= 1;
      state = action;
      top += 1;
      states[top] = state;
      values[top] = lexer.value;
      lines[top] = lexer.line;
      token = NO_TOKEN;
      continue;
    }
    if (action < 0) {
      const rule = -action;
      const length = RULE_LENGTH[rule]!;
      const value = length === 0 && rule === RULE.NLOK_EMPTY ? undefined : reduce(context, rule, values, lines, top);
      const line = length > 0 ? lines[top - length + 1]! : 0;
      top -= length;
      state = GOTO_TABLE[rule * STATES.length + states[top]!]!;
      top += 1;
      states[top] = state;
      values[top] = value;
      lines[top] = line;
      continue;
    }
    // A syntax error.
    if (recovering === 0) context.report(lexer.line, syntaxErrorMessage(state, token));
    if (recovering === 3) {
      if (token === END) return;
      token = NO_TOKEN;
    }
    recovering = 3;
    while (state !== ERROR_RECOVERY_STATE) {
      if (top === 0) return;
      top -= 1;
      state = states[top]!;
    }
    state = AFTER_ERROR_STATE;
    top += 1;
    states[top] = state;
    values[top] = undefined;
    lines[top] = 0;
  }
}

/** The semantic actions of the grammar's rules. */
function reduce(context: ParseContext, rule: number, values: unknown[], lines: Int32Array, top: number): unknown {
  const failed = context.errno !== undefined;
  switch (rule) {
    case RULE.ASSIGN:
    case RULE.ADD:
      if (!failed) context.store(values[top - 2] as string, rule === RULE.ADD ? 'add' : 'assign', values[top] as XlCfgValue, lines[top]!);
      return undefined;
    case RULE.VALUE_ATOM:
      return failed ? null : ({ type: 'string', bytes: values[top] as string, line: lines[top]! } satisfies MutableString);
    case RULE.VALUE_LIST:
      return values[top - 1];
    case RULE.ATOM_STRING:
    case RULE.ATOM_NUMBER:
    case RULE.VALUELIST_VALUES:
      return values[top];
    case RULE.VALUELIST_EMPTY:
      return failed ? null : ({ type: 'list', items: [], line: context.lexer.line } satisfies XlCfgList);
    case RULE.VALUELIST_TRAILING_COMMA:
      return values[top - 2];
    case RULE.VALUES_FIRST:
      return failed ? null : ({ type: 'list', items: [values[top - 1] as XlCfgValue], line: lines[top - 1]! } satisfies XlCfgList);
    case RULE.VALUES_MORE:
      if (!failed) (values[top - 4] as XlCfgList).items.push(values[top - 1] as XlCfgValue);
      return values[top - 4];
    default:
      return undefined;
  }
}
