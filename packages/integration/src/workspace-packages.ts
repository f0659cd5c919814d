import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The folders under `packages/` of the packages that are published (not private), sorted. */
export const publishedPackages = (): string[] =>
  readdirSync(join(root, 'packages'))
    .filter((name) => existsSync(join(root, 'packages', name, 'package.json')))
    .filter((name) => !(JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { private?: boolean }).private)
    .sort();

/**
 * Copies the repository's files (tracked and untracked, not ignored ones) to `destination`; with
 * `nodeModules`, the packages' `node_modules` links come along and the root's is linked, so pnpm,
 * turbo and tsc run in the copy without an install.
 */
export function copyRepository(destination: string, { nodeModules = false } = {}): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)));
  for (const file of files) {
    mkdirSync(dirname(join(destination, file)), { recursive: true });
    cpSync(join(root, file), join(destination, file));
  }
  if (!nodeModules) return;
  symlinkSync(join(root, 'node_modules'), join(destination, 'node_modules'));
  for (const name of readdirSync(join(root, 'packages'))) {
    const links = join(root, 'packages', name, 'node_modules');
    if (existsSync(links)) cpSync(links, join(destination, 'packages', name, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * Builds the published packages and packs each with `pnpm pack` into `destination`: the tarballs a
 * user would install, by package folder name.
 */
export function packPublished(destination: string): Map<string, string> {
  const names = publishedPackages();
  const run = (args: readonly string[], cwd: string) =>
    execFileSync('pnpm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  run(['turbo', 'run', 'build', '--output-logs=errors-only', ...names.map((name) => `--filter=@xen-genid/${name}`)], root);
  const tarballs = new Map<string, string>();
  for (const name of names) {
    const folder = join(destination, name);
    run(['pack', '--pack-destination', folder], join(root, 'packages', name));
    const [file] = readdirSync(folder).filter((entry) => entry.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack wrote no tarball for ${name}`);
    tarballs.set(name, join(folder, file));
  }
  return tarballs;
}
