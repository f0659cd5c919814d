/**
 * docs/architecture.md names the files a contributor starts from; every `packages/...` path it
 * gives (placeholders such as `<name>` aside) must exist, so a move that forgets the page fails here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './workspace-packages.ts';

/** The `packages/...` paths quoted in code spans of `markdown`. */
function quotedPackagePaths(markdown: string): string[] {
  return [...markdown.matchAll(/`(packages\/[^`<>\s]+)`/g)].map((match) => match[1]!.replace(/\/$/, ''));
}

describe('docs/architecture.md', () => {
  it('finds the quoted paths, and only those', () => {
    expect(quotedPackagePaths('a `packages/x/src/a.ts` b `packages/y/` c `packages/z/<name>.ts` `other.ts`')).toEqual([
      'packages/x/src/a.ts',
      'packages/y',
    ]);
  });

  it('names only files and folders that exist', () => {
    const paths = quotedPackagePaths(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((path) => !existsSync(join(root, path)))).toEqual([]);
  });
});
