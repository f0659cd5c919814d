/**
 * `xl list -l` after `xl create` shows the whole config `xl -N create` prints for the same file:
 * every device list and every b_info member, none dropped.
 */
import { describe, expect, it } from 'vitest';
import { memoryXl } from '../__fixtures__/memory-xl.ts';

const CFG = `name = "rich"
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
disk = [ 'phy:/dev/vg/rich,xvda,w', ',,hdc:cdrom,r' ]
vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0' ]
pci = [ '01:00.0' ]
vfb = [ 'vnc=1' ]
vkb = [ 'backend-type=linux' ]
vtpm = [ 'backend=dom0' ]
p9 = [ 'tag=t,security_model=none,path=/srv' ]
channel = [ 'name=org.qemu.guest_agent.0,connection=pty' ]
usbctrl = [ 'type=qusb,version=2,ports=4' ]
usbdev = [ 'type=hostdev,hostbus=1,hostaddr=2' ]
vdispl = [ 'connectors=id0:800x600' ]
vsnd = [ [ 'card, short-name=c', 'pcm, name=p', 'stream, unique-id=s, type=p' ] ]
pvcalls = [ 'backend=dom0' ]
dtdev = [ '/soc/x' ]
`;

describe('xl list -l', () => {
  it('shows every part of the config xl create was given', async () => {
    const world = memoryXl();
    const cfg = world.file('rich.cfg', CFG);
    const dryRun = (await world.ok(['-N', 'create', cfg])).stdout;
    for (const list of ['disks', 'nics', 'pcidevs', 'dtdevs', 'vfbs', 'vkbs', 'vtpms', 'p9s', 'pvcallsifs', 'vdispls', 'vsnds', 'channels', 'usbctrls', 'usbdevs']) {
      expect(dryRun).toContain(`"${list}": [`);
    }
    await world.ok(['create', cfg]);
    const listed = JSON.parse((await world.ok(['list', '-l', 'rich'])).stdout) as Array<{ config: unknown }>;
    expect(listed).toHaveLength(1);
    expect(listed[0]!.config).toEqual(JSON.parse(dryRun));
  });
});
