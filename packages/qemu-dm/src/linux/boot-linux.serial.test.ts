/**
 * Debian's own kernel under QEMU TCG, booted on our firmware's tables and memory: the positive
 * proofs on both machine types, the renewal re-read, and the negative controls that must fail.
 * Each boot takes 5-10 s; the kernel is fetched once into the user's cache and read-only after.
 */
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { finishTable } from '@xen-genid/hvmloader-sim';
import { run as runBootLinux } from '../cli/boot-linux.ts';
import { bootLinuxGuest, toHex, type GuestBootPlan } from './boot.ts';
import { bootLinux } from './boot-linux.ts';
import { planFirmwareBoot } from './firmware-plan.ts';
import { ensureKernel } from './kernel.ts';

const generationId = { low: 0x332211009c3a1f5en, high: 0xbbaa998877665544n };
const idText = `${generationId.low}:${generationId.high}`;
const idHex = '5e1f3a9c00112233445566778899aabb';
const renewalGenerationId = { low: 0xefbeadde00eeffc0n, high: 0xefcdab8967452301n };
const renewalHex = 'c0ffee00deadbeef0123456789abcdef';
const BOOT_TIMEOUT = 120_000;

// apt-get and dpkg-deb fetch Debian's kernel into the user's cache the first time.
const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

/** Moves the 16 ID bytes `offset` bytes further in the loaded memory, zeroing the real buffer. */
function misplaceId(plan: GuestBootPlan, offset: bigint): GuestBootPlan {
  const memory = plan.memory.map((image) => {
    const bytes = image.bytes.slice();
    const at = Number(plan.idAddress - image.address);
    const to = at + Number(offset);
    if (at >= 0 && to + 16 <= bytes.length) {
      bytes.copyWithin(to, at, at + 16);
      bytes.fill(0, at, at + 16);
    }
    return { address: image.address, bytes };
  });
  return { ...plan, memory };
}

/** `Name(PKG, Package(2){0, 0})` → `Name(PKG, Package(1){0})` + Noop, same length: ADDR returns one element. */
function oneElementAddr(plan: GuestBootPlan): GuestBootPlan {
  const tables = plan.tables.map((table) => {
    const bytes = table.bytes.slice();
    const from = [0x08, 0x50, 0x4b, 0x47, 0x5f, 0x12, 0x04, 0x02, 0x00, 0x00];
    const at = bytes.findIndex((_, index) => from.every((byte, offset) => bytes[index + offset] === byte));
    if (at < 0) return table;
    bytes.set([0x12, 0x03, 0x01, 0x00, 0xa3], at + 5);
    return { name: table.name, bytes: finishTable(bytes) };
  });
  expect(tables.map((table) => table.bytes)).not.toEqual(plan.tables.map((table) => table.bytes));
  return { ...plan, tables };
}

describeWithReferee('a real Linux guest reads the ID from our firmware tables', referee, () => {
  /** The PVH-bootable vmlinux when it could be unpacked (fast), else the bzImage. */
  let kernel = '';
  /** Debian's bzImage as shipped. */
  let bzImage = '';

  beforeAll(async () => {
    const fetched = await ensureKernel();
    if ('missing' in fetched) throw new Error(fetched.missing);
    kernel = fetched.bootImage;
    bzImage = fetched.path;
  }, 180_000);

  it(
    'pc: vmgenid binds at \\_SB.PCI0.ISA.VGID and reads exactly the ID; a renewal is seen once, unchanged bytes show nothing',
    async () => {
      const result = await bootLinux({ generationId, renewalGenerationId, machine: 'pc' });
      if (result.status !== 'booted') throw new Error(result.missing.join('; '));
      const report = result.report;
      expect(report.log.bootDmesg.join('\n')).toMatch(/Table Upgrade: override \[DSDT-BOCHS -BXPC {4}\]/);
      expect(report.device).toMatchObject({ path: '\\_SB_.PCI0.ISA_.VGID', hid: 'XEN0000', status: 15, modalias: 'acpi:XEN0000:VM_GEN_COUNTER:' });
      expect(report.bound).toBe(true);
      expect(report.probeRead?.caller).toMatch(/^vmgenid_add\+/);
      expect(report.read).toBe(idHex);
      expect(report.verdict).toBe('match');
      const renewal = report.renewal;
      expect(renewal?.unchanged).toMatchObject({ vmfork: [], forkMessages: [] });
      expect(renewal?.unchanged?.notifies).toBeGreaterThan(0);
      expect(renewal?.changed?.forkMessages).toEqual([expect.stringMatching(/crng reseeded due to virtual machine fork/)]);
      expect(renewal?.changed?.vmfork.map((hit) => toHex(hit.bytes))).toEqual([renewalHex]);
      expect(renewal?.again).toMatchObject({ vmfork: [], forkMessages: [] });
      expect(renewal?.again?.notifies).toBeGreaterThan(0);
      expect(renewal?.ok).toBe(true);
    },
    BOOT_TIMEOUT,
  );

  it(
    'q35, through the boot-linux command with --renew: exit 0 with the device, the binding, the raw kprobe line and the re-read',
    async () => {
      const stdout = capture();
      const stderr = capture();
      const renewText = `${renewalGenerationId.low}:${renewalGenerationId.high}`;
      const status = await runBootLinux(['--generation-id', idText, '--machine', 'q35', '--kernel', kernel, '--renew', renewText], {
        stdout: stdout.stream,
        stderr: stderr.stream,
      });
      expect(stderr.text()).toBe('');
      expect(status).toBe(0);
      expect(stdout.text()).toMatch(/device: {3}\\_SB_\.PCI0\.ISA_\.VGID XEN0000:00 hid=XEN0000 uid=0 status=15 modalias=acpi:XEN0000:VM_GEN_COUNTER:/);
      expect(stdout.text()).toMatch(/driver: {3}vmgenid bound/);
      expect(stdout.text()).toMatch(/kprobe: {3}.*vgrand: .*id=\{0x5e,0x1f,0x3a,0x9c,0x0,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0x99,0xaa,0xbb\} len=16 caller=vmgenid_add\+/);
      expect(stdout.text()).toMatch(new RegExp(`read: {5}${idHex}\\nexpected: ${idHex}\\n`));
      expect(stdout.text()).toMatch(/renewal unchanged: notifies=[1-9]\d* fork messages=0\n/);
      expect(stdout.text()).toMatch(new RegExp(`renewal changed: notifies=[1-9]\\d* fork messages=1 add_vmfork_randomness=${renewalHex}\\n`));
      expect(stdout.text()).toMatch(/random: crng reseeded due to virtual machine fork/);
      expect(stdout.text()).toMatch(/renewal again: notifies=[1-9]\d* fork messages=0\n/);
      expect(stdout.text()).toMatch(/result: {3}match\n$/);
    },
    BOOT_TIMEOUT,
  );

  it(
    'negative control, ID 0:0: the device is enumerated with _STA 0 and nothing binds (exit 1; the bzImage as shipped)',
    async () => {
      const stdout = capture();
      const status = await runBootLinux(['--generation-id', '0:0', '--kernel', bzImage], { stdout: stdout.stream, stderr: capture().stream });
      expect(stdout.text()).toContain(`kernel:   6.`);
      expect(stdout.text()).toMatch(/status=0 modalias=\(none\)/);
      expect(stdout.text()).toMatch(/driver: {3}not bound/);
      expect(stdout.text()).toMatch(/result: {3}not-bound/);
      expect(status).toBe(1);
    },
    BOOT_TIMEOUT,
  );

  it(
    'negative control, the bytes loaded at another address: the driver binds but reads zeros (mismatch)',
    async () => {
      const firmware = planFirmwareBoot({ generationId, machine: 'pc' });
      const report = await bootLinuxGuest(misplaceId(firmware.plan, 0x800n), firmware.idBytes, { kernel });
      expect(report.bound).toBe(true);
      expect(report.read).toBe('0'.repeat(32));
      expect(report.verdict).toBe('mismatch');
    },
    BOOT_TIMEOUT,
  );

  it(
    'negative control, ADDR returning one element: the probe fails with -EINVAL and nothing binds',
    async () => {
      const firmware = planFirmwareBoot({ generationId, machine: 'pc' });
      const report = await bootLinuxGuest(oneElementAddr(firmware.plan), firmware.idBytes, { kernel });
      expect(report.device?.status).toBe(15);
      expect(report.probeErrors.join('\n')).toMatch(/probe of XEN0000:00 failed with error -22|probe with driver vmgenid failed with error -22/);
      expect(report.bound).toBe(false);
      expect(report.probeRead).toBeUndefined();
      expect(report.verdict).toBe('not-bound');
    },
    BOOT_TIMEOUT,
  );
});
