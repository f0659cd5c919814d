/**
 * The device models under the toolstack's hypervisor, with Debian's QEMU (no kernel: SeaBIOS idles):
 * a domain with a RAM file is read and written through it and paused through QMP; destroy ends its
 * QEMU and files; a device model whose domain is gone (its toolstack was killed) is reaped when the
 * next toolstack attaches.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHypervisor, XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { MemoryUserdataStore } from '@xen-genid/xl-lib';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, expect, it } from 'vitest';
import { DeviceModel, deviceModelFilesExist, launchDeviceModel, processAlive } from './device-model.ts';
import { RamFile } from './ram-file.ts';
import { attachDeviceModels } from './toolstack.ts';

const referee = findReferee('qemu-system-x86', ['qemu-system-x86_64']);
const dir = mkdtempSync(join(tmpdir(), 'qemu-dm-toolstack-'));
const hostPath = join(dir, 'host.db');
writeFileSync(hostPath, '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function machine(): { base: MemoryHypervisor; attach: () => ReturnType<typeof attachDeviceModels> } {
  const base = new MemoryHypervisor();
  const store = createMemoryStore();
  const userdata = new MemoryUserdataStore();
  return { base, attach: () => attachDeviceModels({ hypervisor: base, store, userdata, hostPath, runDir: join(dir, 'run') }) };
}

describeWithReferee('device models under the hypervisor', referee, () => {
  it('route a real guest memory to its RAM file and its run state to QMP; destroy ends both', () => {
    const { base, attach } = machine();
    const models = attach();
    const domid = base.createDomain({ type: 'hvm', maxMemKb: 128 * 1024 }).domid;
    const simulated = base.createDomain({ type: 'hvm', maxMemKb: 128 * 1024 }).domid;
    const files = models.filesOf(domid);
    RamFile.create(files.ram, 128 * 1024 * 1024).close();
    const dm = new DeviceModel(files, launchDeviceModel({ machine: 'pc', memoryMiB: 128, files }));
    base.unpauseDomain(domid);

    const page = new Uint8Array(XC_PAGE_SIZE).fill(0x5a);
    models.hypervisor.writePage(domid, 0x7000, page);
    models.hypervisor.writePage(simulated, 0x7000, page);
    expect(base.readPage(domid, 0x7000)).toBeUndefined();
    expect(base.readPage(simulated, 0x7000)).toEqual(page);
    using ram = RamFile.open(files.ram);
    expect(ram.read(0x7000000n, 4)).toEqual(Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a));
    expect(models.hypervisor.readPage(domid, 0x7000)).toEqual(page);
    models.hypervisor.writePages(domid, [[0x7001, page]]);
    models.hypervisor.writePages(simulated, [[0x7001, page]]);
    expect(base.readPages(domid, [0x7000, 0x7001])).toEqual([undefined, undefined]);
    expect(models.hypervisor.readPages(domid, [0x7000, 0x7001, 0x7002])).toEqual([page, page, new Uint8Array(XC_PAGE_SIZE)]);
    expect(models.hypervisor.readPages(simulated, [0x7001, 0x7002])).toEqual([page, undefined]);
    // What a save sends: the frames of the RAM file that hold anything (SeaBIOS's, and ours).
    expect(models.hypervisor.touchedPages(domid)).toContain(0x7000);

    models.hypervisor.pauseDomain(domid);
    expect(dm.status()).toBe('paused');
    models.hypervisor.unpauseDomain(domid);
    expect(dm.status()).toBe('running');

    models.hypervisor.destroyDomain(domid);
    expect(processAlive(dm.pid)).toBe(false);
    expect(deviceModelFilesExist(files)).toEqual([]);
    expect(base.getDomain(domid)).toBeUndefined();
  });

  it('reaps, at attach, a device model whose domain is gone, and leaves live ones alone', () => {
    const { base, attach } = machine();
    const first = attach();
    const live = base.createDomain({ type: 'hvm', maxMemKb: 128 * 1024 }).domid;
    const orphanFiles = first.filesOf(live + 1);
    const liveFiles = first.filesOf(live);
    const orphan = launchDeviceModel({ machine: 'pc', memoryMiB: 128, files: orphanFiles });
    const kept = launchDeviceModel({ machine: 'pc', memoryMiB: 128, files: liveFiles });
    attach();
    expect(processAlive(orphan)).toBe(false);
    expect(deviceModelFilesExist(orphanFiles)).toEqual([]);
    expect(processAlive(kept)).toBe(true);
    new DeviceModel(liveFiles, kept).quit();
    expect(processAlive(kept)).toBe(false);
  });
});
