/**
 * What the platform gives a real guest, through xl. On QEMU's q35 machine (picked by
 * `device_model_args_hvm`), in one boot: the kernel reads the ID there; it has no PV drivers, so
 * `xl shutdown` and `xl reboot` fail as real xl does for such a guest; `xl trigger nmi` reaches its
 * kernel; `xl reboot -F` resets it through its device model and it boots again under the same domid
 * with the same ID; each `xl vm-genid --new` is one notify, one reseed, as the kernel and xl count
 * them; `xl shutdown -F` presses its power button, it powers off and is gone with its
 * QEMU and files. With `ms_vm_genid = "none"`, in one more boot: the VGID device is absent (`_STA` 0),
 * the kernel binds nothing, and every view says none.
 */
import { readFileSync } from 'node:fs';
import { defaultRunDir, deviceModelFiles, deviceModelFilesExist, ensureKernel, ensureKernelModule, hostIdentity, runningDeviceModel, waitForGuest } from '@xen-genid/qemu-dm';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createXlWorld, type XlWorld } from './__fixtures__/xl-world.ts';

const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);

let world: XlWorld;
let kernel = '';
beforeAll(async () => {
  world = createXlWorld('real-guest-power');
  const image = await ensureKernel();
  if ('missing' in image) return;
  kernel = image.bootImage;
  if (image.packageName) await ensureKernelModule(image.packageName);
}, 240_000);
afterAll(() => {
  for (const name of ['q35-guest', 'no-genid']) world.xl(['destroy', name]);
  world.cleanup();
});

const runDir = defaultRunDir();
const filesOf = (domid: number) => deviceModelFiles(runDir, hostIdentity(world.host('a.db')), domid);
const domidOf = (name: string) => Number(world.xl(['domid', name]).stdout.trim());
const viewsOf = (name: string) => JSON.parse(world.xl(['vm-genid', '--json', name]).stdout) as { config: string | null; xenstore: string | null; guest: string | null; notifications: number };

const NO_PV = (kind: 'shutdown' | 'reboot', event: string) =>
  `PV control interface not available: external graceful ${kind} not possible.\nUse "-F" to fallback to ACPI ${event} event.\n${kind} failed (rc=-10)\n`;

describeWithReferee('a real guest: its machine, its power, and no ID', referee, () => {
  it('on q35: the kernel reads the ID; shutdown and reboot need -F; nmi and reset reach QEMU; one notify per renewal; the power button', async () => {
    const cfg = world.file('q35.cfg', `name = "q35-guest"\ntype = "hvm"\nmemory = 256\nms_vm_genid = "generate"\nkernel = "${kernel}"\ndevice_model_args_hvm = [ "-machine", "q35" ]\n`);
    expect(world.xl(['create', cfg]).status).toBe(0);
    const domid = domidOf('q35-guest');
    const files = filesOf(domid);
    const firstPid = runningDeviceModel(files);
    expect(readFileSync(`/proc/${firstPid}/cmdline`, 'latin1').split('\0')).toContain('q35,memory-backend=ram');
    const booted = await waitForGuest(files, (view) => view.ready, 180_000);
    const id = viewsOf('q35-guest');
    expect(booted.bound).toBe(true);
    expect([id.xenstore, id.guest, booted.bootRead, id.notifications]).toEqual([id.config, id.config, id.config, 0]);

    expect(world.xl(['shutdown', 'q35-guest'])).toMatchObject({ status: 1, stderr: `Shutting down domain ${domid}\n${NO_PV('shutdown', 'power')}` });
    expect(world.xl(['reboot', 'q35-guest'])).toMatchObject({ status: 1, stderr: `Rebooting domain ${domid}\n${NO_PV('reboot', 'reset')}` });
    expect(runningDeviceModel(files)).toBe(firstPid);

    expect(world.xl(['trigger', 'q35-guest', 'nmi'])).toMatchObject({ status: 0, stderr: '' });
    await waitForGuest(files, () => readFileSync(files.consoleLog, 'latin1').includes('NMI received for unknown reason'), 60_000);

    // reboot -F: the reset, which the device model reports as the domain's reboot; on_reboot restarts it in place.
    expect(world.xl(['reboot', '-F', 'q35-guest'])).toMatchObject({
      status: 0,
      stderr: `Rebooting domain ${domid}\nPV control interface not available: sending ACPI reset button event.\n`,
    });
    expect(domidOf('q35-guest')).toBe(domid);
    expect(runningDeviceModel(files)).not.toBe(firstPid);
    // The log is kept across the reboot: the second boot starts at its second `begin`.
    const boots = () => readFileSync(files.consoleLog, 'latin1').match(/GENID: begin/g)?.length ?? 0;
    const rebooted = await waitForGuest(files, (view) => boots() === 2 && view.ready, 180_000);
    expect(rebooted.bootRead).toBe(id.config);
    expect(viewsOf('q35-guest')).toEqual(id);

    // Each renewal is one notify (the device model's zone watches the ID), one re-read, one reseed,
    // as the guest's kernel counts them and as xl reports them.
    for (const renewals of [1, 2]) {
      expect(world.xl(['vm-genid', '--new', 'q35-guest']).status).toBe(0);
      const renewed = (JSON.parse(world.xl(['vm-genid', '--json', 'q35-guest']).stdout) as { config: string }).config;
      const seen = await waitForGuest(files, (view) => view.current === renewed, 60_000);
      expect([seen.notifies, seen.forkReads.length, seen.reseeds]).toEqual([renewals, renewals, renewals]);
      expect(viewsOf('q35-guest')).toEqual({ config: renewed, xenstore: renewed, guest: renewed, notifications: renewals });
    }
    // Polls go on (every tenth of a second) and notify nothing more.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(viewsOf('q35-guest').notifications).toBe(2);

    // shutdown -F: the power button; the guest powers off, on_poweroff destroys the domain.
    expect(world.xl(['shutdown', '-F', '-w', 'q35-guest'])).toMatchObject({
      status: 0,
      stderr: `Shutting down domain ${domid}\nPV control interface not available: sending ACPI power button event.\nWaiting for 1 domains\nDomain ${domid} has been shut down, reason code 0\n`,
    });
    expect(world.xl(['list']).stdout).not.toContain('q35-guest');
    expect(runningDeviceModel(files)).toBeUndefined();
    expect(deviceModelFilesExist(files)).toEqual([]);
  }, 480_000);

  it('ms_vm_genid = "none": the VGID device is absent, the kernel binds nothing, every view says none', async () => {
    const cfg = world.file('none.cfg', `name = "no-genid"\ntype = "hvm"\nmemory = 256\nms_vm_genid = "none"\nkernel = "${kernel}"\n`);
    expect(world.xl(['create', cfg]).status).toBe(0);
    const files = filesOf(domidOf('no-genid'));
    const booted = await waitForGuest(files, (view) => view.ready, 180_000);
    // The resident /init lists the ACPI devices with the VGID's ids: Xen's DSDT keeps the device,
    // whose _STA says it is absent, so vmgenid does not bind it.
    const devices = readFileSync(files.consoleLog, 'latin1').split(/\r?\n/).filter((line) => line.includes('GENID: device'));
    expect(devices).toEqual(['GENID: device name=XEN0000:00 path=\\_SB_.PCI0.ISA_.VGID status=0 driver=none']);
    expect([booted.bound, booted.bootRead]).toEqual([false, undefined]);
    expect(viewsOf('no-genid')).toEqual({ config: null, xenstore: null, guest: null, notifications: 0 });
    expect(world.xl(['destroy', 'no-genid']).status).toBe(0);
    expect(deviceModelFilesExist(files)).toEqual([]);
  }, 300_000);
});
