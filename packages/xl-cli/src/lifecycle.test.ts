/**
 * Every row of the generation-ID lifecycle (spec/lifecycle.md, `generate` and `none` configs),
 * through `xl` in process on in-memory machines, one machine per case. After each operation the ID
 * in libxl's stored config, in xenstore and in guest memory at HVM param 34 must agree with what
 * the guest read through ACPI; a renewed ID is non-zero and differs from the one before.
 */
import { describe, expect, it } from 'vitest';
import { memoryXl, type MemoryXl } from './__fixtures__/memory-xl.ts';
import { savedGenid, type GenidView } from './__fixtures__/xl-world.ts';

const ZERO = '0'.repeat(32);
const CFG = 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\non_reboot = "restart"\n';

interface Booted extends MemoryXl {
  readonly cfg: string;
}

/** A machine running `vm`. */
async function booted(seed = 1): Promise<Booted> {
  const world = memoryXl(seed);
  const cfg = world.file('vm.cfg', CFG);
  await world.ok(['create', cfg]);
  return { ...world, cfg };
}

/** A machine where `vm` was saved to a file (and so is gone); the file and the ID it records. */
async function savedVm(): Promise<Booted & { readonly image: string; readonly saved: string }> {
  const world = await booted();
  const saved = agreed(world, 'vm').id;
  const image = `${world.dir}/vm.img`;
  await world.ok(['save', 'vm', image]);
  return { ...world, image, saved };
}

/** The invariant: one ID everywhere, as the guest read it. */
function agreed(world: MemoryXl, name: string): GenidView & { id: string } {
  const view = world.view(name);
  expect(view, `domain ${name} exists`).toBeDefined();
  const { config, xenstore, memory, guest } = view!;
  expect(config).toMatch(/^[0-9a-f]{32}$/);
  expect(config).not.toBe(ZERO);
  expect({ xenstore, memory, guest }).toEqual({ xenstore: config, memory: config, guest: config });
  return { ...view!, id: config! };
}

describe('the generation ID through xl, row by row', () => {
  it('xl create: a new random ID, placed by the firmware and read by the guest at boot', async () => {
    const world = await booted();
    expect(agreed(world, 'vm').reads).toEqual(['boot']);
  });

  it('xl create again from the same file: a new VM, a new random ID', async () => {
    const world = await booted();
    await world.ok(['create', world.cfg, 'name="vm2"']);
    expect(agreed(world, 'vm2').id).not.toBe(agreed(world, 'vm').id);
  });

  it('xl reboot: the firmware runs again and places the same ID', async () => {
    const world = await booted();
    const before = agreed(world, 'vm');
    expect((await world.ok(['reboot', 'vm'])).stderr).toBe(`Rebooting domain ${before.domid}\n`);
    const after = agreed(world, 'vm');
    expect(after).toMatchObject({ id: before.id, domid: before.domid });
    expect(after.reads.at(-1)).toBe('boot');
  });

  it('xl pause / xl unpause: the same ID, nothing read again', async () => {
    const world = await booted();
    const before = agreed(world, 'vm');
    await world.ok(['pause', 'vm']);
    expect(agreed(world, 'vm')).toMatchObject({ id: before.id, paused: true });
    await world.ok(['unpause', 'vm']);
    expect(agreed(world, 'vm')).toMatchObject({ id: before.id, paused: false, reads: before.reads, events: before.events });
  });

  it('xl save -c: the running domain keeps its ID and the file records it', async () => {
    const world = await booted();
    const before = agreed(world, 'vm');
    const image = `${world.dir}/ckpt.img`;
    const result = await world.ok(['save', '-c', 'vm', image]);
    // As real xl on a stderr that is not a terminal: libxc's progress as lines.
    expect(result.stderr).toMatch(
      new RegExp(`^Saving to ${image} new xl format \\(info 0x3/0x0/\\d+\\)\\nxc: info: Saving domain \\d+, type x86 HVM\\nxc: progress: Frames: (\\d+)/\\1  100%\\nxc: progress: End of stream: 0/0    0%\\n$`),
    );
    expect(agreed(world, 'vm')).toMatchObject({ id: before.id, paused: false, domid: before.domid });
    expect(await savedGenid(image)).toBe(before.id);
  });

  it('xl save: the domain stops, the file records its ID', async () => {
    const world = await savedVm();
    expect(world.view('vm')).toBeUndefined();
    expect(await savedGenid(world.image)).toBe(world.saved);
  });

  it('xl restore file: a new random ID on every restore of the same file, read by the guest on resume', async () => {
    const world = await savedVm();
    const seen = new Set([world.saved]);
    for (let round = 0; round < 2; round += 1) {
      const result = await world.ok(['restore', world.image]);
      expect(result.stderr).toBe(
        `Loading new save file ${world.image} (new xl fmt info 0x3/0x0/${/0x0\/(\d+)\)/.exec(result.stderr)![1]})\n Savefile contains xl domain config in JSON format\nParsing config from <saved>\n` +
          'xc: info: Found x86 HVM domain from Xen 4.17\nxc: info: Restoring domain\n' +
          'xc: progress: Frames restored: 3/3  100%\n' +
          'xc: info: Restore successful\nxc: info: XenStore: mfn 0xfeffc, dom 0, evt 1\nxc: info: Console: mfn 0xfefff, dom 0, evt 2\n',
      );
      const view = agreed(world, 'vm');
      expect(seen.has(view.id)).toBe(false);
      seen.add(view.id);
      // The guest reads the ID when it resumes (and again on the restore's ACPI notify, beyond Xen).
      expect(view.reads[0]).toBe('resume');
      expect(view.reads.every((reason) => reason === 'resume' || reason === 'notify')).toBe(true);
      await world.ok(['destroy', 'vm']);
    }
  });

  it('xl restore cfg file: a new random ID', async () => {
    const world = await savedVm();
    expect((await world.ok(['restore', world.cfg, world.image])).stderr).toContain(`Parsing config from ${world.cfg}\n`);
    expect(agreed(world, 'vm').id).not.toBe(world.saved);
  });

  it('xl restore -p, then unpause: paused with its new ID already in place', async () => {
    const world = await savedVm();
    await world.ok(['restore', '-p', world.image]);
    const paused = world.view('vm')!;
    expect(paused.paused).toBe(true);
    expect(paused.config).not.toBe(world.saved);
    expect(paused.xenstore).toBe(paused.config);
    expect(paused.memory).toBe(paused.config);
    await world.ok(['unpause', 'vm']);
    expect(agreed(world, 'vm').id).toBe(paused.config);
  });

  it('restore on another machine (disaster recovery): a new random ID', async () => {
    const world = await savedVm();
    const other = memoryXl(2);
    await other.ok(['restore', world.image]);
    expect(agreed(other, 'vm').id).not.toBe(world.saved);
  });

  it('xl destroy: the ID is gone with the domain (the xenstore key too)', async () => {
    const world = await booted();
    const { domid } = agreed(world, 'vm');
    await world.ok(['destroy', 'vm']);
    expect(world.view('vm')).toBeUndefined();
    expect(world.parts.hypervisor.getDomain(domid)).toBeUndefined();
    const xs = world.parts.xenstore.connect(0);
    expect(xs.tryRead(`/local/domain/${domid}/platform/generation-id`)).toBeUndefined();
    xs.close();
    expect((await world.xl(['list', String(domid)])).status).toBe(1);
  });

  it('ms_vm_genid = "none": no ID anywhere on any row, and the guest finds no VGID device', async () => {
    const world = memoryXl();
    const check = (): void => {
      expect(world.view('plain')).toMatchObject({ config: null, xenstore: null, memory: null, guest: null });
    };
    await world.ok(['create', world.file('none.cfg', 'name = "plain"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "none"\n')]);
    check();
    await world.ok(['reboot', 'plain']);
    check();
    const image = `${world.dir}/plain.img`;
    await world.ok(['save', 'plain', image]);
    await world.ok(['restore', image]);
    check();
  });
});
