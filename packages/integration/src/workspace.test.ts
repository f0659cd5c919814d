import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageJson = (name: string) =>
  JSON.parse(readFileSync(`${root}packages/${name}/package.json`, 'utf8')) as {
    dependencies?: Record<string, string>;
  };
const workspaceDeps = (name: string) =>
  Object.keys(packageJson(name).dependencies ?? {})
    .filter((dep) => dep.startsWith('@xen-genid/'))
    .map((dep) => dep.slice('@xen-genid/'.length))
    .sort();

describe('package boundaries (ARCHITECTURE.md)', () => {
  it.each([
    ['xc-params', []],
    ['xenstore', []],
    ['hvmloader-sim', ['xc-params', 'xenstore']],
    ['xl-lib', ['hvmloader-sim', 'xc-params', 'xenstore']],
    ['qemu-dm', ['hvmloader-sim', 'xc-params', 'xenstore', 'xl-lib']],
    ['host', ['xc-params', 'xenstore', 'xl-lib']],
    ['xl-cli', ['host', 'qemu-dm', 'xc-params', 'xenstore', 'xl-lib']],
  ])('%s depends on exactly %j', (name, expected) => {
    expect(workspaceDeps(name)).toEqual(expected);
  });
});

/** The relative `.ts` modules a source file imports, statically or with `import()`. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+\.ts)'/gm)].map((match) => match[1] as string);
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__fixtures__' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** One import cycle among `files`, as a list of files, or undefined. */
function findCycle(files: readonly string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'open');
    stack.push(file);
    for (const next of relativeImports(file)) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('modules inside a package', () => {
  const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'src')));

  it('covers every package', () => {
    expect(packages).toEqual(expect.arrayContaining(['xc-params', 'xenstore', 'hvmloader-sim', 'qemu-dm', 'xl-lib', 'host', 'xl-cli', 'integration', 'test-utils']));
  });

  it.each(packages)('%s has no import cycle', (name) => {
    const src = join(root, 'packages', name, 'src');
    const cycle = findCycle(sourceFiles(src));
    expect(cycle?.map((file) => file.slice(src.length + 1))).toBeUndefined();
  });

  it('finds a cycle when there is one', () => {
    const fixtures = fileURLToPath(new URL('./__fixtures__/cycle/', import.meta.url));
    expect(findCycle([join(fixtures, 'a.ts')])?.map((file) => file.slice(fixtures.length))).toEqual(['a.ts', 'b.ts', 'a.ts']);
  });
});
