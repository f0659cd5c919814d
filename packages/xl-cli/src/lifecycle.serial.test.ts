/**
 * Every row of the generation-ID lifecycle (spec/lifecycle.md, `generate` and `none` configs),
 * through the built `xl` spawned by absolute path on temp host files. After each operation the ID
 * in libxl's stored config, in xenstore and in guest memory at HVM param 34 must agree with what
 * the guest read through ACPI; a renewed ID is non-zero and differs from the one before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createXlWorld, genidView, savedGenid, type GenidView, type XlWorld } from './__fixtures__/xl-world.ts';

const ZERO = '0'.repeat(32);
const CFG = 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\non_reboot = "restart"\n';

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('lifecycle');
  world.file('vm.cfg', CFG);
  world.file('none.cfg', 'name = "plain"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "none"\n');
});
afterAll(() => world.cleanup());

function ok(args: string[], host?: string): { stdout: string; stderr: string } {
  const result = world.xl(args, host ? { host } : {});
  expect(result.status, `xl ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
}

/** The invariant: one ID everywhere, as the guest read it. */
function agreed(name: string, host?: string): GenidView & { id: string } {
  const view = genidView(host ?? world.host('a.db'), name);
  expect(view, `domain ${name} exists`).toBeDefined();
  const { config, xenstore, memory, guest } = view!;
  expect(config).toMatch(/^[0-9a-f]{32}$/);
  expect(config).not.toBe(ZERO);
  expect({ xenstore, memory, guest }).toEqual({ xenstore: config, memory: config, guest: config });
  return { ...view!, id: config! };
}

describe('the generation ID through xl, row by row', () => {
  it('xl create: a new random ID, placed by the firmware and read by the guest at boot', () => {
    expect(ok(['create', 'vm.cfg']).stderr).toBe('Parsing config from vm.cfg\n');
    const view = agreed('vm');
    expect(view.reads).toEqual(['boot']);
  });

  it('xl create again from the same file: a new VM, a new random ID', () => {
    const first = agreed('vm').id;
    ok(['create', 'vm.cfg', 'name="vm2"']);
    const second = agreed('vm2').id;
    expect(second).not.toBe(first);
    ok(['destroy', 'vm2']);
  });

  it('xl reboot: the firmware runs again and places the same ID', () => {
    const before = agreed('vm');
    expect(ok(['reboot', 'vm']).stderr).toBe(`Rebooting domain ${before.domid}\n`);
    const after = agreed('vm');
    expect(after.id).toBe(before.id);
    expect(after.domid).toBe(before.domid);
    expect(after.reads.at(-1)).toBe('boot');
  });

  it('xl pause / xl unpause: the same ID, nothing read again', () => {
    const before = agreed('vm');
    ok(['pause', 'vm']);
    expect(agreed('vm')).toMatchObject({ id: before.id, paused: true });
    ok(['unpause', 'vm']);
    const after = agreed('vm');
    expect(after).toMatchObject({ id: before.id, paused: false, reads: before.reads, events: before.events });
  });

  it('xl save -c: the running domain keeps its ID and the file records it', async () => {
    const before = agreed('vm');
    const result = ok(['save', '-c', 'vm', 'ckpt.img']);
    expect(result.stderr).toMatch(/^Saving to ckpt\.img new xl format \(info 0x3\/0x0\/\d+\)\n$/);
    const after = agreed('vm');
    expect(after).toMatchObject({ id: before.id, paused: false, domid: before.domid });
    expect(await savedGenid(world.host('ckpt.img'))).toBe(before.id);
  });

  let saved = '';
  it('xl save: the domain stops, the file records its ID', async () => {
    saved = agreed('vm').id;
    ok(['save', 'vm', 'vm.img']);
    expect(genidView(world.host('a.db'), 'vm')).toBeUndefined();
    expect(await savedGenid(world.host('vm.img'))).toBe(saved);
  });

  it('xl restore file: a new random ID on every restore of the same file, read by the guest on resume', () => {
    const seen = new Set([saved]);
    for (let round = 0; round < 2; round += 1) {
      const result = ok(['restore', 'vm.img']);
      expect(result.stderr).toMatch(
        /^Loading new save file vm\.img \(new xl fmt info 0x3\/0x0\/\d+\)\n Savefile contains xl domain config in JSON format\nParsing config from <saved>\n$/,
      );
      const view = agreed('vm');
      expect(seen.has(view.id)).toBe(false);
      seen.add(view.id);
      // The guest reads the ID when it resumes (and again on the restore's ACPI notify, beyond Xen).
      expect(view.reads[0]).toBe('resume');
      expect(view.reads.every((reason) => reason === 'resume' || reason === 'notify')).toBe(true);
      ok(['destroy', 'vm']);
    }
  });

  it('xl restore cfg file: a new random ID', () => {
    const result = ok(['restore', 'vm.cfg', 'vm.img']);
    expect(result.stderr).toContain('Parsing config from vm.cfg\n');
    expect(agreed('vm').id).not.toBe(saved);
    ok(['destroy', 'vm']);
  });

  it('xl restore -p, then unpause: paused with its new ID already in place', () => {
    ok(['restore', '-p', 'vm.img']);
    const paused = genidView(world.host('a.db'), 'vm')!;
    expect(paused.paused).toBe(true);
    expect(paused.config).not.toBe(saved);
    expect(paused.xenstore).toBe(paused.config);
    expect(paused.memory).toBe(paused.config);
    ok(['unpause', 'vm']);
    expect(agreed('vm').id).toBe(paused.config);
    ok(['destroy', 'vm']);
  });

  it('restore on another host file (disaster recovery): a new random ID', () => {
    const other = world.host('dr.db');
    ok(['restore', 'vm.img'], other);
    expect(agreed('vm', other).id).not.toBe(saved);
    ok(['destroy', 'vm'], other);
  });

  it('xl destroy: the ID is gone with the domain (the xenstore key too)', () => {
    ok(['create', 'vm.cfg']);
    const { domid } = agreed('vm');
    ok(['destroy', 'vm']);
    expect(genidView(world.host('a.db'), 'vm')).toBeUndefined();
    const key = world.xl(['list', String(domid)]);
    expect(key.status).toBe(1);
  });

  it('ms_vm_genid = "none": no ID anywhere on any row, and the guest finds no VGID device', () => {
    const check = (host?: string): void => {
      const view = genidView(host ?? world.host('a.db'), 'plain')!;
      expect(view).toMatchObject({ config: null, xenstore: null, memory: null, guest: null });
    };
    ok(['create', 'none.cfg']);
    check();
    ok(['reboot', 'plain']);
    check();
    ok(['save', 'plain', 'plain.img']);
    ok(['restore', 'plain.img']);
    check();
    ok(['destroy', 'plain']);
  });
});
