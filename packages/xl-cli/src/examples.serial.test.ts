/**
 * Every examples/*.cfg through the built `xl` on a temp host file, and the README's main job
 * (`pnpm --silent run demo`, the last step of scripts/setup.sh): it creates the example domain with
 * a generated ID, lists it, shows the ID the guest read, and can be run again and again.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MsVmGenid } from '@xen-genid/xl-lib';
import { createXlWorld, genidView, type XlWorld } from './__fixtures__/xl-world.ts';

const root = new URL('../../../', import.meta.url).pathname;
const examples = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.cfg')).sort();

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('examples');
});
afterAll(() => world.cleanup());

describe('examples/*.cfg', () => {
  it('there are examples, one of them with ms_vm_genid = "generate"', () => {
    expect(examples).toContain('genid.cfg');
  });

  for (const name of examples) {
    it(`${name}: parses, creates, and the ID is where the config says`, () => {
      const path = join(root, 'examples', name);
      const text = readFileSync(path, 'utf8');
      const dry = world.xl(['-N', 'create', path]);
      expect(dry.status, dry.stderr).toBe(0);
      const domainName = (JSON.parse(dry.stdout) as { c_info: { name: string } }).c_info.name;
      const created = world.xl(['create', path]);
      expect(created.status, created.stderr).toBe(0);
      const view = genidView(world.host('a.db'), domainName)!;
      if (/^\s*ms_vm_genid\s*=\s*"generate"/m.test(text)) {
        expect(view.config).toMatch(/^[0-9a-f]{32}$/);
        expect({ xenstore: view.xenstore, memory: view.memory, guest: view.guest }).toEqual({ xenstore: view.config, memory: view.config, guest: view.config });
      } else {
        expect(view).toMatchObject({ config: null, xenstore: null, memory: null, guest: null });
      }
      expect(world.xl(['destroy', domainName]).status).toBe(0);
    });
  }
});

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
