/**
 * Beyond Xen, through the built `xl` on temp host files: `xl vm-genid` queries a running domain's
 * ID in every view without changing anything; `--new` and `--set` renew it and the guest model
 * receives the ACPI notify and re-reads; an explicit `ms_vm_genid = "<ID>"` follows the explicit-ID
 * column of the lifecycle policy; a restore that renews the ID notifies, a migration that keeps it
 * does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHost } from '@xen-genid/host';
import { MsVmGenid } from '@xen-genid/xl-lib';
import { createXlWorld, genidView, type GenidView, type XlWorld } from './__fixtures__/xl-world.ts';

const GUID = '44332211-6655-8877-99aa-bbccddeeff00';
const GUID_HEX = '112233445566778899aabbccddeeff00';
const XENSTORE = '9833440827789222417:72038755451251353';
const GENERATE = 'name = "gen"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n';
const EXPLICIT = `name = "exp"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "${GUID}"\n`;

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('vm-genid');
  world.file('gen.cfg', GENERATE);
  world.file('exp.cfg', EXPLICIT);
  world.file('exp-xs.cfg', EXPLICIT.replace(GUID, XENSTORE).replace('"exp"', '"expxs"'));
  world.file('none.cfg', 'name = "plain"\ntype = "hvm"\nmemory = 64\n');
});
afterAll(() => world.cleanup());

function ok(args: string[], host?: string): { stdout: string; stderr: string } {
  const result = world.xl(args, host ? { host } : {});
  expect(result.status, `xl ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
}

/** One ID everywhere (config, xenstore, memory, guest), returned with the view. */
function agreed(name: string, host?: string): GenidView & { id: string } {
  const view = genidView(host ?? world.host('a.db'), name)!;
  expect(view, `domain ${name}`).toBeDefined();
  expect(view.config).toMatch(/^[0-9a-f]{32}$/);
  expect({ xenstore: view.xenstore, memory: view.memory, guest: view.guest }).toEqual({ xenstore: view.config, memory: view.config, guest: view.config });
  return { ...view, id: view.config! };
}

function query(name: string, host?: string): { config: string | null; xenstore: string | null; guest: string | null; notifications: number } {
  return JSON.parse(ok(['vm-genid', '--json', name], host).stdout) as never;
}

describe('xl vm-genid: the query', () => {
  it('shows every view in every format, changes nothing and sends no notify', () => {
    ok(['create', 'exp.cfg']);
    const before = agreed('exp');
    expect(before.id).toBe(GUID_HEX);
    const id = MsVmGenid.fromHex(GUID_HEX);
    const result = ok(['vm-genid', 'exp']);
    const block = (name: string): string =>
      `${name}:\n  xenstore  ${XENSTORE}\n  guid      ${GUID}\n  hex       ${GUID_HEX}\n  hyperv    ${id.toHyperv()}\n` +
      `  vmware    vm.genid = "${id.toVmware().genid}", vm.genidX = "${id.toVmware().genidX}"\n`;
    expect(result.stdout).toBe(`${block('config')}${block('xenstore')}${block('guest')}notifications: 0\n`);
    expect(result.stderr).toBe('');
    for (const format of ['xenstore', 'guid', 'hex', 'hyperv'] as const) {
      const value = { xenstore: XENSTORE, guid: GUID, hex: GUID_HEX, hyperv: id.toHyperv() }[format];
      expect(ok(['vm-genid', '--format', format, 'exp']).stdout).toBe(`config:   ${value}\nxenstore: ${value}\nguest:    ${value}\nnotifications: 0\n`);
    }
    expect(query('exp')).toEqual({ config: GUID_HEX, xenstore: GUID_HEX, guest: GUID_HEX, notifications: 0 });
    const after = agreed('exp');
    expect(after).toEqual(before);
  });

  it('a domain without an ID: every view null, exit 0', () => {
    ok(['create', 'none.cfg']);
    expect(query('plain')).toEqual({ config: null, xenstore: null, guest: null, notifications: 0 });
    expect(ok(['vm-genid', '--format', 'guid', 'plain']).stdout).toBe('config:   none\nxenstore: none\nguest:    none\nnotifications: 0\n');
    const refused = world.xl(['vm-genid', '--new', 'plain']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/has no VM generation ID/);
  });

  it('exits 1 with a sentence when the present views disagree', () => {
    ok(['create', 'gen.cfg']);
    const { domid, id } = agreed('gen');
    // Make xenstore differ, as a stray xenstore-write would.
    const host = openHost(world.host('a.db'));
    const xs = host.store.connect(0);
    xs.write(`/local/domain/${domid}/platform/generation-id`, '1:2');
    xs.close();
    host.close();
    const result = world.xl(['vm-genid', '--json', 'gen']);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ config: id, xenstore: MsVmGenid.fromWords(1n, 2n).toHex(), guest: id });
    expect(result.stderr).toBe(
      "The generation ID in libxl's stored config differs from the one in xenstore.\n" +
        "The generation ID in xenstore differs from the one in the guest's last reading through ACPI.\n",
    );
    ok(['destroy', 'gen']);
  });

  it('refuses bad usage: both --new and --set, an unknown format, an unparsable ID, an unknown domain', () => {
    expect(world.xl(['vm-genid', '--new', '--set', GUID, 'exp']).status).toBe(2);
    expect(world.xl(['vm-genid', '--format', 'octal', 'exp']).status).toBe(2);
    const bad = world.xl(['vm-genid', '--set', 'not-an-id', 'exp']);
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/is not a generation ID/)]);
    const unknown = world.xl(['vm-genid', 'nosuch']);
    expect([unknown.status, unknown.stderr]).toEqual([1, 'nosuch is an invalid domain identifier (rc=-6)\n']);
  });
});

describe('xl vm-genid --new / --set: renewal with an ACPI notify', () => {
  it('--new: a new random ID everywhere; the guest receives the notify and reads the new ID', () => {
    const before = agreed('exp');
    const result = ok(['vm-genid', '--new', 'exp']);
    const after = agreed('exp');
    expect(after.id).not.toBe(before.id);
    expect(after.id).not.toBe('0'.repeat(32));
    expect(result.stdout).toBe(`Domain ${after.domid}: generation ID ${MsVmGenid.fromHex(after.id).toGuid()} (guest notified)\n`);
    expect(after.reads.at(-1)).toBe('notify');
    expect(after.events).toBe(before.events + 1);
    expect(query('exp')).toEqual({ config: after.id, xenstore: after.id, guest: after.id, notifications: 1 });
  });

  it('--set in any text form: that ID, notified; the current value again sends no notify', () => {
    ok(['vm-genid', '--set', XENSTORE, 'exp']);
    expect(agreed('exp').id).toBe(GUID_HEX);
    expect(query('exp').notifications).toBe(2);
    const same = ok(['vm-genid', '--set', GUID, 'exp']);
    expect(same.stdout).toMatch(/\(unchanged, no notify\)\n$/);
    expect(query('exp').notifications).toBe(2);
    const id = MsVmGenid.fromWords(0x1122n, 0x3344n);
    for (const form of [`hyperv:${id.toHyperv()}`, `vmware:${id.toVmware().genid},${id.toVmware().genidX}`, id.toHex(), `windows:${id.toWindows()}`]) {
      ok(['vm-genid', '--set', form, 'exp']);
      expect(agreed('exp').id).toBe(id.toHex());
      ok(['vm-genid', '--set', GUID, 'exp']);
    }
  });

  it('a paused domain gets the notify when unpaused', () => {
    ok(['pause', 'exp']);
    const result = ok(['vm-genid', '--new', 'exp']);
    expect(result.stdout).toMatch(/\(notify pending: the domain is paused\)\n$/);
    const paused = genidView(world.host('a.db'), 'exp')!;
    expect(paused.guest).not.toBe(paused.config); // the guest has not run since
    ok(['unpause', 'exp']);
    const after = agreed('exp');
    expect(after.reads.at(-1)).toBe('notify');
    expect(after.id).toBe(paused.config);
  });
});

describe('the explicit-ID column and the beyond-Xen notify on restore and migration', () => {
  it('xl create from an explicit ID (GUID or xenstore form): that ID, again on a second create', () => {
    ok(['create', 'exp-xs.cfg']);
    expect(agreed('expxs').id).toBe(GUID_HEX);
    ok(['destroy', 'expxs']);
    ok(['create', 'exp-xs.cfg']);
    expect(agreed('expxs').id).toBe(GUID_HEX);
  });

  it('reboot, pause and save -c keep the explicit ID', () => {
    ok(['reboot', 'expxs']);
    expect(agreed('expxs').id).toBe(GUID_HEX);
    ok(['pause', 'expxs']);
    ok(['unpause', 'expxs']);
    expect(agreed('expxs').id).toBe(GUID_HEX);
    ok(['save', '-c', 'expxs', 'expxs.img']);
    expect(agreed('expxs').id).toBe(GUID_HEX);
  });

  it('xl restore (with or without the config file): a new random ID, and the resumed guest is notified', () => {
    ok(['save', 'expxs', 'expxs.img']);
    for (const args of [['restore', 'expxs.img'], ['restore', 'exp-xs.cfg', 'expxs.img']]) {
      ok(args);
      const view = agreed('expxs');
      expect(view.id).not.toBe(GUID_HEX);
      expect(view.reads.slice(-2)).toEqual(['resume', 'notify']);
      expect(query('expxs').notifications).toBe(1);
      ok(['destroy', 'expxs']);
    }
  });

  it('restore on another host file (disaster recovery): a new random ID, notified', () => {
    const other = world.host('dr.db');
    ok(['restore', 'expxs.img'], other);
    const view = agreed('expxs', other);
    expect(view.id).not.toBe(GUID_HEX);
    expect(view.reads.slice(-2)).toEqual(['resume', 'notify']);
    ok(['destroy', 'expxs'], other);
    expect(genidView(other, 'expxs')).toBeUndefined();
  });

  it('a migration that fails before the receiver is cleared: the source keeps its explicit ID, memory untouched, no notify', () => {
    ok(['create', 'exp-xs.cfg']);
    const before = agreed('expxs');
    const target = world.host('fail.db');
    const result = world.xl(['migrate', '-s', '', 'expxs', `head -c 6000 | XEN_GENID_HOST=${target} xl migrate-receive`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Migration failed, resuming at sender.\n');
    const after = agreed('expxs');
    expect(after).toMatchObject({ id: GUID_HEX, paused: false, memoryDigest: before.memoryDigest, events: before.events });
    expect(genidView(target, 'expxs')).toBeUndefined();
  });

  it('xl destroy: the explicit ID is gone with the domain, xenstore key included', () => {
    const { domid } = agreed('expxs');
    ok(['destroy', 'expxs']);
    expect(genidView(world.host('a.db'), 'expxs')).toBeUndefined();
    const host = openHost(world.host('a.db'));
    const xs = host.store.connect(0);
    try {
      expect(xs.tryRead(`/local/domain/${domid}/platform/generation-id`)).toBeUndefined();
    } finally {
      xs.close();
      host.close();
    }
  });

  it('xl migrate (to another host file, also with -C cfg): the same ID, no notify', () => {
    const before = agreed('exp');
    const eventsBefore = query('exp').notifications;
    expect(eventsBefore).toBeGreaterThan(0);
    const other = world.host('b.db');
    ok(['migrate', '-s', 'env', 'exp', `XEN_GENID_HOST=${other}`]);
    const arrived = agreed('exp', other);
    expect(arrived.id).toBe(before.id);
    expect(arrived.reads).toEqual(['resume']);
    expect(query('exp', other).notifications).toBe(0);
    ok(['migrate', '-C', 'exp.cfg', '-s', 'env', 'exp', `XEN_GENID_HOST=${world.host('a.db')}`], other);
    const back = agreed('exp');
    expect(back.id).toBe(before.id);
    expect(back.events).toBe(0);
  });
});
