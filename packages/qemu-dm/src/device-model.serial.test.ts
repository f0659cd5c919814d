/**
 * Debian's QEMU as the device model, without a kernel (SeaBIOS finds nothing to boot and idles):
 * the shared RAM file, QMP run-state control, device state saved without RAM and loaded into a new
 * QEMU on the same file, launch errors, and reaping what an interrupted toolstack left.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, expect, it } from 'vitest';
import { DeviceModel, deviceModelFiles, deviceModelFilesExist, launchDeviceModel, processAlive, reapDeviceModel, runningDeviceModel } from './device-model.ts';
import { QemuDmError } from './errors.ts';
import { qmpRun } from './qmp.ts';
import { RamFile } from './ram-file.ts';

const referee = findReferee('qemu-system-x86', ['qemu-system-x86_64']);
const dir = mkdtempSync(join(tmpdir(), 'qemu-dm-'));
const MIB = 1024 * 1024;
const ADDRESS = 0x7000000n;
const started: number[] = [];

afterAll(() => {
  for (const pid of started) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** What QEMU itself sees at a guest-physical address (HMP `xp` through QMP). */
function qemuSees(dm: DeviceModel, address: bigint, count: number): string {
  const [text] = qmpRun(dm.files.qmp, [{ execute: 'human-monitor-command', arguments: { 'command-line': `xp /${count}xb 0x${address.toString(16)}` } }]) as [string];
  return [...text.matchAll(/0x([0-9a-f]{2})\b/g)].map((match) => match[1]).join('');
}

function launch(hostId: string, incoming = false): DeviceModel {
  const files = deviceModelFiles(dir, hostId, 1);
  const pid = launchDeviceModel({ machine: 'pc', memoryMiB: 128, files, incoming });
  started.push(pid);
  return new DeviceModel(files, pid);
}

describeWithReferee('QEMU as the device model', referee, () => {
  it('shares guest RAM with the host file, pauses and continues, and moves its device state without RAM', () => {
    const files = deviceModelFiles(dir, 'host-a', 1);
    const ram = RamFile.create(files.ram, 128 * MIB);
    ram.write(ADDRESS, Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    const dm = launch('host-a');
    expect(runningDeviceModel(files)).toBe(dm.pid);
    expect(dm.status()).toBe('running');
    expect(qemuSees(dm, ADDRESS, 16)).toBe('00112233445566778899aabbccddeeff');
    dm.pause();
    expect(dm.status()).toBe('paused');
    dm.unpause();
    expect(dm.status()).toBe('running');

    const state = join(dir, 'state.bin');
    dm.saveDeviceState(state);
    expect(dm.status()).toBe('postmigrate');
    // Devices and ROMs only: far less than the 128 MiB of RAM.
    expect(statSync(state).size).toBeLessThan(4 * MIB);
    dm.quit();
    expect(processAlive(dm.pid)).toBe(false);
    expect(runningDeviceModel(files)).toBeUndefined();

    // The same RAM file under a new QEMU, with a change made while no QEMU ran.
    ram.write(ADDRESS, Buffer.from('c0ffee00', 'hex'));
    const restored = launch('host-a', true);
    expect(restored.status()).toBe('inmigrate');
    restored.loadDeviceState(state);
    expect(restored.status()).toBe('paused');
    expect(qemuSees(restored, ADDRESS, 6)).toBe('c0ffee004455');
    restored.unpause();
    expect(restored.status()).toBe('running');
    restored.quit();
    ram.close();
    reapDeviceModel(files);
    expect(deviceModelFilesExist(files)).toEqual([]);
  });

  it('reports QMP errors with their class, and a missing QEMU or kernel clearly', () => {
    const dm = launch('host-b');
    const failure = (() => {
      try {
        qmpRun(dm.files.qmp, [{ execute: 'no-such-command' }]);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(QemuDmError);
    expect((failure as QemuDmError).qmpClass).toBe('CommandNotFound');
    reapDeviceModel(dm.files);
    expect(processAlive(dm.pid)).toBe(false);

    const files = deviceModelFiles(dir, 'host-c', 1);
    expect(() => launchDeviceModel({ qemu: '/nonexistent/qemu', machine: 'pc', memoryMiB: 128, files })).toThrow(/not found \(Debian package qemu-system-x86\)/);
    expect(() => launchDeviceModel({ machine: 'pc', memoryMiB: 128, files, kernel: join(dir, 'no-kernel') })).toThrow(/exited with status 1: .*no-kernel/);
    expect(() => qmpRun(files.qmp, [{ execute: 'query-status' }])).toThrow(/cannot connect/);
    reapDeviceModel(files);
    expect(existsSync(files.ram)).toBe(false);
  });

  it('reaps a device model whose toolstack was killed: its QEMU and every file', () => {
    const dm = launch('host-d');
    expect(deviceModelFilesExist(dm.files).length).toBeGreaterThan(2);
    reapDeviceModel(dm.files);
    expect(processAlive(dm.pid)).toBe(false);
    expect(deviceModelFilesExist(dm.files)).toEqual([]);
  });
});
