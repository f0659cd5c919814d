/**
 * `xl list -l` after `xl create` shows the whole config `xl -N create` prints for the same file,
 * with the video memory, `msr_relaxed`, the disks' `colo_restore_enable`, the nics' type and the
 * vtpm's uuid libxl's defaults chose, xl's `domid_policy` and the live
 * domain's scheduler parameters: every device list and every
 * b_info member, none dropped (PCI passthrough, which this host
 * refuses, is kept through save, restore and migrate in xl-lib's whole-config test; a usb device
 * fails the create unless the machine has it, a dtdev always on x86).
 */
import { describe, expect, it } from 'vitest';
import { memoryXl } from '../__fixtures__/memory-xl.ts';

const cfgText = (image: string): string => `name = "rich"
type = "hvm"
uuid = "6a8b1f0e-2c1d-4d5e-9f10-111213141516"
memory = 128
vcpus = 2
cpus = "0-1"
cpu_weight = 512
viridian = [ "defaults" ]
vnc = 1
sdl = 0
boot = "dc"
serial = "pty"
localtime = 1
tsc_mode = "native"
device_model_version = "qemu-xen"
usbdevice = "tablet"
disk = [ 'phy:${image},xvda,w', ',,hdc:cdrom,r' ]
vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0' ]
vfb = [ 'vnc=1' ]
vkb = [ 'backend-type=linux' ]
vtpm = [ 'backend=Domain-0' ]
p9 = [ 'tag=t,security_model=none,path=/srv' ]
channel = [ 'name=org.qemu.guest_agent.0,connection=pty' ]
usbctrl = [ 'type=qusb,version=2,ports=4' ]
vdispl = [ 'connectors=id0:800x600' ]
vsnd = [ [ 'card, short-name=c', 'pcm, name=p', 'stream, unique-id=s, type=p' ] ]
pvcalls = [ 'backend=Domain-0' ]
`;

describe('xl list -l', () => {
  it('shows every part of the config xl create was given', async () => {
    const world = memoryXl();
    // libxl stats a disk's image at create: it must exist.
    const cfg = world.file('rich.cfg', cfgText(world.file('rich.img', '')));
    const dryRun = (await world.ok(['-N', 'create', cfg])).stdout;
    for (const list of ['disks', 'nics', 'vfbs', 'vkbs', 'vtpms', 'p9s', 'pvcallsifs', 'vdispls', 'vsnds', 'channels', 'usbctrls']) {
      expect(dryRun).toContain(`"${list}": [`);
    }
    await world.ok(['create', cfg]);
    const listed = JSON.parse((await world.ok(['list', '-l', 'rich'])).stdout) as Array<{ config: unknown }>;
    expect(listed).toHaveLength(1);
    // libxl keeps what its defaults chose for the video memory and msr_relaxed (libxl__update_domain_configuration).
    const expected = JSON.parse(dryRun) as {
      c_info: { domid?: number };
      disks: Array<{ colo_restore_enable?: string }>;
      nics: Array<{ nictype?: string }>;
      vtpms: Array<{ uuid?: string }>;
      b_info: { video_memkb?: number; sched_params: unknown; arch_x86: { msr_relaxed?: string } };
    };
    expected.b_info.video_memkb = 8192;
    expected.b_info.arch_x86.msr_relaxed = 'False';
    // libxl_domain_create_new: no disk restores from a COLO checkpoint; an HVM nic is emulated and PV (libxl__update_config_nic).
    for (const disk of expected.disks) disk.colo_restore_enable = 'False';
    for (const nic of expected.nics) nic.nictype = 'vif_ioemu';
    // A vtpm without a uuid gets a random one (libxl__device_vtpm_setdefault, kept by libxl__update_config_vtpm).
    const vtpms = (listed[0]!.config as typeof expected).vtpms;
    expect(vtpms[0]!.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expected.vtpms[0]!.uuid = vtpms[0]!.uuid;
    // xl sets INVALID_DOMID after the dry run; libxl_retrieve_domain_configuration reads the scheduler's.
    expected.c_info.domid = 4294967295;
    expect(expected.b_info.sched_params).toEqual({ weight: 512 });
    expected.b_info.sched_params = { sched: 'credit2', weight: 512, cap: 0 };
    expect(listed[0]!.config).toEqual(expected);
  });
});

describe('xl create with a dtdev', () => {
  it('fails as libxl on x86 Xen does (no device-tree passthrough), and leaves no domain', async () => {
    const world = memoryXl();
    const cfg = world.file('dt.cfg', 'name = "d"\ntype = "hvm"\nmemory = 64\ndtdev = [ "/soc/x" ]\n');
    const result = await world.xl(['create', cfg]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(
      /libxl: error: libxl_create\.c:1857:libxl__add_dtdevs: Domain (\d+):xc_assign_dtdevice failed: -1\nlibxl: error: libxl_create\.c:1921:domcreate_attach_devices: Domain \1:unable to add none devices\n/,
    );
    expect((await world.xl(['list', 'd'])).status).toBe(1);
  });
});

describe('xl create with a usb device', () => {
  it('fails as libxl does for a host device the machine does not have, and leaves no domain', async () => {
    const world = memoryXl();
    const cfg = world.file('usb.cfg', 'name = "u"\ntype = "hvm"\nmemory = 64\nusbctrl = [ "version=2" ]\nusbdev = [ "hostbus=250,hostaddr=250" ]\n');
    const result = await world.xl(['create', cfg]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/libxl: error: libxl_usb\.c:1732:libxl__device_usbdev_add: Domain \d+:USB device is not assignable\.\n/);
    expect(result.stderr).toMatch(/libxl: error: libxl_create\.c:1921:domcreate_attach_devices: Domain \d+:unable to add vusb devices\n/);
    expect((await world.xl(['list', 'u'])).status).toBe(1);
  });
});

describe('xl create with pci passthrough', () => {
  it('is refused on this host (no IOMMU, no pciback) with libxl\'s message, and leaves no domain', async () => {
    const world = memoryXl();
    const hvm = world.file('hvm.cfg', 'name = "p"\ntype = "hvm"\nmemory = 64\npci = [ "01:00.0" ]\n');
    const pv = world.file('pv.cfg', 'name = "q"\nkernel = "/k"\nmemory = 64\npci = [ "0000:0a:1f.7" ]\n');
    expect(await world.xl(['create', hvm])).toMatchObject({ status: 3, stderr: expect.stringContaining('libxl: error: PCI device 0000:01:00.0 cannot be assigned - no IOMMU?\n') });
    expect(await world.xl(['create', pv])).toMatchObject({ status: 3, stderr: expect.stringContaining('libxl: error: PCI device 0:a:1f.7 is not assignable\n') });
    expect((await world.xl(['list', 'p'])).status).toBe(1);
    expect((await world.xl(['list', 'q'])).status).toBe(1);
  });
});
