/**
 * `kill -9` of `xl` during the create, save and restore of a real guest (crash points of the host
 * file, `XEN_GENID_HOST_CRASH_AT`): the next command (`xl list`) finishes or undoes what was under
 * way, the host's half and the device model's together. No QEMU and no file is left for a domain
 * that is gone; a domain that runs on has its QEMU running; none of it needs the kernel to have
 * finished booting.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceModel, deviceModelFiles, deviceModelFilesExist, ensureKernel, hostIdentity, runningDeviceModel } from '@xen-genid/qemu-dm';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createXlWorld, type XlWorld } from './__fixtures__/xl-world.ts';

const root = new URL('../../../', import.meta.url).pathname;
const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);
const runDir = join(tmpdir(), 'xen-genid-dm');
/** What `kill -9` leaves as the exit status of a spawned process. */
const KILLED = null;

let world: XlWorld;
let kernel = '';
beforeAll(async () => {
  world = createXlWorld('real-guest-kill');
  const image = await ensureKernel();
  if (!('missing' in image)) kernel = image.bootImage;
}, 240_000);
afterAll(() => {
  for (const name of ['real-guest', 'clone']) world.xl(['destroy', name]);
  world.cleanup();
});

const killedAt = (step: string, args: readonly string[]) => world.xl(args, { env: { XEN_GENID_HOST_CRASH_AT: step } });
const files = (domid: number) => deviceModelFiles(runDir, hostIdentity(world.host('a.db')), domid);
const hostFiles = () => (existsSync(runDir) ? readdirSync(runDir).filter((name) => name.startsWith(`${hostIdentity(world.host('a.db'))}-`)) : []);
const domains = () =>
  world
    .xl(['list'])
    .stdout.split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(/\s+/).slice(0, 2).join(' '));
/** The QEMU of `domid`, and its run state. */
const qemuOf = (domid: number): string | undefined => {
  const pid = runningDeviceModel(files(domid));
  return pid === undefined ? undefined : new DeviceModel(files(domid), pid).status();
};

describeWithReferee('kill -9 of xl with a real guest', referee, () => {
  it('during create, save and restore: the next xl list leaves no orphan QEMU or file, and what runs on has its QEMU running', () => {
    const create = ['create', join(root, 'examples/real-guest.cfg'), `kernel="${kernel}"`];
    expect(domains()).toEqual(['Domain-0 0']); // the host file made, so the steps below count from here
    // create: killed inside its last transaction, the one that starts the guest, QEMU already running
    // (the commits before it make the domain, libxl__build_post's entries, the devices and the
    // device model's entries: list them with XEN_GENID_HOST_TRACE_STEPS=1).
    expect(killedAt('xenstore.commit#30', create).status).toBe(KILLED);
    expect(runningDeviceModel(files(1))).toBeDefined();
    expect(domains()).toEqual(['Domain-0 0']);
    expect(hostFiles()).toEqual([]);

    expect(world.xl(create).status).toBe(0);
    const domid = Number(world.xl(['domid', 'real-guest']).stdout.trim());
    expect(qemuOf(domid)).toBe('running');

    // save: killed with the whole image written, QEMU stopped and its state saved.
    const target = join(world.dir, 'real-guest.save');
    expect(killedAt('xl.save.written', ['save', 'real-guest', target]).status).toBe(KILLED);
    expect(existsSync(files(domid).stopped)).toBe(true);
    expect(domains()).toEqual(['Domain-0 0', `real-guest ${domid}`]);
    expect(qemuOf(domid)).toBe('running');
    expect(existsSync(target)).toBe(false);
    expect(deviceModelFilesExist(files(domid)).filter((path) => /\.(stopped|outgoing|incoming)$/.test(path))).toEqual([]);

    expect(world.xl(['save', '-c', 'real-guest', target]).status).toBe(0);
    const clone = world.file('clone.cfg', `name = "clone"\ntype = "hvm"\nmemory = 256\nms_vm_genid = "generate"\nkernel = "${kernel}"\n`);
    // restore, killed before the domain is complete: it is removed, with its RAM and saved state.
    expect(killedAt('xenstore.committed#3', ['restore', clone, target]).status).toBe(KILLED);
    expect(hostFiles().some((name) => name.endsWith('.incoming'))).toBe(true);
    expect(domains()).toEqual(['Domain-0 0', `real-guest ${domid}`]);
    expect(hostFiles().filter((name) => !name.startsWith(`${hostIdentity(world.host('a.db'))}-${domid}.`))).toEqual([]);

    // restore, killed once the domain is complete but before it ran: it runs on, its QEMU started from the state.
    expect(killedAt('xenstore.introduced', ['restore', clone, target]).status).toBe(KILLED);
    const listed = domains();
    const restored = Number(listed.find((line) => line.startsWith('clone '))?.split(' ')[1]);
    expect(qemuOf(restored)).toBe('running');
    expect(deviceModelFilesExist(files(restored)).filter((path) => /\.(stopped|incoming)$/.test(path))).toEqual([]);
    const ids = JSON.parse(world.xl(['vm-genid', '--json', 'clone']).stdout) as { config: string; xenstore: string };
    expect(ids.xenstore).toBe(ids.config);
    expect(ids.config).not.toBe((JSON.parse(world.xl(['vm-genid', '--json', 'real-guest']).stdout) as { config: string }).config);

    for (const name of ['clone', 'real-guest']) expect(world.xl(['destroy', name]).status).toBe(0);
    expect(hostFiles()).toEqual([]);
  }, 300_000);
});
