/**
 * Test support: the real libxlutil as referee. Builds our C harness (xlu-harness.c) against
 * Debian's libxlutil with gcc, runs many configs through it in one process, and renders our own
 * parser's results in the same line format, so the two can be compared line for line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findReferee, type Referee } from '@xen-genid/test-utils';
import {
  getBoundedLong,
  getDefbool,
  getList,
  getListAsStringList,
  getListItem,
  getListItemValue,
  getLong,
  getString,
  valueGetList,
  valueGetString,
  type XlCfgResult,
} from '../getters.ts';
import { parseXlCfg } from '../parse-xl-cfg.ts';
import type { XlCfg, XlCfgList, XlCfgValue } from '../xl-cfg.ts';
import { XLU_ERRNO } from '../xl-cfg.ts';

export interface RefereeCase {
  /** The config bytes (strings are taken as latin1: one char per byte). */
  readonly input: string;
  /** Getter calls: `string NAME`, `quiet-long NAME`, `bounded NAME MIN MAX`, `defbool`, `list`, `strlist`. */
  readonly queries?: readonly string[];
  readonly source?: string;
}

/** gcc and Debian's libxlutil development files (libxen-dev). */
export function findXlutilReferee(): Referee {
  const tools = findReferee('gcc and pkg-config (gcc, pkgconf)', ['gcc', 'pkg-config']);
  if (tools.missing) return tools;
  const probe = spawnSync('pkg-config', ['--exists', 'xlutil', 'xenlight']);
  if (probe.status !== 0) return { name: 'libxlutil (libxen-dev)', paths: tools.paths, missing: 'libxlutil (libxen-dev) not installed (pkg-config xlutil)' };
  return { name: 'libxlutil (libxen-dev)', paths: tools.paths, missing: undefined };
}

/** Compiles the harness into a new temp dir; `dispose()` removes it. */
export function buildHarness(): { run: (cases: readonly RefereeCase[]) => string[][]; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'xl-cli-xlu-'));
  const binary = join(dir, 'xlu-harness');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'xlutil', 'xenlight'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  execFileSync('gcc', ['-O1', '-o', binary, new URL('./xlu-harness.c', import.meta.url).pathname, ...flags]);
  return {
    run(cases) {
      const chunks: Buffer[] = [];
      for (const item of cases) {
        const queries = item.queries ?? [];
        const data = Buffer.from(item.input, 'latin1');
        chunks.push(Buffer.from(`case ${data.length} ${queries.length} ${item.source ?? 'test.cfg'}\n`, 'utf8'), data);
        for (const query of queries) chunks.push(Buffer.from(`${query}\n`, 'latin1'));
      }
      const output = execFileSync(binary, [], { input: Buffer.concat(chunks), maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'ignore'] }).toString('latin1');
      const results: string[][] = [];
      let current: string[] = [];
      for (const line of output.split('\n')) {
        if (line === 'end') {
          results.push(current);
          current = [];
        } else if (line !== '') {
          current.push(line);
        }
      }
      if (results.length !== cases.length) throw new Error(`harness answered ${results.length} of ${cases.length} cases`);
      return results;
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The harness's escaping: bytes outside 0x20..0x7e, and backslash, as \xHH. */
export function escapeBytes(bytes: string): string {
  let out = '';
  for (let index = 0; index < bytes.length; index += 1) {
    const code = bytes.charCodeAt(index);
    out += code >= 0x20 && code <= 0x7e && code !== 0x5c ? bytes[index] : `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Our parser and getters, printed in the harness's format. */
export function renderOurs(item: RefereeCase): string[] {
  const source = item.source ?? 'test.cfg';
  const lines = [`case ${source}`];
  const parsed = parseXlCfg(Buffer.from(item.input, 'latin1'), { source, encoding: 'latin1' });
  for (const diagnostic of parsed.diagnostics) lines.push(`report ${escapeBytes(diagnostic.message)}`);
  lines.push(`rc ${parsed.ok ? 0 : XLU_ERRNO[parsed.errno!]}`);
  const config = parsed.config;
  const reportOf = (result: XlCfgResult<unknown>): void => {
    if (!result.ok && result.warning) lines.push(`report ${escapeBytes(result.warning.message)}`);
  };
  const rc = (result: XlCfgResult<unknown>): number => (result.ok ? 0 : XLU_ERRNO[result.errno]);
  for (const query of item.queries ?? []) {
    lines.push(`query ${query}`);
    const [kindSpec = '', name = '', min = '0', max = '0'] = query.split(' ');
    const quiet = kindSpec.startsWith('quiet-');
    const options = { dontWarn: quiet };
    const kind = quiet ? kindSpec.slice(6) : kindSpec;
    if (kind === 'string') {
      const result = getString(config, name, options);
      lines.push(`result rc=${rc(result)}${result.ok ? ` value="${escapeBytes(result.value)}"` : ''}`);
      reportOf(result);
    } else if (kind === 'long' || kind === 'bounded') {
      const result = kind === 'long' ? getLong(config, name, options) : getBoundedLong(config, name, BigInt(min), BigInt(max), options);
      lines.push(`result rc=${rc(result)}${result.ok ? ` value=${result.value}` : ''}`);
      reportOf(result);
    } else if (kind === 'defbool') {
      const result = getDefbool(config, name, options);
      lines.push(`result rc=${rc(result)} value=${result.ok ? (result.value ? 'True' : 'False') : '<default>'}`);
      reportOf(result);
    } else if (kind === 'list') {
      const result = getList(config, name, options);
      lines.push(`result rc=${rc(result)}${result.ok ? ` count=${result.value.items.length}` : ''}`);
      reportOf(result);
      if (result.ok) renderList(config, result.value, '', 0, lines);
    } else if (kind === 'strlist') {
      const result = getListAsStringList(config, name, options);
      lines.push(`result rc=${rc(result)}`);
      reportOf(result);
      if (result.ok) {
        for (const entry of result.value) {
          if (entry === undefined) break;
          lines.push(`strlist "${escapeBytes(entry)}"`);
        }
      }
    } else {
      lines.push('result bad-query');
    }
  }
  return lines;
}

function renderList(config: XlCfg, list: XlCfgList, path: string, depth: number, lines: string[]): void {
  const count = list.items.length;
  for (let index = 0; index < count; index += 1) {
    const sub = `${path}${path ? '.' : ''}${index}`;
    const item = getListItem(list, index, config);
    lines.push(`listitem ${sub} ${item === undefined ? 'NULL' : `"${escapeBytes(item)}"`}`);
    renderValue(config, getListItemValue(list, index), sub, depth + 1, lines);
  }
  lines.push(`listitem-out-of-range ${path} ${getListItem(list, count, config) === undefined ? 'NULL' : 'nonnull'}`);
}

function renderValue(config: XlCfg, value: XlCfgValue | undefined, path: string, depth: number, lines: string[]): void {
  if (!value) {
    lines.push(`value ${path} NULL`);
    return;
  }
  const asString = valueGetString(config, value);
  if (!asString.ok && asString.warning) lines.push(`report ${escapeBytes(asString.warning.message)}`);
  const asList = valueGetList(config, value);
  if (!asList.ok && asList.warning) lines.push(`report ${escapeBytes(asList.warning.message)}`);
  const codes = `rc=${asString.ok ? 0 : XLU_ERRNO[asString.errno]},${asList.ok ? 0 : XLU_ERRNO[asList.errno]}`;
  if (value.type === 'string') {
    lines.push(`value ${path} string ${codes} "${escapeBytes(value.bytes)}"`);
  } else {
    lines.push(`value ${path} list ${codes} count=${value.items.length}`);
    if (depth < 64) renderList(config, value, path, depth, lines);
  }
}
