/**
 * Every command the docs show is run: each fenced `sh` block of `docs/*.md` outside an `Install`
 * section (in a shell, with the repository's `bin/` first on PATH as the README says, and a temp
 * host file in `$XEN_GENID_HOST`), in document order, one fresh directory and host file per
 * document. A block must exit 0; a `text` block right after it is its exact stdout. A transcript
 * (`console`) is run too: each `$ ` line must exit 0 and print the lines after it, up to what is the
 * run's own (numbers, addresses, the home folder). A doc's scripts (`js`) run in a fresh project set
 * up as its Install section says (readme-examples.serial.test.ts). Every other block is data (`text`,
 * `json`, `asl`): a test checks that no block of the docs is left without a language, or in one
 * nothing runs (`ts`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireReferees } from '@xen-genid/test-utils';
import { describe, expect, it } from 'vitest';
import { missingReferee } from './block-referees.ts';
import { extractBlocks } from './markdown-blocks.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const docsDir = join(root, 'docs');
const xl = join(root, 'packages', 'xl-cli', 'dist', 'bin', 'xl.js');

const documents = existsSync(docsDir)
  ? readdirSync(docsDir)
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => ({ name, blocks: extractBlocks(readFileSync(join(docsDir, name), 'utf8')).filter((block) => (block.language === 'sh' && block.section !== 'Install') || block.language === 'console') }))
      .filter((document) => document.blocks.length > 0)
  : [];

/** A `console` block's commands (`$ ` lines) and what each printed (the lines up to the next). */
function transcript(code: string): { command: string; expected: string }[] {
  const steps: { command: string; expected: string }[] = [];
  for (const line of code.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: '' });
    else if (steps.length > 0) steps[steps.length - 1]!.expected += `${line}\n`;
  }
  return steps;
}

/** What a run owns in a transcript: the home folder, addresses and numbers (times, sizes, versions). */
const runOwn = (text: string) =>
  text
    .replaceAll(`${homedir()}/`, '~/')
    .replace(/\/root\//g, '~/')
    .replace(/0x[0-9a-f]+/g, '0x_')
    .replace(/\d+/g, 'N');

describe('extractBlocks', () => {
  it('pairs a block with the text block right after it, and names its section', () => {
    const markdown = '```sh\necho a\n```\n\n```text\na\n```\n## Use\n```ts\nx\n```\n```sh\nfalse\n```\nprose\n```text\nnot output\n```\n';
    expect(extractBlocks(markdown)).toEqual([
      { language: 'sh', code: 'echo a', line: 1, section: '', expected: 'a\n' },
      { language: 'ts', code: 'x', line: 9, section: 'Use' },
      { language: 'sh', code: 'false', line: 12, section: 'Use' },
    ]);
  });
});

describe('the blocks of docs/*.md', () => {
  it('are code that runs (sh, js) or data (text, json, asl, console)', () => {
    const known = new Set(['sh', 'js', 'text', 'json', 'asl', 'console']);
    const unknown = readdirSync(docsDir)
      .filter((name) => name.endsWith('.md'))
      .flatMap((name) =>
        extractBlocks(readFileSync(join(docsDir, name), 'utf8'))
          .filter((block) => !known.has(block.language))
          .map((block) => `${name}:${block.line} '${block.language}'`),
      );
    expect(unknown).toEqual([]);
  });
});

describe("vm-genid.md's package table", () => {
  it('names only what each package exports (or its bins)', () => {
    const markdown = readFileSync(join(docsDir, 'vm-genid.md'), 'utf8');
    const section = markdown.split('## Who does what')[1]?.split('\n## ')[0] ?? '';
    const missing: string[] = [];
    let rows = 0;
    for (const line of section.split('\n')) {
      const row = /^\| `@xen-genid\/([\w-]+)` \|[^|]*\| (.*) \|$/.exec(line);
      if (!row) continue;
      rows += 1;
      const packageDir = join(root, 'packages', row[1]!);
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
        bin?: Record<string, string>;
        exports: Record<string, string | Record<string, string>>;
      };
      // Every entry's source (`.`, `./guest`...), as a consumer may import from any of them.
      const index = Object.values(manifest.exports)
        .flatMap((entry) => (typeof entry === 'string' ? [] : [entry['@xen-genid/source']]))
        .filter((source): source is string => source !== undefined)
        .map((source) => readFileSync(join(packageDir, source), 'utf8'))
        .join('\n');
      const bins = Object.keys(manifest.bin ?? {});
      for (const [, token] of row[2]!.matchAll(/`([^`]+)`/g)) {
        const name = /^[A-Za-z_]\w*/.exec(token!)?.[0] ?? token!;
        if (!new RegExp(`\\b${name}\\b`).test(index) && !bins.includes(name)) missing.push(`${row[1]}: ${token}`);
      }
    }
    expect(rows).toBe(7);
    expect(missing).toEqual([]);
  });
});

describe.runIf(existsSync(xl))('every command in docs/*.md', () => {
  it('there are documented commands to run', () => {
    expect(documents.map((document) => document.name)).toEqual(expect.arrayContaining(['vm-genid.md', 'xl-cfg.md']));
  });

  for (const document of documents) {
    it(`${document.name}: ${document.blocks.length} blocks run as shown`, (context) => {
      const dir = mkdtempSync(join(tmpdir(), 'xen-genid-docs-'));
      try {
        const work = join(dir, 'work');
        mkdirSync(work);
        // The user's kernel cache stays where it is (a transcript may boot a real kernel).
        const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
        const env = { PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}`, HOME: dir, XDG_CACHE_HOME: cache, XEN_GENID_HOST: join(work, 'host.db'), LC_ALL: 'C' };
        const skipped: string[] = [];
        for (const block of document.blocks) {
          const missing = missingReferee(block.code);
          if (missing !== undefined) {
            if (requireReferees()) throw new Error(`${document.name}:${block.line}: ${missing}; XEN_GENID_REQUIRE_REFEREES=1 forbids skipping`);
            skipped.push(`${document.name}:${block.line}: ${missing}`);
            continue;
          }
          for (const { command, expected } of block.language === 'console' ? transcript(block.code) : [{ command: block.code, expected: block.expected }]) {
            const result = spawnSync('sh', ['-e', '-c', command], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
            const where = `${document.name}:${block.line} (${block.language})\n${command}\n--- stderr:\n${result.stderr}`;
            expect(result.status, where).toBe(0);
            if (block.language === 'console') expect(runOwn(result.stdout), where).toBe(runOwn(expected!));
            else if (expected !== undefined) expect(result.stdout, where).toBe(expected);
          }
        }
        if (skipped.length > 0) {
          // The other blocks ran; the test shows as skipped, with the reason.
          console.warn(`skipping ${skipped.join('; ')}`);
          context.skip(`skipped: ${skipped.join('; ')}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
