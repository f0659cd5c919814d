/**
 * Kernel modules the resident `/init` loads. Debian builds the ACPI power button driver as a module
 * (`drivers/acpi/button.ko`, uncompressed in bookworm's 6.1 packages); without it Linux never
 * counts a press, and QMP `system_powerdown` does nothing. It is taken from the same package as the
 * kernel (`apt-get download`, then `dpkg-deb --fsys-tarfile | tar`), into the kernel's cache
 * directory, once.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultCacheDir } from '../linux/kernel.ts';
import { QemuDmError } from '../errors.ts';
import { execFileAsync as run } from '../node-builtins.ts';

/** The power button driver, inside `lib/modules/<release>/`. */
export const BUTTON_MODULE = 'kernel/drivers/acpi/button.ko';

/** Where the module of `packageName` is kept once fetched. */
export function cachedModulePath(packageName: string, module: string, cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, 'kernels', packageName, 'modules', module.split('/').pop()!);
}

/**
 * The button module fetched beside a cached kernel (`<cache>/kernels/<package>/modules/button.ko`),
 * when `kernel` lies in such a directory and the module is there.
 */
export function cachedModuleBeside(kernel: string, module: string = BUTTON_MODULE): string | undefined {
  const match = /^(.*\/kernels\/linux-image-[^/]+)\//.exec(kernel);
  if (!match?.[1]) return undefined;
  const path = join(match[1], 'modules', module.split('/').pop()!);
  return existsSync(path) ? path : undefined;
}

/**
 * The module `module` of Debian kernel package `packageName`, from the cache or fetched into it
 * (a private staging directory, then one rename, so concurrent fetches never see half a file).
 */
export async function ensureKernelModule(packageName: string, module: string = BUTTON_MODULE, cacheDir: string = defaultCacheDir()): Promise<string> {
  const target = cachedModulePath(packageName, module, cacheDir);
  if (existsSync(target)) return target;
  if (!/^linux-image-[0-9][\w.+-]*$/.test(packageName)) throw new QemuDmError('INVALID_ARGUMENT', `${JSON.stringify(packageName)} is not a Debian kernel package name`);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), '.fetch-'));
  try {
    try {
      await run('apt-get', ['download', '-q', packageName], { cwd: staging, encoding: 'utf8' });
    } catch (error) {
      throw new QemuDmError('MISSING', `apt-get download ${packageName} failed: ${((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n').pop()}`);
    }
    const deb = readdirSync(staging).find((entry) => entry.endsWith('.deb'));
    if (!deb) throw new QemuDmError('MISSING', `apt-get download ${packageName} produced no .deb`);
    await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./lib/modules/*/$3"', 'sh', join(staging, deb), staging, module]);
    const modulesRoot = join(staging, 'lib', 'modules');
    const release = existsSync(modulesRoot) ? readdirSync(modulesRoot)[0] : undefined;
    const found = release ? join(modulesRoot, release, module) : undefined;
    if (!found || !existsSync(found)) throw new QemuDmError('MISSING', `${deb} holds no ${module}`);
    renameSync(found, target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}
