/**
 * Beyond Xen, through the built `xl` on temp host files (a migration needs the real bin over
 * `sh -c`): a migration keeps the ID and sends no notify; one that fails before the receiver is
 * cleared leaves the source's explicit ID and memory untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createXlWorld, genidView, type GenidView, type XlWorld } from './__fixtures__/xl-world.ts';

const GUID = '44332211-6655-8877-99aa-bbccddeeff00';
const GUID_HEX = '112233445566778899aabbccddeeff00';
const XENSTORE = '9833440827789222417:72038755451251353';
const EXPLICIT = `name = "exp"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "${GUID}"\n`;

let worlds: XlWorld[] = [];
afterEach(() => {
  for (const world of worlds) world.cleanup();
  worlds = [];
});

/** A world of its own for one case, with the two config files. */
function newWorld(): XlWorld {
  const world = createXlWorld('vm-genid');
  worlds.push(world);
  world.file('exp.cfg', EXPLICIT);
  world.file('exp-xs.cfg', EXPLICIT.replace(GUID, XENSTORE).replace('"exp"', '"expxs"'));
  return world;
}

function ok(world: XlWorld, args: string[], host?: string): { stdout: string; stderr: string } {
  const result = world.xl(args, host ? { host } : {});
  expect(result.status, `xl ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
}

/** One ID everywhere (config, xenstore, memory, guest), returned with the view. */
function agreed(world: XlWorld, name: string, host?: string): GenidView & { id: string } {
  const view = genidView(host ?? world.host('a.db'), name)!;
  expect(view, `domain ${name}`).toBeDefined();
  expect(view.config).toMatch(/^[0-9a-f]{32}$/);
  expect({ xenstore: view.xenstore, memory: view.memory, guest: view.guest }).toEqual({ xenstore: view.config, memory: view.config, guest: view.config });
  return { ...view, id: view.config! };
}

function notifications(world: XlWorld, name: string, host?: string): number {
  return (JSON.parse(ok(world, ['vm-genid', '--json', name], host).stdout) as { notifications: number }).notifications;
}

describe('xl migrate and the generation ID', () => {
  it('a migration that fails before the receiver is cleared: the source keeps its explicit ID, memory untouched, no notify', () => {
    const world = newWorld();
    ok(world, ['create', 'exp-xs.cfg']);
    const before = agreed(world, 'expxs');
    const target = world.host('fail.db');
    const result = world.xl(['migrate', '-s', '', 'expxs', `head -c 6000 | XEN_GENID_HOST=${target} xl migrate-receive`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Migration failed, resuming at sender.\n');
    const after = agreed(world, 'expxs');
    expect(after).toMatchObject({ id: GUID_HEX, paused: false, memoryDigest: before.memoryDigest, events: before.events });
    expect(genidView(target, 'expxs')).toBeUndefined();
  });

  it('xl migrate (to another host file, and back with -C cfg): the same ID, no notify', () => {
    const world = newWorld();
    ok(world, ['create', 'exp.cfg']);
    ok(world, ['vm-genid', '--new', 'exp']);
    const before = agreed(world, 'exp');
    expect(notifications(world, 'exp')).toBe(1);
    const other = world.host('b.db');
    ok(world, ['migrate', '-s', 'env', 'exp', `XEN_GENID_HOST=${other}`]);
    const arrived = agreed(world, 'exp', other);
    expect(arrived.id).toBe(before.id);
    expect(arrived.reads).toEqual(['resume']);
    expect(notifications(world, 'exp', other)).toBe(0);
    ok(world, ['migrate', '-C', 'exp.cfg', '-s', 'env', 'exp', `XEN_GENID_HOST=${world.host('a.db')}`], other);
    const back = agreed(world, 'exp');
    expect(back.id).toBe(before.id);
    expect(back.events).toBe(0);
  });
});
