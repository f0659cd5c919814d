/**
 * The guest kernel: Debian's own `linux-image-amd64` (6.1 in bookworm, with `CONFIG_VMGENID=y`,
 * `CONFIG_ACPI_TABLE_UPGRADE=y` and `CONFIG_KPROBE_EVENTS=y`), fetched once with
 * `apt-get download` into a cache outside any repository and used read-only afterwards.
 * Only `boot/vmlinuz-*` is unpacked from the package (the modules are not needed: vmgenid is built in).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execFileAsync as run } from '../node-builtins.ts';
import { extractPvhVmlinux, hasPvhEntry } from './pvh-image.ts';

/** The metapackage whose dependency names the current kernel package. */
export const KERNEL_METAPACKAGE = 'linux-image-amd64';

/** `$XDG_CACHE_HOME/xen-genid` (default `~/.cache/xen-genid`): never inside a repository. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'xen-genid');
}

export interface KernelImage {
  /** Absolute path of the bzImage. */
  readonly path: string;
  /**
   * What QEMU is given: the vmlinux unpacked from `path` when it boots through the PVH entry (no
   * in-guest decompression, which dominates a TCG boot), else `path` itself.
   */
  readonly bootImage: string;
  /** The Debian package it came from, when fetched (`linux-image-6.1.0-56-amd64`). */
  readonly packageName?: string;
}

/** Why a kernel could not be had (the command reports it with exit status 2). */
export interface KernelMissing {
  readonly missing: string;
}

/** Marks a failure on the way to a kernel whose message is fit for the user as it is. */
const FETCH_PROBLEM = Symbol('kernel fetch problem');

function fetchProblem(message: string): Error {
  return Object.assign(new Error(message), { [FETCH_PROBLEM]: true });
}

/** The package `linux-image-amd64` depends on now, from apt's cache (needs `apt-get update` once). */
async function resolveKernelPackage(): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('apt-cache', ['depends', KERNEL_METAPACKAGE], { encoding: 'utf8' }));
  } catch (error) {
    throw fetchProblem(
      `cannot ask apt which kernel ${KERNEL_METAPACKAGE} is (${(error as Error).message.split('\n')[0]}); ` +
        'run `apt-get update`, or pass --kernel <vmlinuz>',
    );
  }
  const match = /Depends:\s*(linux-image-[0-9][^\s<>]*-amd64)/.exec(stdout);
  if (!match?.[1]) {
    throw fetchProblem(`apt knows no kernel package behind ${KERNEL_METAPACKAGE}; run \`apt-get update\`, or pass --kernel <vmlinuz>`);
  }
  return match[1];
}

function findVmlinuz(dir: string): string | undefined {
  const bootDir = join(dir, 'boot');
  if (!existsSync(bootDir)) return undefined;
  const name = readdirSync(bootDir).find((entry) => entry.startsWith('vmlinuz-'));
  return name ? join(bootDir, name) : undefined;
}

/** Name of the unpacked, PVH-bootable vmlinux beside `boot/` in a cached kernel's directory. */
export const PVH_VMLINUX = 'vmlinux-pvh';

/** The cached kernel of `packageName`, if it was fetched before. */
export function cachedKernel(packageName: string, cacheDir: string = defaultCacheDir()): KernelImage | undefined {
  const dir = join(cacheDir, 'kernels', packageName);
  const path = findVmlinuz(dir);
  if (!path) return undefined;
  const pvh = join(dir, PVH_VMLINUX);
  return { path, packageName, bootImage: existsSync(pvh) && hasPvhEntry(pvh) ? pvh : path };
}

/** The cached kernel with the highest package name (version-aware), if any. */
function newestCachedKernel(cacheDir: string): KernelImage | undefined {
  let names: string[];
  try {
    names = readdirSync(join(cacheDir, 'kernels')).filter((name) => name.startsWith('linux-image-'));
  } catch {
    return undefined;
  }
  names.sort((left, right) => left.localeCompare(right, 'en', { numeric: true }));
  for (const name of names.reverse()) {
    const kernel = cachedKernel(name, cacheDir);
    if (kernel) return kernel;
  }
  return undefined;
}

export interface EnsureKernelOptions {
  readonly cacheDir?: string;
  /** A package name to use instead of asking apt which one `linux-image-amd64` means. */
  readonly packageName?: string;
}

/**
 * The current Debian kernel, from the cache or fetched into it: `apt-get download` into a private
 * directory, `dpkg-deb --fsys-tarfile | tar` of `./boot/vmlinuz-*` only, its vmlinux unpacked for a
 * PVH boot when possible (`pvh-image.ts`), then one rename into place,
 * so a concurrent or interrupted fetch never leaves a half-written kernel behind.
 */
export async function ensureKernel(options: EnsureKernelOptions = {}): Promise<KernelImage | KernelMissing> {
  try {
    return await fetchKernel(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { missing: typeof error === 'object' && error !== null && FETCH_PROBLEM in error ? message : `cannot fetch the kernel: ${message}` };
  }
}

async function fetchKernel(options: EnsureKernelOptions): Promise<KernelImage> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  let packageName = options.packageName;
  if (packageName === undefined) {
    try {
      packageName = await resolveKernelPackage();
    } catch (error) {
      // Without apt's lists (offline, no `apt-get update`), a kernel fetched earlier still serves.
      const fallback = newestCachedKernel(cacheDir);
      if (fallback) return fallback;
      throw error;
    }
  }
  const cached = cachedKernel(packageName, cacheDir);
  if (cached) {
    // Kernels cached before the PVH image was kept get it once, in place.
    if (cached.bootImage !== cached.path) return cached;
    await extractPvhVmlinux(cached.path, join(cacheDir, 'kernels', packageName, PVH_VMLINUX));
    return cachedKernel(packageName, cacheDir) ?? cached;
  }
  const kernelsDir = join(cacheDir, 'kernels');
  mkdirSync(kernelsDir, { recursive: true });
  const staging = mkdtempSync(join(kernelsDir, `.fetch-${packageName}-`));
  try {
    try {
      await run('apt-get', ['download', '-q', packageName], { cwd: staging, encoding: 'utf8' });
    } catch (error) {
      throw fetchProblem(
        `apt-get download ${packageName} failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n').pop()}`,
      );
    }
    const deb = readdirSync(staging).find((entry) => entry.endsWith('.deb'));
    if (!deb) throw fetchProblem(`apt-get download ${packageName} produced no .deb`);
    const unpacked = join(staging, 'root');
    mkdirSync(unpacked);
    await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./boot/vmlinuz-*"', 'sh', join(staging, deb), unpacked]);
    const vmlinuz = findVmlinuz(unpacked);
    if (!vmlinuz) throw fetchProblem(`${deb} holds no boot/vmlinuz-*`);
    await extractPvhVmlinux(vmlinuz, join(unpacked, PVH_VMLINUX));
    try {
      renameSync(unpacked, join(kernelsDir, packageName));
    } catch (error) {
      // Another process fetched the same kernel meanwhile: use theirs.
      if (!cachedKernel(packageName, cacheDir)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const fetched = cachedKernel(packageName, cacheDir);
  if (!fetched) throw fetchProblem(`kernel ${packageName} vanished from ${kernelsDir}`);
  return fetched;
}
