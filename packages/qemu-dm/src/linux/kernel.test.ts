import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedKernel, defaultCacheDir, ensureKernel } from './kernel.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xen-genid-kernel-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the kernel cache', () => {
  it('lives under $XDG_CACHE_HOME, else ~/.cache, never in the working tree', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/xen-genid');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(join(homedir(), '.cache', 'xen-genid'));
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'xen-genid'));
  });

  it('finds a fetched kernel by package name and uses it without asking apt', async () => {
    const cache = tempDir();
    mkdirSync(join(cache, 'kernels', 'linux-image-9.9.9-1-amd64', 'boot'), { recursive: true });
    writeFileSync(join(cache, 'kernels', 'linux-image-9.9.9-1-amd64', 'boot', 'vmlinuz-9.9.9-1-amd64'), 'not really a kernel');
    const path = join(cache, 'kernels', 'linux-image-9.9.9-1-amd64', 'boot', 'vmlinuz-9.9.9-1-amd64');
    // Not an xz-packed bzImage: no PVH image can be unpacked, so QEMU gets the file itself.
    const expected = { path, packageName: 'linux-image-9.9.9-1-amd64', bootImage: path };
    expect(cachedKernel('linux-image-9.9.9-1-amd64', cache)).toEqual(expected);
    expect(cachedKernel('linux-image-1.0.0-1-amd64', cache)).toBeUndefined();
    await expect(ensureKernel({ cacheDir: cache, packageName: 'linux-image-9.9.9-1-amd64' })).resolves.toEqual(expected);
  });
});

describe('without apt', () => {
  it('falls back to the newest cached kernel, and says what is missing when there is none', async () => {
    const cache = tempDir();
    for (const name of ['linux-image-6.1.0-9-amd64', 'linux-image-6.1.0-56-amd64']) {
      mkdirSync(join(cache, 'kernels', name, 'boot'), { recursive: true });
      writeFileSync(join(cache, 'kernels', name, 'boot', `vmlinuz-${name.slice(12)}`), 'not really a kernel');
    }
    const path = process.env.PATH;
    process.env.PATH = tempDir();
    try {
      await expect(ensureKernel({ cacheDir: cache })).resolves.toMatchObject({ packageName: 'linux-image-6.1.0-56-amd64' });
      await expect(ensureKernel({ cacheDir: tempDir() })).resolves.toEqual({ missing: expect.stringMatching(/^cannot ask apt which kernel linux-image-amd64 is .*pass --kernel <vmlinuz>$/) });
    } finally {
      process.env.PATH = path;
    }
  });
});

describeWithReferee('fetching with apt-get', findReferee('apt-get', ['apt-get', 'dpkg-deb']), () => {
  it('reports a package apt does not know, leaving nothing behind in the cache', async () => {
    const cache = tempDir();
    const result = await ensureKernel({ cacheDir: cache, packageName: 'linux-image-0.0.0-0-xen-genid-absent-amd64' });
    expect(result).toEqual({ missing: expect.stringMatching(/^apt-get download linux-image-0\.0\.0-0-xen-genid-absent-amd64 failed: /) });
    expect(readdirSync(join(cache, 'kernels'))).toEqual([]);
  }, 60_000); // apt-get reads its package lists first: seconds on a loaded machine
});
