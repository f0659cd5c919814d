/**
 * libxlutil's disk specification parser: the flex scanner of tools/libs/util/libxlu_disk_l.l run as
 * flex runs it (at each position the longest match wins, the first rule on a tie; trailing context
 * counts towards the length), then xlu_disk_parse's checks (tools/libs/util/libxlu_disk.c), with
 * libxlutil's messages.
 *
 * As Debian's libxlutil 4.17 scans them: its scanner has no `trusted` / `untrusted` rules (the 4.17
 * branch's libxlu_disk_l.l lists them, its shipped generated scanner does not), so those words are
 * positional parameters, as real xl treats them.
 */
import { defaultOf, DeviceDisk } from '@xen-genid/xl-lib';
import type { XlCfgDiagnostic } from './xl-cfg.ts';

type Disk = DeviceDisk;
type Format = Disk['format'];

/** What one scan of a spec holds besides the disk (`DiskParseContext`). */
interface Scan {
  readonly disk: Disk;
  readonly spec: string;
  readonly source: string;
  readonly diagnostics: XlCfgDiagnostic[];
  err: boolean;
  hadDeprecatedPrefix: boolean;
  accessSet: boolean;
}

/** `xlu__disk_err`. */
function diskError(scan: Scan, erroneous: string | undefined, message: string): void {
  const near = erroneous === undefined ? '' : `: near \`${erroneous}'`;
  scan.diagnostics.push({ severity: 'error', message: `${scan.source}: config parsing error in disk specification: ${message}${near} in \`${scan.spec}'` });
  scan.err = true;
}

/** `DSET`: sets an enum member unless it already holds another value. */
function setEnum<K extends 'format' | 'backend' | 'specification'>(scan: Scan, member: K, text: string, value: Disk[K]): void {
  const current = scan.disk[member];
  if (current !== 'unknown' && current !== value) diskError(scan, text, `${member} respecified`);
  else scan.disk[member] = value;
}

type StringMember = 'pdevPath' | 'vdev' | 'script' | 'backendDomname' | 'coloHost' | 'coloExport' | 'activeDisk' | 'hiddenDisk';

/** `savestring`: a string member may be set once (an empty one may be overwritten). */
function saveString(scan: Scan, what: string, member: StringMember, value: string): void {
  const current = scan.disk[member];
  if (current !== undefined && current !== '') {
    diskError(scan, value, `${what} respecified`);
    return;
  }
  scan.disk[member] = value;
}

const FORMATS: Record<string, Format> = { '': 'raw', raw: 'raw', qcow: 'qcow', qcow2: 'qcow2', vhd: 'vhd', empty: 'empty', qed: 'qed' };

function setFormat(scan: Scan, text: string): void {
  const format = FORMATS[text];
  if (format === undefined) diskError(scan, text, 'unknown value for format');
  else setEnum(scan, 'format', text, format);
}

function setAccess(scan: Scan, text: string): void {
  if (text === 'r' || text === 'ro') scan.disk.readwrite = 0;
  else if (text === 'rw' || text === 'w' || text === '') scan.disk.readwrite = 1;
  else diskError(scan, text, 'unknown value for access');
}

/** `vdev_and_devtype`: `<vdev>:<devtype>`; false (nothing done) without a colon. */
function vdevAndDevtype(scan: Scan, text: string): boolean {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return false;
  saveString(scan, 'vdev', 'vdev', text.slice(0, colon));
  const type = text.slice(colon + 1);
  if (type === 'cdrom') scan.disk.isCdrom = 1;
  else if (type === 'disk') scan.disk.isCdrom = 0;
  else diskError(scan, type, 'unknown deprecated type');
  return true;
}

/** `STRIP(delim)` then `FROMEQUALS`. */
const strip = (text: string, delim: string): string => (text.endsWith(delim) ? text.slice(0, -1) : text);
const valueOf = (text: string): string => strip(text, ',').slice(text.indexOf('=') + 1);

/** A rule's action; returning false stops the scan (`return 0`). */
type Action = (scan: Scan, text: string) => boolean | void;

interface Rule {
  /** The literal text every match starts with (a cheap test before the regex). */
  readonly prefix: string;
  readonly pattern: RegExp;
  /** Trailing context: matched after `pattern`, counted in the length, not part of the text. */
  readonly trailing?: RegExp;
  readonly action: Action;
  /** Which chars a match can start with (see `firstChars`). */
  readonly first: readonly RegExp[];
}

/** The literal chars a pattern starts with: letters, digits and `=:,-` not made optional or repeated. */
function literalPrefix(pattern: string): string {
  let prefix = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index]!;
    if (!/[a-z0-9=:,-]/.test(char) || /[?*+{]/.test(pattern[index + 1] ?? '')) break;
    prefix += char;
  }
  return prefix;
}

/** The end (exclusive) of the atom at `start` of a pattern: a `[...]` class, a `(...)` group, an escape or one char. */
function atomEnd(pattern: string, start: number): number {
  const open = pattern[start];
  if (open === '\\') return start + 2;
  if (open !== '[' && open !== '(') return start + 1;
  let depth = 0;
  for (let index = start; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '\\') index += 1;
    else if (open === '[' && char === ']' && index > start + 1) return index + 1;
    else if (open === '(' && char === '(') depth += 1;
    else if (open === '(' && char === ')' && (depth -= 1) === 0) return index + 1;
  }
  throw new Error(`unbalanced ${open} in disk rule ${pattern}`);
}

/** The alternatives of a pattern, split at its top-level `|`. */
function alternatives(pattern: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let index = 0; index < pattern.length; index = atomEnd(pattern, index)) {
    if (pattern[index] === '|') {
      parts.push(pattern.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(pattern.slice(start));
  return parts;
}

/**
 * The chars a match of `pattern` can start with, as one-char regexes, and whether it can match
 * nothing. Knows the constructs the rules use: chars, escapes, `.`, `[...]`, `(a|b)`, `?`, `*`, `+`.
 */
function firstChars(pattern: string): { first: RegExp[]; empty: boolean } {
  const first: RegExp[] = [];
  let empty = false;
  for (const alternative of alternatives(pattern)) {
    let index = 0;
    for (;;) {
      if (index >= alternative.length) {
        empty = true;
        break;
      }
      const end = atomEnd(alternative, index);
      const atom = alternative.slice(index, end);
      const inner = atom.startsWith('(') ? firstChars(atom.slice(1, -1)) : { first: [new RegExp(`^${atom}$`)], empty: false };
      first.push(...inner.first);
      const optional = alternative[end] === '?' || alternative[end] === '*';
      index = /[?*+]/.test(alternative[end] ?? '') ? end + 1 : end;
      if (!optional && !inner.empty) break;
    }
  }
  return { first, empty };
}

const rule = (pattern: string, action: Action, trailing?: string): Rule => ({
  prefix: literalPrefix(pattern),
  pattern: new RegExp(pattern, 'y'),
  trailing: trailing === undefined ? undefined : new RegExp(trailing, 'y'),
  action,
  first: firstChars(pattern).first,
});

const DEPRECATED_PREFIX: Action = (scan) => {
  scan.hadDeprecatedPrefix = true;
};

/**
 * The scanner's rules, in libxlu_disk_l.l's order (`.` in flex does not match a newline): made at
 * the first disk spec scanned, not when the module loads (most configs and commands have none).
 */
const makeRules = (): readonly Rule[] => [
  rule('[ \\t\\n]+', () => {}, '([^ \\t\\n].*)?'),
  rule('format=[^,]*,?', (scan, text) => setFormat(scan, valueOf(text))),
  rule('cdrom,?', (scan) => void (scan.disk.isCdrom = 1)),
  rule('devtype=cdrom,?', (scan) => void (scan.disk.isCdrom = 1)),
  rule('devtype=disk,?', (scan) => void (scan.disk.isCdrom = 0)),
  rule('devtype=[^,]*,?', (scan, text) => diskError(scan, text, 'unknown value for type')),
  rule('access=[^,]*,?', (scan, text) => setAccess(scan, valueOf(text))),
  rule('backend=[^,]*,?', (scan, text) => saveString(scan, 'backend', 'backendDomname', valueOf(text))),
  rule('backendtype=[^,]*,?', (scan, text) => {
    const value = valueOf(text);
    if (value === 'phy' || value === 'tap' || value === 'qdisk' || value === 'standalone') setEnum(scan, 'backend', value, value);
    else diskError(scan, value, 'unknown value for backendtype');
  }),
  rule('specification=[^,]*,?', (scan, text) => {
    const value = valueOf(text);
    if (value === 'xen' || value === 'virtio') setEnum(scan, 'specification', value, value);
    else diskError(scan, value, 'unknown value for specification');
  }),
  rule('vdev=[^,]*,?', (scan, text) => saveString(scan, 'vdev', 'vdev', valueOf(text))),
  rule('script=[^,]*,?', (scan, text) => saveString(scan, 'script', 'script', valueOf(text))),
  rule('direct-io-safe,?', (scan) => void (scan.disk.directIoSafe = true)),
  rule('discard,?', (scan) => void (scan.disk.discardEnable = 'true')),
  rule('no-discard,?', (scan) => void (scan.disk.discardEnable = 'false')),
  rule('colo,?', (scan) => void (scan.disk.coloEnable = 'true')),
  rule('no-colo,?', (scan) => void (scan.disk.coloEnable = 'false')),
  rule('colo-host=[^,]*,?', (scan, text) => saveString(scan, 'colo-host', 'coloHost', valueOf(text))),
  rule('colo-port=[^,]*,?', (scan, text) => {
    const value = valueOf(text);
    // atoi: leading blanks, a sign, digits; 0 when none.
    const port = Number.parseInt(value, 10) | 0;
    if (port) scan.disk.coloPort = port;
    else diskError(scan, value, 'unknown value for colo_port');
  }),
  rule('colo-export=[^,]*,?', (scan, text) => saveString(scan, 'colo-export', 'coloExport', valueOf(text))),
  rule('active-disk=[^,]*,?', (scan, text) => saveString(scan, 'active-disk', 'activeDisk', valueOf(text))),
  rule('hidden-disk=[^,]*,?', (scan, text) => saveString(scan, 'hidden-disk', 'hiddenDisk', valueOf(text))),
  rule('target=.*', (scan, text) => saveString(scan, 'target', 'pdevPath', valueOf(text))),
  rule('[a-z][-a-z0-9]*=[^,],?', (scan, text) => diskError(scan, text, 'unknown parameter')),
  rule(
    '(raw|qcow2?|vhd):',
    (scan, text) => {
      DEPRECATED_PREFIX(scan, text);
      setFormat(scan, strip(text, ':'));
    },
    '.*',
  ),
  rule(
    '(iscsi|e?nbd|drbd):',
    (scan, text) => {
      DEPRECATED_PREFIX(scan, text);
      const current = scan.disk.script;
      const script = `block-${strip(text, ':')}`;
      if (current !== undefined && current !== '') diskError(scan, script, 'script respecified');
      else scan.disk.script = script;
    },
    '.*',
  ),
  rule('tapdisk:', DEPRECATED_PREFIX, '.*'),
  rule('tap2?:', DEPRECATED_PREFIX, '.*'),
  rule('aio:', DEPRECATED_PREFIX, '.*'),
  rule('ioemu:', DEPRECATED_PREFIX, '.*'),
  rule('file:', DEPRECATED_PREFIX, '.*'),
  rule('phy:', DEPRECATED_PREFIX, '.*'),
  rule(
    '[a-z][a-z0-9]*:',
    (scan, text) => {
      diskError(scan, text, 'unknown deprecated disk prefix');
      return false;
    },
    '([^a-z0-9].*)?',
  ),
  rule('[^=,]*,|[^=,]+,?', (scan, text) => positional(scan, strip(text, ','))),
];

let rules: readonly Rule[] | undefined;
const scannerRules = (): readonly Rule[] => (rules ??= makeRules());

/** The positional parameters: target, format, vdev, access. */
function positional(scan: Scan, text: string): boolean | void {
  const disk = scan.disk;
  if (scan.err) return; // previous errors may just lead to subsequent ones
  if (disk.pdevPath === undefined) saveString(scan, 'target', 'pdevPath', text);
  else if (!scan.hadDeprecatedPrefix && disk.format === 'unknown') {
    if (disk.pdevPath === '' && vdevAndDevtype(scan, text)) disk.format = 'empty';
    else setFormat(scan, text);
  } else if (disk.vdev === undefined) {
    if (!vdevAndDevtype(scan, text)) saveString(scan, 'vdev', 'vdev', text);
  } else if (!scan.accessSet) {
    scan.accessSet = true;
    setAccess(scan, text);
  } else {
    diskError(scan, text, 'too many positional parameters');
    return false;
  }
}

/** Chars above U+00FF: no rule names one, so any of them stands for all. */
const OTHER_CHARS = 256;

/**
 * The rules that can match at a char, by its code (`OTHER_CHARS` for any code above 255), in
 * libxlu_disk_l.l's order: the scanner tries only these. Each char's are worked out when a spec
 * first has it.
 */
const rulesByFirstChar: (readonly Rule[] | undefined)[] = [];

function rulesStartingWith(code: number): readonly Rule[] {
  const index = Math.min(code, OTHER_CHARS);
  let found = rulesByFirstChar[index];
  if (found === undefined) {
    const char = String.fromCharCode(index);
    found = scannerRules().filter((candidate) => candidate.first.some((first) => first.test(char)));
    rulesByFirstChar[index] = found;
  }
  return found;
}

/** Internal: the rules the scanner tries where a spec has `char` (for tests). */
export function diskRulesStartingWith(char: string): readonly RegExp[] {
  return rulesStartingWith(char.charCodeAt(0)).map((candidate) => candidate.pattern);
}

/** Internal: every rule of the scanner, in order (for tests). */
export function diskRulePatterns(): readonly RegExp[] {
  return scannerRules().map((candidate) => candidate.pattern);
}

/** One scan of `spec` (`xlu__disk_yylex`). */
function scanSpec(scan: Scan): void {
  const spec = scan.spec;
  let position = 0;
  while (position < spec.length) {
    let best: Rule | undefined;
    let bestEnd = 0;
    let bestLength = 0;
    for (const candidate of rulesStartingWith(spec.charCodeAt(position))) {
      if (candidate.prefix.length > 1 && !spec.startsWith(candidate.prefix, position)) continue;
      candidate.pattern.lastIndex = position;
      if (!candidate.pattern.test(spec)) continue;
      const end = candidate.pattern.lastIndex;
      let length = end - position;
      if (candidate.trailing) {
        candidate.trailing.lastIndex = end;
        if (candidate.trailing.test(spec)) length = candidate.trailing.lastIndex - position;
      }
      // The longest match wins; on a tie, the rule listed first.
      if (best === undefined || length > bestLength) {
        best = candidate;
        bestEnd = end;
        bestLength = length;
        if (length === spec.length - position) break; // no later rule can match more than is left
      }
    }
    if (best === undefined) {
      // `.` then `<LEXERR>.*`: the rest of the line is the erroneous text.
      const end = spec.indexOf('\n', position + 1);
      diskError(scan, spec.slice(position, end < 0 ? undefined : end), 'bad disk syntax');
      return;
    }
    if (best.action(scan, spec.slice(position, bestEnd)) === false) return;
    position = bestEnd;
  }
}

/** The result of `xlu_disk_parse`: the disk, or none when libxlutil returned an error (EINVAL). */
export interface DiskParseResult {
  readonly disk?: Disk;
  readonly diagnostics: readonly XlCfgDiagnostic[];
}

/**
 * `xlu_disk_parse` of the specs of one disk (one `disk = [...]` entry), `source` naming the config
 * in messages.
 * @see xlu_disk_parse (tools/libs/util/libxlu_disk.c)
 */
export function parseDiskSpec(specs: readonly string[], source: string): DiskParseResult {
  const disk = defaultOf(DeviceDisk);
  disk.readwrite = 1;
  const diagnostics: XlCfgDiagnostic[] = [];
  let spec = '';
  for (spec of specs) {
    const scan: Scan = { disk, spec, source, diagnostics, err: false, hadDeprecatedPrefix: false, accessSet: false };
    scanSpec(scan);
    if (scan.err) return { diagnostics };
  }
  if (disk.format === 'unknown') disk.format = 'raw';
  if (disk.isCdrom) {
    disk.removable = 1;
    disk.readwrite = 0;
    if (disk.pdevPath === undefined || disk.pdevPath === '') disk.format = 'empty';
  }
  const scan: Scan = { disk, spec, source, diagnostics, err: false, hadDeprecatedPrefix: false, accessSet: false };
  if (disk.vdev === undefined) {
    diskError(scan, undefined, 'no vdev specified');
    return { diagnostics };
  }
  if (disk.pdevPath === undefined && !disk.removable) {
    diskError(scan, undefined, 'no target specified (and device not removable)');
    return { diagnostics };
  }
  return { disk, diagnostics };
}
