/**
 * The repository's README, followed as written: its two commands are what CI runs (`.ci/run` calls
 * both; `scripts/setup.sh` ends with the main job), the main job prints what the README shows (the
 * IDs aside), and every other `sh` block runs as shown: `bin/` first on PATH, then the commands on
 * the main job's domain. The real-guest block and its output are examples/real-guest.mjs's test
 * (xl-cli's real-guest.serial.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractBlocks } from './markdown-blocks.ts';
import { root } from './workspace-packages.ts';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = extractBlocks(readme);
const shell = blocks.filter((block) => block.language === 'sh');
/** A block's commands, without comments and blank lines. */
const commands = (code: string) =>
  code
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
/** The README's `text` block that starts with `first`. */
function shown(first: string): string {
  const block = /```text\n([\s\S]*?)\n```/g;
  for (const [, text] of readme.matchAll(block)) if (text!.startsWith(first)) return `${text}\n`;
  throw new Error(`README.md shows no output starting with ${first}`);
}
/** The xenstore form of an ID (`lo:hi`) and a CPU time are the run's own. */
const normalise = (text: string) => text.replace(/\b\d+:\d+\b/g, '<id>').replace(/ \d+\.\d$/gm, ' <time>');

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xen-genid-root-readme-'));
  env = { ...process.env, HOME: dir, TMPDIR: dir, XEN_GENID_HOST: join(dir, 'host.db'), LC_ALL: 'C' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mainJob = () => spawnSync('pnpm', ['--silent', 'run', 'demo'], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });

describe('README.md, followed as written', () => {
  it('gives two commands, set-up and tests, and CI runs both; the set-up ends with the main job', () => {
    expect(commands(shell[0]!.code)).toEqual(['bash scripts/setup.sh', 'pnpm test']);
    const ci = commands(readFileSync(join(root, '.ci/run'), 'utf8'));
    expect(ci).toContain('bash scripts/setup.sh || exit 1');
    expect(ci.some((line) => /^(\w+=\S+ )*pnpm test$/.test(line))).toBe(true);
    expect(commands(readFileSync(join(root, 'scripts/setup.sh'), 'utf8')).at(-1)).toBe('pnpm --silent run demo');
  });

  it('shows what the main job prints, the IDs aside', () => {
    const result = mainJob();
    expect(result.status, result.stderr).toBe(0);
    expect(normalise(result.stderr + result.stdout)).toBe(normalise(shown('Parsing config from examples/genid.cfg')));
  }, 180_000);

  it('puts our xl first on PATH with bin/', () => {
    const block = shell.find((candidate) => candidate.code.includes('/bin:$PATH'))!;
    const result = spawnSync('sh', ['-e', '-c', block.code], { cwd: root, env, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${join(root, 'bin', 'xl')}\n`);
  });

  it('runs the commands it lists on the main job domain: list -l, save -c, restore, a second host, migrate', () => {
    expect(mainJob().status).toBe(0);
    const block = shell.find((candidate) => candidate.code.includes('xl migrate'))!;
    const path = shell.find((candidate) => candidate.code.includes('/bin:$PATH'))!;
    const result = spawnSync('sh', ['-e', '-c', `${commands(path.code)[0]}\n${block.code}`], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('"ms_vm_genid": [');
    expect(result.stderr).toContain('Migration successful.');
    // The last command reads the migrated domain's ID on the second host file.
    expect(result.stdout).toMatch(/^ {2}guid +[0-9a-f-]{36}$/m);
  }, 360_000);
});
