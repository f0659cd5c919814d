import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { planFirmwareBoot } from './linux/firmware-plan.ts';
import { minimumMemoryMiB, realGuestCommandLine, realGuestInitrd, realGuestTables } from './real-guest.ts';

const { plan } = planFirmwareBoot({ generationId: { low: 1n, high: 2n }, machine: 'q35' });
const dir = mkdtempSync(join(tmpdir(), 'qemu-dm-initrd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the real guest boot pieces', () => {
  it('keep the firmware area off the kernel and probe what vmgenid reads', () => {
    const line = realGuestCommandLine(plan, 'root=/dev/xvda1 quiet');
    expect(line).toMatch(/^console=ttyS0 loglevel=6 memmap=0x100000\$0x7000000 /);
    expect(line).toContain('kprobe_event=p:vgrand,add_device_randomness');
    expect(line.endsWith(' root=/dev/xvda1 quiet')).toBe(true);
    expect(minimumMemoryMiB(plan)).toBe(128);
  });

  it('add a polled notify zone to the firmware DSDT', () => {
    const tables = realGuestTables(plan);
    expect(tables.map((table) => table.name)).toEqual(['dsdt.aml', 'vgnotify.aml']);
    expect(Buffer.from(tables[1]!.bytes).includes(Buffer.from('_TZP'))).toBe(true);
    expect(Buffer.from(tables[1]!.bytes).includes(Buffer.from('VGMR'))).toBe(false);
    // With the ID the guest boots with, the zone watches it at the plan's address.
    const watching = realGuestTables(plan, { low: 1n, high: 2n })[1]!.bytes;
    expect(Buffer.from(watching).includes(Buffer.from('VGMR'))).toBe(true);
    expect(watching.length).toBeGreaterThan(tables[1]!.bytes.length);
  });

  it('put the table upgrade first, then the resident root or the user ramdisk as given', () => {
    const busybox = join(dir, 'busybox');
    const module = join(dir, 'button.ko');
    writeFileSync(busybox, 'not really busybox');
    writeFileSync(module, 'module bytes');
    const image = Buffer.from(realGuestInitrd(plan, { busybox, modules: [module] }));
    expect(image.subarray(0, 6).toString()).toBe('070701');
    expect(image.includes(Buffer.from('kernel/firmware/acpi/vgnotify.aml'))).toBe(true);
    const gzipAt = image.indexOf(Buffer.from([0x1f, 0x8b, 0x08]));
    const root = gunzipSync(image.subarray(gzipAt)).toString('latin1');
    expect(root).toContain('modules/button.ko');
    expect(root).toContain('module bytes');
    expect(root).toContain('GENID: ready');

    const ramdisk = join(dir, 'ramdisk.img');
    writeFileSync(ramdisk, 'USER-RAMDISK');
    const mine = Buffer.from(realGuestInitrd(plan, { ramdisk }));
    expect(mine.subarray(-12).toString()).toBe('USER-RAMDISK');
    expect(mine.includes(Buffer.from('GENID: ready'))).toBe(false);
  });
});
