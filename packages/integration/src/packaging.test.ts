/**
 * What a user sees of each published package on the registry's page and in its tarball: the licence,
 * keywords, and READMEs whose links and file references still work outside this repository (there is
 * no public repository URL, so a README may link only to files of its own package).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedPackages, root } from './workspace-packages.ts';

interface Manifest {
  readonly license?: string;
  readonly keywords?: readonly string[];
}

/** Markdown link targets of a text, e.g. `docs/x.md` from `[x](docs/x.md)`. */
function linkTargets(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

describe('licence', () => {
  it('the repository has the MIT licence every package declares', () => {
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });
});

describe.each(publishedPackages())('published package %s', (name) => {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');

  it('declares the MIT licence and keywords', () => {
    expect(manifest.license).toBe('MIT');
    expect(manifest.keywords?.length ?? 0).toBeGreaterThan(2);
    expect(manifest.keywords).toContain('xen');
  });

  it('links from its README only to the web or to files inside the package', () => {
    const broken = linkTargets(readme).filter((target) => {
      if (/^(https?:|mailto:|#)/.test(target)) return false;
      const path = target.split('#')[0]!;
      return path.startsWith('/') || path.split('/').includes('..') || !existsSync(join(dir, path));
    });
    expect(broken).toEqual([]);
  });

  it('names no file of the workspace that a reader of the registry page cannot have', () => {
    expect(readme).not.toMatch(/TOOLCHAIN\.md|\bspec\/[\w-]+\.md|\.\.\/\.\.\//);
  });
});

describe('docs', () => {
  const documents = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(root, 'docs')).map((name) => `docs/${name}`)];
  it.each(documents)('%s links only to files that exist', (document) => {
    const markdown = readFileSync(join(root, document), 'utf8');
    const base = join(root, document, '..');
    const broken = linkTargets(markdown)
      .filter((target) => !/^(https?:|mailto:|#)/.test(target))
      .filter((target) => !existsSync(join(base, target.split('#')[0]!)));
    expect(broken).toEqual([]);
    expect(markdown).not.toMatch(/TOOLCHAIN\.md|\bspec\/(lifecycle|anchors)\.md/);
  });
});
