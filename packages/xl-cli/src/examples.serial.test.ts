/**
 * The README's main job (`pnpm --silent run demo`, the last step of scripts/setup.sh) on a temp
 * host file: it creates the example domain with a generated ID, lists it, shows the ID the guest
 * read, and can be run again and again.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MsVmGenid } from '@xen-genid/xl-lib';
import { createXlWorld, genidView, type XlWorld } from './__fixtures__/xl-world.ts';

const root = new URL('../../../', import.meta.url).pathname;

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('examples');
});
afterAll(() => world.cleanup());

describe('the main job (pnpm --silent run demo)', () => {
  function demo(): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync('pnpm', ['--silent', 'run', 'demo'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, XEN_GENID_HOST: world.host('main.db') },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('creates the example domain, lists it and shows its ID as config, xenstore and the guest hold it; again and again', () => {
    const seen: string[] = [];
    for (let run = 0; run < 2; run += 1) {
      const result = demo();
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toBe('Parsing config from examples/genid.cfg\n');
      const lines = result.stdout.split('\n');
      expect(lines[0]).toBe('Name                                        ID   Mem VCPUs\tState\tTime(s)');
      expect(lines[1]).toMatch(/^Domain-0 /);
      expect(lines.filter((line) => line.startsWith('genid-example '))).toHaveLength(1);
      const shown = (name: string) => new RegExp(`^${name}: +(\\d+:\\d+)$`, 'm').exec(result.stdout)?.[1];
      const key = shown('xenstore');
      expect(key).toBeDefined();
      expect(shown('config')).toBe(key);
      expect(shown('guest')).toBe(key);
      expect(result.stdout).toMatch(/^notifications: 0$/m);
      const read = MsVmGenid.fromXenstore(key!).toHex();
      expect(genidView(world.host('main.db'), 'genid-example')!.guest).toBe(read);
      seen.push(read);
    }
    expect(seen[1]).not.toBe(seen[0]);
  });
});

describe('the param 34 hand-over (pnpm run demo:param34, examples/demo.mjs)', () => {
  it("shows hvmloader publishing the address and libxl writing the ID there, and the guest's read", () => {
    const result = spawnSync(process.execPath, ['examples/demo.mjs'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('hvmloader in domain 1: set HVM_PARAM_VM_GENERATION_ID_ADDR (34) = 0xfc001000\n');
    expect(result.stdout).toContain('setting HVM_PARAM_IDENT_PT on itself is refused: EPERM');
    const written = /wrote generation ID ([0-9a-f]{32})/.exec(result.stdout)?.[1];
    expect(written).toBeDefined();
    expect(result.stdout.split(written!).length - 1).toBeGreaterThanOrEqual(2); // written, then read back
  });
});
