/**
 * Every examples/*.cfg through `xl` in process, each on an in-memory machine of its own: it parses,
 * creates, and the ID is where the config says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const root = new URL('../../../', import.meta.url).pathname;
const examples = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.cfg')).sort();

describe('examples/*.cfg', () => {
  it('there are examples, one of them with ms_vm_genid = "generate"', () => {
    expect(examples).toContain('genid.cfg');
  });

  for (const name of examples) {
    it(`${name}: parses, creates, and the ID is where the config says`, async () => {
      const world = memoryXl();
      const path = join(root, 'examples', name);
      const text = readFileSync(path, 'utf8');
      const dry = await world.ok(['-N', 'create', path]);
      const domainName = (JSON.parse(dry.stdout) as { c_info: { name: string } }).c_info.name;
      await world.ok(['create', path]);
      const view = world.view(domainName)!;
      if (/^\s*ms_vm_genid\s*=\s*"generate"/m.test(text)) {
        expect(view.config).toMatch(/^[0-9a-f]{32}$/);
        expect({ xenstore: view.xenstore, memory: view.memory, guest: view.guest }).toEqual({ xenstore: view.config, memory: view.config, guest: view.config });
      } else {
        expect(view).toMatchObject({ config: null, xenstore: null, memory: null, guest: null });
      }
      await world.ok(['destroy', domainName]);
      expect(world.view(domainName)).toBeUndefined();
    });
  }
});
