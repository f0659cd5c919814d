/** A temporary directory per test, removed afterwards: tests never touch the user's default host. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export function useTempDir(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'xen-genid-host-'));
    dirs.push(dir);
    return dir;
  };
}

export const hostFile = (dir: string): string => join(dir, 'host.db');
