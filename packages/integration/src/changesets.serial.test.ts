/**
 * A release as the maintainers make it: `changeset version` in a copy of the repository (the
 * checked-in files, no git needed) bumps every published package and writes its CHANGELOG.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyRepository, publishedPackages, root } from './workspace-packages.ts';

const changesetBin = join(root, 'node_modules', '@changesets', 'cli', 'bin.js');

describe('changeset version in a copy of the repository', () => {
  const copy = mkdtempSync(join(tmpdir(), 'xen-genid-changesets-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('writes a CHANGELOG.md for each published package', () => {
    copyRepository(copy);
    const packages = publishedPackages();
    writeFileSync(
      join(copy, '.changeset', 'release-check.md'),
      `---\n${packages.map((name) => `'@xen-genid/${name}': patch`).join('\n')}\n---\n\nA release check.\n`,
    );
    execFileSync(process.execPath, [changesetBin, 'version'], { cwd: copy, encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
    for (const name of packages) {
      const changelog = readFileSync(join(copy, 'packages', name, 'CHANGELOG.md'), 'utf8');
      const { version } = JSON.parse(readFileSync(join(copy, 'packages', name, 'package.json'), 'utf8')) as { version: string };
      expect(changelog, name).toContain(`# @xen-genid/${name}\n\n## ${version}\n`);
      expect(changelog, name).toContain('A release check.');
      expect(version, name).not.toBe('0.0.0');
    }
    expect(existsSync(join(copy, '.changeset', 'release-check.md'))).toBe(false);
  });
});
