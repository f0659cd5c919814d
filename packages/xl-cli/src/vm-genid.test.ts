/**
 * Beyond Xen, through `xl` in process on in-memory machines (one per case): `xl vm-genid` queries a
 * running domain's ID in every view without changing anything; `--new` and `--set` renew it and
 * the guest model receives the ACPI notify and re-reads; an explicit `ms_vm_genid = "<ID>"` follows
 * the explicit-ID column of the lifecycle policy; a restore that renews the ID notifies.
 */
import { describe, expect, it } from 'vitest';
import { MsVmGenid } from '@xen-genid/xl-lib';
import { memoryXl, type MemoryXl } from './__fixtures__/memory-xl.ts';
import type { GenidView } from './__fixtures__/xl-world.ts';

const GUID = '44332211-6655-8877-99aa-bbccddeeff00';
const GUID_HEX = '112233445566778899aabbccddeeff00';
const XENSTORE = '9833440827789222417:72038755451251353';
const GENERATE = 'name = "gen"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n';
const EXPLICIT = `name = "exp"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "${GUID}"\n`;
const EXPLICIT_XS = EXPLICIT.replace(GUID, XENSTORE).replace('"exp"', '"expxs"');

/** A machine running the domain of `config`; the config file's path. */
async function running(config: string): Promise<MemoryXl & { readonly cfg: string }> {
  const world = memoryXl();
  const cfg = world.file('domain.cfg', config);
  await world.ok(['create', cfg]);
  return { ...world, cfg };
}

/** One ID everywhere (config, xenstore, memory, guest), returned with the view. */
function agreed(world: MemoryXl, name: string): GenidView & { id: string } {
  const view = world.view(name)!;
  expect(view, `domain ${name}`).toBeDefined();
  expect(view.config).toMatch(/^[0-9a-f]{32}$/);
  expect({ xenstore: view.xenstore, memory: view.memory, guest: view.guest }).toEqual({ xenstore: view.config, memory: view.config, guest: view.config });
  return { ...view, id: view.config! };
}

async function query(world: MemoryXl, name: string): Promise<{ config: string | null; xenstore: string | null; guest: string | null; notifications: number }> {
  return JSON.parse((await world.ok(['vm-genid', '--json', name])).stdout) as never;
}

describe('xl vm-genid: the query', () => {
  it('shows every view in every format, changes nothing and sends no notify', async () => {
    const world = await running(EXPLICIT);
    const before = agreed(world, 'exp');
    expect(before.id).toBe(GUID_HEX);
    const id = MsVmGenid.fromHex(GUID_HEX);
    const result = await world.ok(['vm-genid', 'exp']);
    const block = (name: string): string =>
      `${name}:\n  xenstore  ${XENSTORE}\n  guid      ${GUID}\n  hex       ${GUID_HEX}\n  hyperv    ${id.toHyperv()}\n` +
      `  vmware    vm.genid = "${id.toVmware().genid}", vm.genidX = "${id.toVmware().genidX}"\n`;
    expect(result).toEqual({ status: 0, stdout: `${block('config')}${block('xenstore')}${block('guest')}notifications: 0\n`, stderr: '' });
    for (const format of ['xenstore', 'guid', 'hex', 'hyperv'] as const) {
      const value = { xenstore: XENSTORE, guid: GUID, hex: GUID_HEX, hyperv: id.toHyperv() }[format];
      expect((await world.ok(['vm-genid', '--format', format, 'exp'])).stdout).toBe(`config:   ${value}\nxenstore: ${value}\nguest:    ${value}\nnotifications: 0\n`);
    }
    expect(await query(world, 'exp')).toEqual({ config: GUID_HEX, xenstore: GUID_HEX, guest: GUID_HEX, notifications: 0 });
    expect(agreed(world, 'exp')).toEqual(before);
  });

  it('a domain without an ID: every view null, exit 0; --new is refused', async () => {
    const world = await running('name = "plain"\ntype = "hvm"\nmemory = 64\n');
    expect(await query(world, 'plain')).toEqual({ config: null, xenstore: null, guest: null, notifications: 0 });
    expect((await world.ok(['vm-genid', '--format', 'guid', 'plain'])).stdout).toBe('config:   none\nxenstore: none\nguest:    none\nnotifications: 0\n');
    const refused = await world.xl(['vm-genid', '--new', 'plain']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^libxl: error: .*has no VM generation ID/);
  });

  it('exits 1 with a sentence when the present views disagree', async () => {
    const world = await running(GENERATE);
    const { domid, id } = agreed(world, 'gen');
    // Make xenstore differ, as a stray xenstore-write would.
    const xs = world.parts.xenstore.connect(0);
    xs.write(`/local/domain/${domid}/platform/generation-id`, '1:2');
    xs.close();
    const result = await world.xl(['vm-genid', '--json', 'gen']);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ config: id, xenstore: MsVmGenid.fromWords(1n, 2n).toHex(), guest: id });
    expect(result.stderr).toBe(
      "The generation ID in libxl's stored config differs from the one in xenstore.\n" +
        "The generation ID in xenstore differs from the one in the guest's last reading through ACPI.\n",
    );
  });

  it('refuses bad usage: both --new and --set, an unknown format, an unparsable ID, an unknown domain', async () => {
    const world = await running(EXPLICIT);
    expect(await world.xl(['vm-genid', '--new', '--set', GUID, 'exp'])).toEqual({ status: 2, stdout: '', stderr: 'xl vm-genid: --new and --set cannot be used together.\n' });
    expect((await world.xl(['vm-genid', '--format', 'octal', 'exp'])).status).toBe(2);
    expect((await world.xl(['vm-genid', 'exp', 'exp'])).status).toBe(2);
    const bad = await world.xl(['vm-genid', '--set', 'not-an-id', 'exp']);
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/^xl vm-genid: .*is not a generation ID/)]);
    expect(await world.xl(['vm-genid', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(agreed(world, 'exp').id).toBe(GUID_HEX);
  });
});

describe('xl vm-genid --new / --set: renewal with an ACPI notify', () => {
  it('--new: a new random ID everywhere; the guest receives the notify and reads the new ID', async () => {
    const world = await running(EXPLICIT);
    const before = agreed(world, 'exp');
    const result = await world.ok(['vm-genid', '--new', 'exp']);
    const after = agreed(world, 'exp');
    expect(after.id).not.toBe(before.id);
    expect(after.id).not.toBe('0'.repeat(32));
    expect(result.stdout).toBe(`Domain ${after.domid}: generation ID ${MsVmGenid.fromHex(after.id).toGuid()} (guest notified)\n`);
    expect(after.reads.at(-1)).toBe('notify');
    expect(after.events).toBe(before.events + 1);
    expect(await query(world, 'exp')).toEqual({ config: after.id, xenstore: after.id, guest: after.id, notifications: 1 });
  });

  it('--set in any text form: that ID, notified; the current value again sends no notify', async () => {
    const world = await running(GENERATE);
    await world.ok(['vm-genid', '--set', XENSTORE, 'gen']);
    expect(agreed(world, 'gen').id).toBe(GUID_HEX);
    expect((await query(world, 'gen')).notifications).toBe(1);
    const same = await world.ok(['vm-genid', '--set', GUID, 'gen']);
    expect(same.stdout).toMatch(/\(unchanged, no notify\)\n$/);
    expect((await query(world, 'gen')).notifications).toBe(1);
    const id = MsVmGenid.fromWords(0x1122n, 0x3344n);
    for (const form of [`hyperv:${id.toHyperv()}`, `vmware:${id.toVmware().genid},${id.toVmware().genidX}`, id.toHex(), `windows:${id.toWindows()}`]) {
      await world.ok(['vm-genid', '--set', form, 'gen']);
      expect(agreed(world, 'gen').id).toBe(id.toHex());
      await world.ok(['vm-genid', '--set', GUID, 'gen']);
    }
  });

  it('a paused domain gets the notify when unpaused', async () => {
    const world = await running(EXPLICIT);
    await world.ok(['pause', 'exp']);
    expect((await world.ok(['vm-genid', '--new', 'exp'])).stdout).toMatch(/\(notify pending: the domain is paused\)\n$/);
    const paused = world.view('exp')!;
    expect(paused.guest).not.toBe(paused.config); // the guest has not run since
    await world.ok(['unpause', 'exp']);
    const after = agreed(world, 'exp');
    expect(after.reads.at(-1)).toBe('notify');
    expect(after.id).toBe(paused.config);
  });
});

describe('the explicit-ID column and the beyond-Xen notify on restore', () => {
  it('xl create from an explicit ID (GUID or xenstore form): that ID, again on a second create', async () => {
    const world = await running(EXPLICIT_XS);
    expect(agreed(world, 'expxs').id).toBe(GUID_HEX);
    await world.ok(['destroy', 'expxs']);
    await world.ok(['create', world.cfg]);
    expect(agreed(world, 'expxs').id).toBe(GUID_HEX);
  });

  it('reboot, pause and save -c keep the explicit ID', async () => {
    const world = await running(EXPLICIT_XS);
    await world.ok(['reboot', 'expxs']);
    expect(agreed(world, 'expxs').id).toBe(GUID_HEX);
    await world.ok(['pause', 'expxs']);
    await world.ok(['unpause', 'expxs']);
    expect(agreed(world, 'expxs').id).toBe(GUID_HEX);
    await world.ok(['save', '-c', 'expxs', `${world.dir}/expxs.img`]);
    expect(agreed(world, 'expxs').id).toBe(GUID_HEX);
  });

  it('xl restore (with or without the config file, here or on another machine): a new random ID, and the resumed guest is notified', async () => {
    const world = await running(EXPLICIT_XS);
    const image = `${world.dir}/expxs.img`;
    await world.ok(['save', 'expxs', image]);
    for (const args of [['restore', image], ['restore', world.cfg, image]]) {
      await world.ok(args);
      const view = agreed(world, 'expxs');
      expect(view.id).not.toBe(GUID_HEX);
      expect(view.reads.slice(-2)).toEqual(['resume', 'notify']);
      expect((await query(world, 'expxs')).notifications).toBe(1);
      await world.ok(['destroy', 'expxs']);
    }
    const other = memoryXl(2);
    await other.ok(['restore', image]);
    const view = agreed(other, 'expxs');
    expect(view.id).not.toBe(GUID_HEX);
    expect(view.reads.slice(-2)).toEqual(['resume', 'notify']);
  });

  it('xl destroy: the explicit ID is gone with the domain, xenstore key included', async () => {
    const world = await running(EXPLICIT_XS);
    const { domid } = agreed(world, 'expxs');
    await world.ok(['destroy', 'expxs']);
    expect(world.view('expxs')).toBeUndefined();
    const xs = world.parts.xenstore.connect(0);
    expect(xs.tryRead(`/local/domain/${domid}/platform/generation-id`)).toBeUndefined();
    xs.close();
  });
});
