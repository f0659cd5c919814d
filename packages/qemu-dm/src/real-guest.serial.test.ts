/**
 * Debian's 6.1 kernel under the device model on our firmware's output, one boot per scenario: the
 * ID read at probe is the one in the RAM file; a new ID written there is re-read and reseeds;
 * device state saved without RAM restores as a clone on a copy of the RAM with its own ID, which
 * the restored kernel re-reads; the power button ends it. And with no ID, nothing binds.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeviceModel, deviceModelFiles, deviceModelFilesExist, launchDeviceModel, processAlive, reapDeviceModel } from './device-model.ts';
import { ensureKernelModule } from './guest/kernel-modules.ts';
import { planFirmwareBoot } from './linux/firmware-plan.ts';
import { ensureKernel } from './linux/kernel.ts';
import { RamFile } from './ram-file.ts';
import { minimumMemoryMiB, readGuestConsole, startRealGuest, waitForGuest } from './real-guest.ts';

const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);
const dir = mkdtempSync(join(tmpdir(), 'qemu-dm-guest-'));
const MEMORY_MIB = 256;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
let kernel = '';
let modules: string[] = [];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithReferee('a real kernel under the device model', referee, () => {
  beforeAll(async () => {
    const image = await ensureKernel();
    if ('missing' in image) throw new Error(image.missing);
    kernel = image.bootImage;
    modules = image.packageName ? [await ensureKernelModule(image.packageName)] : [];
  }, 120_000);

  it('reads the ID, reseeds on a new one, and restores as a clone that reseeds on its own ID', async () => {
    const { plan, idBytes } = planFirmwareBoot({ generationId: { low: 0x1122334455667788n, high: 0x99aabbccddeeff00n }, machine: 'pc' });
    const files = deviceModelFiles(dir, 'host-a', 1);
    const dm = startRealGuest(plan, { kernel, modules, machine: 'pc', memoryMiB: MEMORY_MIB, files });
    using ram = RamFile.open(files.ram);
    const booted = await waitForGuest(files, (view) => view.ready);
    expect(booted.bound).toBe(true);
    expect(booted.bootRead).toBe(hex(idBytes));
    expect(hex(ram.read(plan.idAddress, 16))).toBe(hex(idBytes));
    expect(booted.reseeds).toBe(0);

    dm.pause();
    expect(dm.status()).toBe('paused');
    const renewed = Buffer.from('c0ffee00deadbeef0123456789abcdef', 'hex');
    ram.write(plan.idAddress, renewed);
    dm.unpause();
    const seen = await waitForGuest(files, (view) => view.forkReads.length > 0 && view.reseeds > 0);
    expect(seen.forkReads).toEqual([hex(renewed)]);
    expect(seen.current).toBe(hex(renewed));

    const state = join(dir, 'state.bin');
    dm.saveDeviceState(state);
    dm.quit();
    expect(processAlive(dm.pid)).toBe(false);

    const clone = deviceModelFiles(dir, 'host-b', 1);
    copyFileSync(files.ram, clone.ram);
    copyFileSync(files.initrd, clone.initrd);
    using cloneRam = RamFile.open(clone.ram);
    const restored = new DeviceModel(clone, launchDeviceModel({ machine: 'pc', memoryMiB: MEMORY_MIB, files: clone, kernel, initrd: clone.initrd, incoming: true }));
    restored.loadDeviceState(state);
    const cloneId = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    cloneRam.write(plan.idAddress, cloneId);
    restored.unpause();
    const reseeded = await waitForGuest(clone, (view) => view.forkReads.length > 0 && view.reseeds > 0);
    expect(reseeded.forkReads).toEqual([hex(cloneId)]);
    expect(hex(ram.read(plan.idAddress, 16))).toBe(hex(renewed));

    restored.powerdown();
    const end = Date.now() + 60_000;
    while (processAlive(restored.pid) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processAlive(restored.pid)).toBe(false);
    expect(readGuestConsole(clone).current).toBe(hex(cloneId));
    reapDeviceModel(files);
    reapDeviceModel(clone);
    expect([...deviceModelFilesExist(files), ...deviceModelFilesExist(clone)]).toEqual([]);
  }, 300_000);

  it('has no VGID device to bind when the firmware placed no ID', async () => {
    const { plan } = planFirmwareBoot({ generationId: { low: 0n, high: 0n }, machine: 'pc' });
    const files = deviceModelFiles(dir, 'host-c', 1);
    startRealGuest(plan, { kernel, modules, machine: 'pc', memoryMiB: MEMORY_MIB, files });
    try {
      const view = await waitForGuest(files, (guest) => guest.ready);
      expect(view.bound).toBe(false);
      expect(view.bootRead).toBeUndefined();
    } finally {
      reapDeviceModel(files);
    }
  }, 300_000);

  it('refuses too little memory, and leaves nothing behind when QEMU cannot start', () => {
    const { plan } = planFirmwareBoot({ generationId: { low: 1n, high: 2n }, machine: 'pc' });
    const files = deviceModelFiles(dir, 'host-d', 1);
    expect(() => startRealGuest(plan, { kernel, modules, machine: 'pc', memoryMiB: 64, files })).toThrow(`needs at least ${minimumMemoryMiB(plan)} MiB`);
    expect(() => startRealGuest(plan, { kernel: join(dir, 'missing-kernel'), machine: 'pc', memoryMiB: MEMORY_MIB, files })).toThrow(/missing-kernel/);
    expect(deviceModelFilesExist(files)).toEqual([]);
  });
});
