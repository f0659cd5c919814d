/**
 * `xl -N create` against Debian's real xl 4.17, live: the real binary runs with a small preloaded
 * stub standing in for the hypervisor (it answers the version and physinfo calls xl makes), on the
 * same config files and arguments as our `xl` (its `main`, in process; `create.test.ts` spawns the
 * built bin). Exit status, stderr and stdout must be equal, apart from the random uuid and
 * generation ID.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReferee, findReferee, type Referee } from '@xen-genid/test-utils';
import { main } from '../main.ts';

const REAL_XL = '/usr/lib/xen-4.17/bin/xl';

function findRealXl(): Referee {
  const found = findReferee('xl 4.17 (xen-utils-4.17), gcc and libxen-dev', [REAL_XL, 'gcc']);
  if (found.missing) return found;
  if (!existsSync('/usr/include/xenctrl.h')) return { ...found, missing: 'libxen-dev not installed (/usr/include/xenctrl.h)' };
  return found;
}

interface Case {
  readonly cfg: string;
  /** Arguments after the program name; `FILE` is replaced by the config's path. */
  readonly args?: readonly string[];
}

const HVM = 'name = "vgid-test"\ntype = "hvm"\nmemory = 1024\nvcpus = 2\n';
const PV = 'name = "d4"\ntype = "pv"\nkernel = "/boot/vmlinuz"\nmemory = 128\n';

export const DRY_RUN_CASES: Array<[string, Case]> = [
  ['the HVM sample', { cfg: `${HVM}ms_vm_genid = "generate"\ndisk = [ ]\n` }],
  ['the PV sample', { cfg: `${PV}ms_vm_genid = "generate"\n` }],
  ['create -n', { cfg: `${HVM}ms_vm_genid = "generate"\n`, args: ['create', '-n', 'FILE'] }],
  ['create --dryrun -q', { cfg: HVM, args: ['create', '--dryrun', '-q', 'FILE'] }],
  ['ms_vm_genid none', { cfg: `${HVM}ms_vm_genid = "none"\n` }],
  ['ms_vm_genid wrong case', { cfg: `${HVM}ms_vm_genid = "Generate"\n` }],
  ['ms_vm_genid number', { cfg: `${HVM}ms_vm_genid = 1\n` }],
  ['ms_vm_genid list', { cfg: `${HVM}ms_vm_genid = [ "generate" ]\n` }],
  ['ms_vm_genid +=', { cfg: `${HVM}ms_vm_genid = "gen"\nms_vm_genid += "erate"\n` }],
  ['ms_vm_genid last wins', { cfg: `${HVM}ms_vm_genid = "generate"\nms_vm_genid = "none"\n` }],
  ['ms_vm_genid on PV', { cfg: `${PV}ms_vm_genid = "bogus"\n` }],
  ['ms_vm_genid on PVH', { cfg: 'name = "p"\ntype = "pvh"\nkernel = "/k"\nms_vm_genid = "generate"\n' }],
  ['no name', { cfg: 'type = "hvm"\nms_vm_genid = "bogus"\n' }],
  ['name as a list', { cfg: 'name = [ "a" ]\ntype = "hvm"\n' }],
  ['empty file', { cfg: '' }],
  ['type prefixes', { cfg: 'name = "a"\ntype = "h"\n' }],
  ['empty type', { cfg: 'name = "a"\ntype = ""\n' }],
  ['type pvh without kernel', { cfg: 'name = "a"\ntype = "pvh"\n' }],
  ['bad type', { cfg: 'name = "a"\ntype = "kvm"\n' }],
  ['builder generic', { cfg: 'name = "a"\nbuilder = "generic"\nkernel = "/k"\n' }],
  ['builder hvm', { cfg: 'name = "a"\nbuilder = "hvm"\n' }],
  ['builder contradicts type', { cfg: 'name = "a"\nbuilder = "hvm"\ntype = "pv"\n' }],
  ['bad builder', { cfg: 'name = "a"\nbuilder = "linux"\n' }],
  ['default type without kernel', { cfg: 'name = "a"\n' }],
  ['bootloader', { cfg: 'name = "a"\nbootloader = "pygrub"\n' }],
  ['PV-GRUB firmware', { cfg: 'name = "a"\nfirmware = "pvgrub64"\n' }],
  ['kernel and firmware', { cfg: 'name = "a"\nkernel = "/k"\nfirmware = "pvgrub32"\n' }],
  ['bad PV firmware', { cfg: 'name = "a"\nfirmware = "ovmf"\n' }],
  ['uuid given', { cfg: `${HVM}uuid = "0A133075-2106-45F5-B159-9702E4E6AF7D"\n` }],
  ['bad uuid', { cfg: `${HVM}uuid = "0a133075"\n` }],
  ['maxmem and maxvcpus', { cfg: `${HVM}maxmem = 2048\nmaxvcpus = 4\n` }],
  ['maxvcpus below vcpus', { cfg: `${HVM}maxvcpus = 1\n` }],
  ['maxvcpus zero', { cfg: `${HVM}maxvcpus = 0\n` }],
  ['vcpus zero', { cfg: 'name = "a"\ntype = "hvm"\nvcpus = 0\n' }],
  ['memory in hex and octal', { cfg: 'name = "a"\ntype = "hvm"\nmemory = 0x100\nmaxmem = 0400\n' }],
  ['memory not a number', { cfg: `${PV}memory = "lots"\nacpi = "yes"\n` }],
  ['memory with +=', { cfg: `${HVM}memory += 2\n` }],
  ['shutdown actions', { cfg: `${HVM}on_poweroff = "preserve"\non_reboot = "destroy"\non_crash = "coredump-restart"\non_watchdog = "rename-restart"\non_soft_reset = "destroy"\n` }],
  ['bad shutdown action', { cfg: `${HVM}on_crash = "restart_rename"\n` }],
  ['acpi off', { cfg: `${HVM}acpi = 0\n` }],
  ['acpi on', { cfg: `${PV}acpi = 1\n` }],
  ['cmdline from root and extra', { cfg: `${PV}root = "/dev/xvda1"\nextra = "quiet"\nramdisk = "/boot/initrd"\n` }],
  ['cmdline wins over root', { cfg: `${PV}cmdline = "console=hvc0"\nroot = "/dev/xvda1"\n` }],
  ['extra alone', { cfg: `${PV}extra = "single"\n` }],
  ['hvmloader as kernel', { cfg: `${HVM}kernel = "/usr/lib/xen-4.17/boot/hvmloader"\n` }],
  ['UTF-8 and escapes in strings', { cfg: 'name = "caf\u00e9 \\t\\"q\\" /\\a"\ntype = "hvm"\ncmdline = "\\n\\r\\b\\f\\v"\n' }],
  ['unknown keys', { cfg: `${HVM}frobnicate = 1\nlocal.thing = "x"\n` }],
  ['syntax error', { cfg: `${HVM}memory =\n` }],
  ['Python config', { cfg: "name = 'py'\nmemory = 256 + 256\nvif = [ 'bridge=xenbr0' ]\n" }],
  ['disks: positional, deprecated prefixes, cdrom', { cfg: `${HVM}disk = [ 'phy:/dev/vg/w,xvda,w', 'file:/srv/a.iso,hdc:cdrom,r', '/img/c.img,raw,xvdc,ro', 'qcow2:/img/d.qcow2,xvdd,w' ]\n` }],
  ['disks: key=value forms', { cfg: `${HVM}disk = [ 'format=qcow2, vdev=xvdb, access=rw, target=/img/b.qcow2', 'vdev=hdc, devtype=cdrom, target=', 'backendtype=qdisk,vdev=xvde,script=block-x,target=/dev/sde', 'vdev=xvdf,discard,direct-io-safe,backend=dom1,target=/f' ]\n` }],
  ['disks: empty cdrom and no-discard', { cfg: `${HVM}disk = [ ',,hdc:cdrom,r', 'no-discard,vdev=xvdg,trusted,target=/g', 'untrusted,vdev=xvdh,specification=xen,target=/h' ]\n` }],
  ['disks: nbd and vhd prefixes', { cfg: `${PV}disk = [ 'nbd:host:1234,xvda,w', 'vhd:/img/x.vhd,xvdb,r', 'tap:aio:/img/y,xvdc,w', 'tap2:tapdisk:vhd:/img/z.vhd,xvdd,w' ]\n` }],
  ['disk: no vdev', { cfg: `${HVM}disk = [ '/img/a.img' ]\n` }],
  ['disk: bad format', { cfg: `${HVM}disk = [ 'format=vmdk,vdev=xvda,target=/a' ]\n` }],
  ['disk: unknown parameter', { cfg: `${HVM}disk = [ 'frob=1,vdev=xvda,target=/a' ]\n` }],
  ['disk: unknown prefix', { cfg: `${HVM}disk = [ 'nfs:/srv/a,xvda,w' ]\n` }],
  ['disk: too many positional', { cfg: `${HVM}disk = [ '/a,raw,xvda,w,extra' ]\n` }],
  ['disk: bad access', { cfg: `${HVM}disk = [ '/a,raw,xvda,x' ]\n` }],
  ['disk: vdev respecified', { cfg: `${HVM}disk = [ 'vdev=xvda,vdev=xvdb,target=/a' ]\n` }],
  ['disk: unknown devtype', { cfg: `${HVM}disk = [ 'devtype=floppy,vdev=fda,target=/a' ]\n` }],
  ['disk: deprecated type', { cfg: `${HVM}disk = [ '/a,raw,hda:floppy,w' ]\n` }],
  ['disk: no target, not removable', { cfg: `${HVM}disk = [ 'vdev=xvda' ]\n` }],
  ['disk: bad backendtype and colo-port', { cfg: `${HVM}disk = [ 'backendtype=nvme,colo-port=x,vdev=xvda,target=/a' ]\n` }],
  ['disk: format respecified', { cfg: `${HVM}disk = [ 'qcow2:/a,vhd,xvda' ]\n` }],
  ['disk: spaces and an empty entry', { cfg: `${HVM}disk = [ '  /a , raw , xvda , w', '' ]\n` }],
  ['vifs: every common option', { cfg: `${HVM}vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0', 'type=ioemu,model=e1000,rate=10Mb/s', 'ip=10.0.0.2,script=vif-route,vifname=v0,backend=dom1,gatewaydev=eth0,mtu=9000', 'type=vif,rate=1GB/s@20ms,trusted', 'devid=7,untrusted,accel=x' ]\n` }],
  ['vifs: rates', { cfg: `${HVM}vif = [ 'rate=100Kb/s@1s', 'rate=5MB/s@100us', 'rate=0100Mb/s@010', 'rate=4294967295B/s@1s' ]\n` }],
  ['vif: empty and bare tokens', { cfg: `${HVM}vif = [ '', ',,bridge=br1,', 'netdev=eth1' ]\n` }],
  ['vif: bad mac', { cfg: `${HVM}vif = [ 'mac=00:16:3e:zz:00:01', 'mac=0x1:2:3:4:5:6', 'mac=1:2:3' ]\n` }],
  ['vif: bad type and unknown option', { cfg: `${HVM}vif = [ 'type=tap,frob=1,bridge=br0' ]\n` }],
  ['vif: bad rate', { cfg: `${HVM}vif = [ 'rate=10Mbit' ]\n` }],
  ['vif: no rate', { cfg: `${HVM}vif = [ 'rate=@10ms' ]\n` }],
  ['vif: rate overflow', { cfg: `${HVM}vif = [ 'rate=4294967296B/s' ]\n` }],
  ['vif: bad interval', { cfg: `${HVM}vif = [ 'rate=1MB/s@10h' ]\n` }],
  ['vif: interval overflow', { cfg: `${HVM}vif = [ 'rate=1MB/s@5000s' ]\n` }],
  ['vif: bad mtu', { cfg: `${HVM}vif = [ 'mtu=big' ]\n` }],
  ['disks and vifs on PV', { cfg: `${PV}disk = [ 'phy:/dev/vg/d4,xvda,w' ]\nvif = [ 'bridge=xenbr0,mac=00:16:3E:AA:BB:CC' ]\n` }],
  ['KEY=VALUE extras', { cfg: HVM, args: ['-N', 'create', 'FILE', 'memory=2048', 'name="other"', 'ms_vm_genid="generate"'] }],
  ['extras with a syntax error', { cfg: HVM, args: ['-N', 'create', 'FILE', 'memory=='] }],
  ['extras only, on /dev/null', { cfg: '', args: ['-N', 'create', '/dev/null', 'name="n"', 'type="hvm"'] }],
  ['missing file', { cfg: '', args: ['-N', 'create', 'no-such.cfg'] }],
  ['no config file', { cfg: '', args: ['-N', 'create'] }],
  ['an unknown create option', { cfg: HVM, args: ['create', '-z', 'FILE'] }],
  ['a command xl does not have', { cfg: '', args: ['frobnicate'] }],
  ['-N on a command prefix', { cfg: HVM, args: ['-N', 'cr', 'FILE'] }],
];

/** Lines of the keys parse_config_data models here, with ordinary, odd and wrong values. */
const KEY_LINES: Record<string, readonly string[]> = {
  type: ['"hvm"', '"pv"', '"pvh"', '""', '"h"', '"p"', '"kvm"'],
  builder: ['"hvm"', '"generic"', '"g"', '"linux"'],
  name: ['"vm"', '"other"', '[ "vm" ]', '1'],
  uuid: ['"0a133075-2106-45f5-b159-9702e4e6af7d"', '"0A133075-2106-45F5-B159-9702E4E6AF7D"', '"nope"'],
  memory: ['64', '0x40', '"128"', '"lots"', '[ 1 ]', "'-1'"],
  maxmem: ['128', '32', '"x"'],
  vcpus: ['0', '1', '2', '4', "'-1'"],
  maxvcpus: ['0', '2', '8'],
  kernel: ['"/boot/vmlinuz"', '"/usr/lib/xen-4.17/boot/hvmloader"', '[ "k" ]'],
  ramdisk: ['"/boot/initrd"'],
  bootloader: ['"pygrub"'],
  firmware: ['"pvgrub64"', '"pvgrub"', '"ovmf"', '"UEFI"', '"bios"', '"/fw.bin"'],
  bios: ['"seabios"', '"OVMF"', '"coreboot"'],
  cmdline: ['"console=hvc0"'],
  root: ['"/dev/xvda1"'],
  extra: ['"quiet"'],
  acpi: ['0', '1', '"yes"', '0x0'],
  on_poweroff: ['"destroy"', '"restart"', '"preserve"', '"reboot"'],
  on_reboot: ['"destroy"', '"rename-restart"', '"soft-reset"'],
  on_crash: ['"coredump-destroy"', '"coredump-restart"', '"crash"'],
  on_watchdog: ['"restart"'],
  on_soft_reset: ['"destroy"', '"soft-reset"'],
  ms_vm_genid: ['"generate"', '"none"', '"Generate"', '1', '[ "generate" ]', '""'],
  frobnicate: ['1', '"x"', '[ [ ] ]'],
  tsc_mode: ['"native"', '1', '"bogus"', '9'],
  timer_mode: ['"no_missed_ticks_pending"', '3', '"x"'],
  viridian: ['1', '[ "defaults", "!hcall_ipi" ]', '[ "all" ]', '[ "nope" ]'],
  cpus: ['"0-3,^1"', '[ "1", "2-9" ]', '"all"', '"x"'],
  cpus_soft: ['"all"', '[ "0" ]'],
  cpu_weight: ['256', '"heavy"'],
  vnc: ['1', '0'],
  vnclisten: ['"127.0.0.1:1"', '"0.0.0.0"'],
  vncdisplay: ['0', '2'],
  sdl: ['1'],
  serial: ['"pty"', '[ "pty", "null" ]'],
  boot: ['"dc"'],
  usbdevice: ['"tablet"', '[ "mouse" ]'],
  hap: ['0', '1'],
  apic: ['0'],
  pae: ['1'],
  localtime: ['1'],
  device_model_version: ['"qemu-xen"', '"qemu"'],
  device_model_override: ['"/qemu"'],
  pci: ['[ "01:00.0" ]', '[ "name=x,seize=1" ]', '[ "1:2:3.4.5" ]'],
  pci_permissive: ['1'],
  vfb: ['[ "vnc=1,vncdisplay=1" ]'],
  vkb: ['[ "backend-type=qemu" ]', '[ "" ]'],
  usbctrl: ['[ "type=pv,version=2,ports=4" ]'],
  usbdev: ['[ "hostbus=2,hostaddr=3,type=hostdev" ]'],
  channel: ['[ "connection=pty,name=c" ]', '[ "connection=socket" ]'],
  max_grant_frames: ['32', '"x"'],
  mmio_hole: ['512', '64'],
  gfx_passthru: ['1', '"igd"'],
  stdvga: ['1'],
  vga: ['"none"', '"vesa"'],
};
const keyLine = fc
  .constantFrom(...Object.keys(KEY_LINES))
  .chain((key) => fc.tuple(fc.constant(key), fc.constantFrom(...KEY_LINES[key]!), fc.constantFrom(' = ', '=', ' += ')))
  .map(([key, value, op]) => `${key}${op}${value}\n`);
const generatedConfig = fc.array(keyLine, { minLength: 1, maxLength: 9 }).map((lines) => `name = "vm"\n${lines.join('')}`);
const SEED = Number(process.env.XL_CFG_FUZZ_SEED ?? 20141105);
const GENERATED = 160;

const referee = findRealXl();

describeWithReferee('xl -N create matches Debian\'s xl 4.17', referee, () => {
  let dir = '';
  let stub = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xl-cli-real-xl-'));
    stub = join(dir, 'xl-hypervisor-stub.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', stub, new URL('./__fixtures__/xl-hypervisor-stub.c', import.meta.url).pathname]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What differs on every run: the uuid and the 16 generation-ID bytes. */
  const normalise = (text: string): string =>
    text.replace(/"uuid": "[0-9a-f-]{36}"/g, '"uuid": "<uuid>"').replace(/"ms_vm_genid": \[[\s\d,]*\]/g, '"ms_vm_genid": <genid>');
  /** xl reads /etc/xen/xl.conf first; we do not (docs/divergences.md), so its complaint is dropped. */
  const withoutGlobalConfig = (text: string): string => text.replace(/^Failed to read config file: \/etc\/xen\/xl\.conf: .*\n/m, '');

  async function runOurs(args: string[], env: Record<string, string>) {
    const result = { status: 0 as number | null, stdout: '', stderr: '' };
    result.status = await main(args, {
      stdout: { write: (chunk: string | Uint8Array) => (result.stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()) },
      stderr: { write: (chunk: string | Uint8Array) => (result.stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()) },
      readFile: (path) => readFileSync(resolve(dir, path)),
      env,
    });
    return result;
  }

  it(`matches on ${GENERATED} generated configs of the modelled keys (seed ${SEED})`, async () => {
    const configs = fc.sample(generatedConfig, { seed: SEED, numRuns: GENERATED });
    const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: join(dir, 'state'), XEN_GENID_HOST: join(dir, 'host.db') };
    for (const [index, cfg] of configs.entries()) {
      const file = `generated-${index}.cfg`;
      writeFileSync(join(dir, file), cfg);
      const args = ['-N', 'create', file];
      const real = spawnSync(REAL_XL, args, { cwd: dir, encoding: 'utf8', env: { ...env, LD_PRELOAD: stub }, timeout: 20_000 });
      const ours = await runOurs(args, env);
      const shape = (result: { status: number | null; stderr: string; stdout: string }) => ({
        cfg,
        status: result.status,
        stderr: withoutGlobalConfig(result.stderr),
        stdout: normalise(result.stdout),
      });
      expect(shape(ours)).toEqual(shape(real));
    }
  }, 60_000);

  it.each(DRY_RUN_CASES.map(([title, item], index) => [title, item, index] as const))('%s', async (_title, item, index) => {
    const file = `case-${index}.cfg`;
    writeFileSync(join(dir, file), item.cfg);
    const args = (item.args ?? ['-N', 'create', 'FILE']).map((arg) => (arg === 'FILE' ? file : arg));
    const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: join(dir, 'state'), XEN_GENID_HOST: join(dir, 'host.db') };
    const real = spawnSync(REAL_XL, args, { cwd: dir, encoding: 'utf8', env: { ...env, LD_PRELOAD: stub }, timeout: 20_000 });
    const ours = await runOurs(args, env);
    expect(real.error).toBeUndefined();
    const shape = (result: { status: number | null; stderr: string; stdout: string }) => ({
      status: result.status,
      stderr: withoutGlobalConfig(result.stderr),
      stdout: normalise(result.stdout),
    });
    expect(shape(ours)).toEqual(shape(real));
  });
});
