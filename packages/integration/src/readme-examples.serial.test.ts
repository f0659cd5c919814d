/**
 * Every package README, and every doc with `js` or `ts` blocks, followed as a user would: a fresh project set up as its `## Install` section
 * says (the `npm install` lines, the `package.json` and `tsconfig.json` it shows), the packed
 * tarballs installed with npm, offline, then every `ts`, `js` and `sh` block of the README run in
 * order: `ts` blocks compiled by the project's `tsc` and run with node, `js` blocks run as ES
 * modules, `sh` blocks in a shell with the project's `node_modules/.bin` first on PATH (as `npx`
 * has it). A block must exit 0 and print something; a `text` block right after it is its exact
 * stdout. Blocks that are data, not code (`json`, `asl`, `text`, `console`), are not run. A doc's `sh` blocks are
 * commands on a host, run with the repository's `bin/` on PATH by docs-commands.serial.test.ts; here
 * only its scripts run.
 *
 * Offline, npm cannot fetch the third-party packages the tarballs depend on (better-sqlite3,
 * valibot) nor `typescript` and `@types/node`: the project's `overrides` and the install point npm
 * at the copies this workspace installed, the same versions a registry would give.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireReferees } from '@xen-genid/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingReferee } from './block-referees.ts';
import { extractBlocks, type Block } from './markdown-blocks.ts';
import { packPublished, publishedPackages, root } from './workspace-packages.ts';

const RUNNABLE = new Set(['ts', 'js', 'sh']);
const DATA = new Set(['json', 'asl', 'text', 'console']);

interface Setup {
  readonly packages: string[];
  readonly devPackages: string[];
  readonly packageJson: Record<string, unknown>;
  readonly tsconfig?: Record<string, unknown>;
}

/** What the README's `## Install` section tells a user to do. */
function readSetup(blocks: readonly Block[]): Setup {
  const install = blocks.filter((block) => block.section === 'Install');
  const commands = install.filter((block) => block.language === 'sh').flatMap((block) => block.code.split('\n'));
  const names = (dev: boolean) =>
    commands
      .map((line) => /^npm install ([^#]*)/.exec(line.trim())?.[1]?.trim().split(/\s+/) ?? [])
      .filter((words) => words.includes('--save-dev') === dev)
      .flatMap((words) => words.filter((word) => !word.startsWith('-')));
  const json = install.filter((block) => block.language === 'json').map((block) => JSON.parse(block.code) as Record<string, unknown>);
  const tsconfig = json.find((value) => 'compilerOptions' in value);
  return {
    packages: names(false),
    devPackages: names(true),
    packageJson: json.find((value) => value !== tsconfig) ?? {},
    ...(tsconfig ? { tsconfig } : {}),
  };
}

/** Where this workspace installed a package's dependency `name` (a folder npm can link). */
const installedDependency = (owner: string, name: string) => realpathSync(join(root, owner, 'node_modules', name));

const manifestOf = (name: string) =>
  JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };

/** The folder names of the `@xen-genid/*` packages given and of every workspace package they depend on. */
function workspaceClosure(packages: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string) => {
    if (found.has(name)) return;
    found.add(name);
    for (const dependency of Object.keys(manifestOf(name).dependencies ?? {})) {
      if (dependency.startsWith('@xen-genid/')) visit(dependency.slice('@xen-genid/'.length));
    }
  };
  for (const name of packages) if (name.startsWith('@xen-genid/')) visit(name.slice('@xen-genid/'.length));
  return [...found].sort();
}

interface Document {
  /** How failures name it. */
  readonly title: string;
  /** Its project's folder name. */
  readonly name: string;
  /** The package whose README it is (its Install section must name it). */
  readonly package?: string;
  readonly blocks: readonly Block[];
  /** The block languages run here. */
  readonly runs: ReadonlySet<string>;
}

/** Every published package's README, and every doc with scripts. */
const documents: Document[] = [
  ...publishedPackages().map((name) => ({
    title: `README of ${name}`,
    name,
    package: name,
    blocks: extractBlocks(readFileSync(join(root, 'packages', name, 'README.md'), 'utf8')),
    runs: RUNNABLE,
  })),
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => ({
      title: `docs/${file}`,
      name: `docs-${file.replace(/\.md$/, '')}`,
      blocks: extractBlocks(readFileSync(join(root, 'docs', file), 'utf8')),
      runs: new Set(['ts', 'js']),
    }))
    .filter((document) => document.blocks.some((block) => document.runs.has(block.language))),
];

describe('package READMEs and docs with scripts, followed in a fresh project', () => {
  it('include the docs with scripts', () => {
    expect(documents.map((document) => document.title)).toEqual(expect.arrayContaining(['docs/save-restore.md', 'docs/vm-genid.md']));
  });

  let scratch: string;
  let tarballs: Map<string, string>;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'xen-genid-readmes-'));
    tarballs = packPublished(join(scratch, 'tarballs'));
  }, 240_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  for (const readme of documents) {
    it(`${readme.title}: every block runs as written`, (context) => {
      const setup = readSetup(readme.blocks);
      if (readme.package) expect(setup.packages, 'the Install section names the package').toContain(`@xen-genid/${readme.package}`);
      else expect(setup.packages, 'the Install section names what the scripts import').not.toEqual([]);
      const unknownFence = readme.blocks.filter((block) => !RUNNABLE.has(block.language) && !DATA.has(block.language));
      expect(unknownFence.map((block) => `line ${block.line}: '${block.language}'`), 'every block is code or data').toEqual([]);

      const project = join(scratch, readme.name);
      mkdirSync(project);
      const thirdParty: Record<string, string> = {};
      for (const name of workspaceClosure(setup.packages)) {
        for (const dependency of Object.keys(manifestOf(name).dependencies ?? {}).filter((dep) => !dep.startsWith('@xen-genid/'))) {
          thirdParty[dependency] = `file:${installedDependency(`packages/${name}`, dependency)}`;
        }
      }
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-user', private: true, ...setup.packageJson, overrides: thirdParty }, null, 2));
      if (setup.tsconfig) writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(setup.tsconfig, null, 2));
      const npm = (args: readonly string[]) =>
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', '--ignore-scripts', '--no-package-lock', ...args], {
          cwd: project,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 180_000,
        });
      // npm offline needs every @xen-genid tarball the named packages depend on in the same install.
      npm(workspaceClosure(setup.packages).map((name) => `file:${tarballs.get(name)}`));
      if (setup.devPackages.length > 0) npm(['--save-dev', ...setup.devPackages.map((name) => `${name}@file:${installedDependency('', name)}`)]);

      const env = {
        PATH: `${join(project, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
        HOME: project,
        XEN_GENID_HOST: join(project, 'host.db'),
        LC_ALL: 'C',
      };
      const code = readme.blocks.filter((block) => readme.runs.has(block.language) && block.section !== 'Install');
      const typescript = code.filter((block) => block.language === 'ts');
      for (const block of typescript) writeFileSync(join(project, `example-${block.line}.ts`), block.code);
      if (typescript.length > 0) {
        const compiled = spawnSync(join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: project, env, encoding: 'utf8', timeout: 400_000 });
        expect(compiled.status, `tsc in a project set up as the README says:\n${compiled.stdout}${compiled.stderr}`).toBe(0);
      }
      const skipped: string[] = [];
      for (const block of code) {
        const missing = block.language === 'sh' ? missingReferee(block.code) : undefined;
        if (missing !== undefined) {
          if (requireReferees()) throw new Error(`${readme.title}, line ${block.line}: ${missing}; XEN_GENID_REQUIRE_REFEREES=1 forbids skipping`);
          skipped.push(`${readme.title}, line ${block.line}: ${missing}`);
          continue;
        }
        let result;
        if (block.language === 'sh') {
          result = spawnSync('sh', ['-e', '-c', block.code], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
        } else {
          const script = block.language === 'ts' ? `example-${block.line}.js` : `example-${block.line}.mjs`;
          if (block.language === 'js') writeFileSync(join(project, script), block.code);
          result = spawnSync(process.execPath, [script], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
        }
        const where = `${readme.title}, line ${block.line} (${block.language})\n${block.code}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`;
        expect(result.status, where).toBe(0);
        if (block.expected !== undefined) expect(result.stdout, where).toBe(block.expected);
        else expect(result.stdout.trim(), `${where}\nprints nothing`).not.toBe('');
      }
      if (skipped.length > 0) {
        // The other blocks ran; the test shows as skipped, with the reason.
        console.warn(`skipping ${skipped.join('; ')}`);
        context.skip(`skipped: ${skipped.join('; ')}`);
      }
    }, 900_000);
  }
});
