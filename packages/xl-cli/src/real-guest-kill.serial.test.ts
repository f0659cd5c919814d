/**
 * `kill -9` of `xl` during the create, save, restore and migrate (sender and receiver) of a real
 * guest (crash points of the host file, `XEN_GENID_HOST_CRASH_AT`): the next command (`xl list`)
 * finishes or undoes what was under way, the host's half and the device model's together, on each
 * host file. No QEMU and no file is left for a domain
 * that is gone; a domain that runs on has its QEMU running; none of it needs the kernel to have
 * finished booting.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRunDir, DeviceModel, deviceModelFiles, deviceModelFilesExist, ensureKernel, hostIdentity, runningDeviceModel, waitForGuest } from '@xen-genid/qemu-dm';
import { openHost } from '@xen-genid/host';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createXlWorld, type XlWorld } from './__fixtures__/xl-world.ts';

const root = new URL('../../../', import.meta.url).pathname;
const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);
const runDir = defaultRunDir();
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
  for (const host of ['a.db', 'b.db']) for (const name of ['real-guest', 'clone']) world.xl(['destroy', name], { host: world.host(host) });
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
    // create: killed inside the transaction that starts the guest, QEMU already running.
    expect(killedAt('hypervisor.guestStarted', create).status).toBe(KILLED);
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

  it('during migrate, sender or receiver: each host file is consistent with its QEMUs, and the guest runs in one place', async () => {
    const hosts = [world.host('a.db'), world.host('b.db')];
    const filesOn = (host: string, domid: number) => deviceModelFiles(runDir, hostIdentity(host), domid);
    /** After the next command on each host file: its domains, each with the state its QEMU is in, and no device model file of any other domid. */
    const settled = () =>
      hosts.flatMap((host) => {
        const listed = world.xl(['list'], { host });
        expect(listed.status, listed.stderr).toBe(0);
        const domains = listed.stdout
          .split('\n')
          .slice(2)
          .filter((line) => line.trim() !== '')
          .map((line) => {
            const [name, domid, , , state] = line.split(/\s+/);
            return { host, name, domid: Number(domid), paused: state!.includes('p') };
          });
        const prefix = `${hostIdentity(host)}-`;
        const owners = new Set(readdirSync(runDir).filter((name) => name.startsWith(prefix)).map((name) => Number(name.slice(prefix.length).split('.')[0])));
        expect([...owners].sort(), host).toEqual(domains.map((domain) => domain.domid).sort());
        const opened = openHost(host);
        const xs = opened.store.connect(0);
        for (const domain of domains) {
          const pid = runningDeviceModel(filesOn(host, domain.domid));
          expect(pid, `${domain.name} on ${host}`).toBeDefined();
          // libxl's record of the device model's pid names that QEMU.
          expect(Buffer.from(xs.read(`/local/domain/${domain.domid}/image/device-model-pid`)).toString(), `${domain.name} on ${host}`).toBe(String(pid));
          // A paused domain's QEMU is stopped: by a pause, or by a save that sent its state away.
          const status = new DeviceModel(filesOn(host, domain.domid), pid!).status();
          expect(domain.paused ? ['paused', 'postmigrate'] : ['running'], `${domain.name} on ${host}`).toContain(status);
        }
        xs.close();
        opened.close();
        return domains;
      });
    /** `xl migrate` to b.db, `step` armed on one side only (the receiver inherits the sender's environment). */
    const migrateKilled = (side: 'sender' | 'receiver', step: string) =>
      world.xl(['migrate', '-s', 'env', 'real-guest', `XEN_GENID_HOST_CRASH_AT=${side === 'receiver' ? step : ''} XEN_GENID_HOST=${hosts[1]!}`], {
        env: { XEN_GENID_HOST_CRASH_AT: side === 'sender' ? step : '' },
      });

    expect(world.xl(['create', join(root, 'examples/real-guest.cfg'), `kernel="${kernel}"`]).status).toBe(0);
    const domid = Number(world.xl(['domid', 'real-guest']).stdout.trim());
    await waitForGuest(filesOn(hosts[0]!, domid), (view) => view.ready, 180_000);
    const id = (JSON.parse(world.xl(['vm-genid', '--json', 'real-guest']).stdout) as { config: string }).config;

    // The sender, killed with the guest paused for the save (QEMU stopped): it runs on where it was.
    expect(migrateKilled('sender', 'hypervisor.pauseDomain').status).toBe(KILLED);
    expect(settled()).toEqual([{ host: hosts[0], name: 'real-guest', domid, paused: false }]);

    // The receiver, killed inside the transaction that starts the guest (its QEMU already started
    // from the incoming state), after the sender gave it permission: the guest runs there, with its
    // ID, and the sender keeps its copy paused (xl's "CHECK AT BOTH ENDS"), its QEMU stopped.
    const receiverKilled = migrateKilled('receiver', 'hypervisor.guestStarted');
    expect(receiverKilled.status).not.toBe(0);
    expect(receiverKilled.stderr).toContain('Please CHECK AT BOTH ENDS for running instances');
    const moved = settled().map(({ host, name, paused }) => ({ host, name, paused }));
    expect(moved).toEqual([
      { host: hosts[0], name: 'real-guest', paused: true },
      { host: hosts[1], name: 'real-guest', paused: false },
    ]);
    expect((JSON.parse(world.xl(['vm-genid', '--json', 'real-guest'], { host: hosts[1] }).stdout) as { config: string }).config).toBe(id);

    // The user ends the paused copy, and the guest migrates back whole.
    expect(world.xl(['destroy', 'real-guest']).status).toBe(0);
    expect(world.xl(['migrate', '-s', 'env', 'real-guest', `XEN_GENID_HOST=${hosts[0]!}`], { host: hosts[1] }).status).toBe(0);
    expect(settled().map(({ host, paused }) => ({ host, paused }))).toEqual([{ host: hosts[0], paused: false }]);
    expect(world.xl(['destroy', 'real-guest']).status).toBe(0);
    expect(settled()).toEqual([]);
  }, 300_000);
});
