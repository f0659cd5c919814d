/**
 * `pnpm typecheck` never passes from turbo's cache when a dependency changed: in a copy of the
 * repository, type-check hvmloader-sim (cached afterwards), remove an export of xc-params that only
 * hvmloader-sim uses, and type-check again.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyRepository } from './workspace-packages.ts';

const typecheck = (cwd: string) => {
  const result = spawnSync('pnpm', ['typecheck', '--filter=@xen-genid/hvmloader-sim', '--output-logs=errors-only'], {
    cwd,
    encoding: 'utf8',
    timeout: 200_000,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: '0' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
};

describe('turbo typecheck and a changed dependency', () => {
  const copy = mkdtempSync(join(tmpdir(), 'xen-genid-typecheck-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('fails after an export that another package uses is removed, though that package did not change', () => {
    copyRepository(copy, { nodeModules: true });
    const first = typecheck(copy);
    expect(first.status, first.output).toBe(0);
    const again = typecheck(copy);
    expect(again.status, again.output).toBe(0);
    expect(again.output).toMatch(/FULL TURBO/); // the cache is in use, so the next run could replay it

    const index = join(copy, 'packages', 'xc-params', 'src', 'index.ts');
    const source = readFileSync(index, 'utf8');
    expect(source).toMatch(/^ {2}createGuestMemory,\n/m);
    writeFileSync(index, source.replace(/^ {2}createGuestMemory,\n/m, ''));
    const broken = typecheck(copy);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/hvmloader-sim.*error TS2\d+:.*createGuestMemory/s);
  });
});
