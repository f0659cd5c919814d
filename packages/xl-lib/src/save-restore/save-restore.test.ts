/**
 * Every save / restore / migrate row of spec/lifecycle.md, end to end through a libxl context with
 * hvmloader-sim's firmware and guest model: the ID the guest OS reads through ACPI is the one the
 * policy says, and config, xenstore and guest memory agree with it. Every save file written here
 * also passes our reader's checks and, at the end, Debian's verify-stream-v2.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { describeWithReferee } from '@xen-genid/test-utils';
import { HVM_PARAM_VM_GENERATION_ID_ADDR, XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { afterAll, describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { genidOfConfig } from '../genid/lifecycle-policy.ts';
import { createSeededRandomSource } from '../random-bytes.ts';
import { verifyStreamReferee, verifyStreams } from '../stream/__fixtures__/verify-stream.ts';
import { checkSaveImage } from '../stream/check-save-image.ts';
import { bufferSource, chunkSource } from '../stream/byte-source.ts';
import { REC_TYPE, REC_TYPE_LIBXL, alignRecord } from '../stream/format.ts';
import { EMULATOR_ID_QEMU_UPSTREAM, type DeviceModelPort } from '../lifecycle/device-model.ts';
import { createLibxl } from '../lifecycle/libxl.ts';
import { saveImageChunks } from '../stream/write-save-image.ts';
import { defaultDomainConfig, domainConfigFromJsonText, domainConfigToJsonText, type DomainConfig } from '../types/domain-config.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { channelFromDuplex, createChannelPair } from './channel.ts';
import { beginMigrationReceive, beginMigrationSend, migrateDomain, receiveMigration, sendMigration } from './migrate.ts';
import { restoreDomain, saveDomain, type RestoreResult } from './operations.ts';
import { readSaveFile } from './save-file.ts';
import { closeAfterTest, createMachine, expectGenidAgreement, genidEverywhere, type Machine } from '../__fixtures__/machine.ts';

const dir = mkdtempSync(join(tmpdir(), 'xl-lib-save-restore-'));
const written: string[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seed = 100;
const machine = (): Machine => createMachine(seed++);

const EXPLICIT = MsVmGenid.fromHex('00112233445566778899aabbccddeeff');

function hvmConfig(name: string, genid: MsVmGenid | 'none'): DomainConfig {
  const config = defaultDomainConfig('hvm');
  config.createInfo.name = name;
  config.buildInfo.maxMemkb = 65536n;
  config.buildInfo.targetMemkb = 65536n;
  if (genid !== 'none' && config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = genid;
  return config;
}

/** A booted guest: `generate` (a random ID, as xl's parse makes), an explicit ID, or none. */
function boot(m: Machine, name: string, mode: 'generate' | 'explicit' | 'none'): number {
  const genid = mode === 'none' ? 'none' : mode === 'explicit' ? EXPLICIT : MsVmGenid.generate(m.libxl.random);
  const domid = m.libxl.createDomain(hvmConfig(name, genid));
  // the guest writes some memory of its own
  for (let pfn = 0x100; pfn < 0x110; pfn++) m.hypervisor.writePage(domid, pfn, new Uint8Array(XC_PAGE_SIZE).fill(pfn & 0xff));
  return domid;
}

/** sha256 of every touched page, with the 16 bytes at param 34 zeroed when `maskGenid`. */
function memoryHash(m: Machine, domid: number, maskGenid: boolean): string {
  const hash = createHash('sha256');
  const address = m.hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
  for (const pfn of m.hypervisor.touchedPages(domid)) {
    const page = m.hypervisor.readPage(domid, pfn)!;
    if (maskGenid && address !== 0n && pfn === Number(address >> 12n)) page.fill(0, Number(address & 0xfffn), Number(address & 0xfffn) + 16);
    hash.update(`${pfn}:`).update(page);
  }
  return hash.digest('hex');
}

/**
 * What the guest reads after a restore: once when it resumes (or boots), and, where the policy
 * notifies a renewed ID and the context can deliver it (beyond Xen), once more on that notify.
 */
function readsAfterRestore(m: Machine, result: RestoreResult, first: 'resume' | 'boot' = 'resume'): string[] {
  return result.decision.notify && 'notifyGenidChange' in m.libxl ? [first, 'notify'] : [first];
}

function guestReads(m: Machine, domid: number): string[] {
  return readGuestRecord(m.hypervisor, domid)?.reads.map((read) => read.reason) ?? [];
}

/** Everything a domain leaves in a machine besides Domain-0's own entries. */
function leftovers(m: Machine) {
  const list = (path: string) => (m.libxl.xs.exists(path) ? m.libxl.xs.directory(path) : []);
  return {
    domains: m.hypervisor.listDomains().map((info) => info.domid),
    localDomain: list('/local/domain').filter((entry) => entry !== '0'),
    vm: list('/vm'),
    libxl: list('/libxl'),
    backends: list('/local/domain/0/backend'),
    userdata: m.userdata.domids(),
  };
}
// Domain-0 keeps the stub config xen-init-dom0 stores.
const EMPTY = { domains: [0], localDomain: [], vm: [], libxl: [], backends: [], userdata: [0] };

/** Saves through `saveDomain`, then checks the file with our reader (pages, record set, ID vs memory). */
async function save(m: Machine, domid: number, name: string, options: Parameters<typeof saveDomain>[3] = {}): Promise<string> {
  const file = join(dir, `${name}.save`);
  const touched = m.hypervisor.touchedPages(domid);
  await saveDomain(m.libxl, domid, { file }, options);
  written.push(file);
  expect(checkSaveImage(await readSaveFile(file), { touchedPages: touched })).toEqual([]);
  return file;
}

describe.each(['generate', 'explicit'] as const)('save and restore rows, config %s', (mode) => {
  it('xl save -c (checkpoint): the running domain keeps its ID; the file records it', async () => {
    const m = machine();
    const domid = boot(m, 'ckpt', mode);
    const before = expectGenidAgreement(m, domid);
    const hash = memoryHash(m, domid, false);
    const file = await save(m, domid, `checkpoint-${mode}`, { checkpoint: true });
    expect(m.libxl.domainInfo(domid).paused).toBe(false);
    expect(expectGenidAgreement(m, domid)).toBe(before);
    expect(memoryHash(m, domid, false)).toBe(hash);
    const image = await readSaveFile(file);
    expect(genidOfConfig(domainConfigFromJsonText(image.xl.config!)).toHex()).toBe(before);
  });

  it('xl save: the file records the ID and the domain is gone', async () => {
    const m = machine();
    const domid = boot(m, 'gone', mode);
    const before = expectGenidAgreement(m, domid);
    const file = join(dir, `save-${mode}.save`);
    const result = await saveDomain(m.libxl, domid, { file });
    written.push(file);
    expect(result).toMatchObject({ destroyed: true, length: statSync(file).size });
    expect(result.genid.toHex()).toBe(before);
    expect(leftovers(m)).toEqual(EMPTY);
    const restored = await restoreDomain(m.libxl, file, { paused: true });
    expect(m.libxl.xs.directory(`/libxl/${restored.domid}/device`)).toEqual(['console', 'vkbd']);
    expect(restored.header).toEqual(result.header);
    expect(result.header).toMatchObject({ mandatoryFlags: 3, optionalFlags: 0 });
    expect(m.libxl.domainInfo(restored.domid).paused).toBe(true);
    expect(guestReads(m, restored.domid)).toEqual([]); // not resumed yet
    m.libxl.unpauseDomain(restored.domid);
    expect(guestReads(m, restored.domid)).toEqual(readsAfterRestore(m, restored));
    m.libxl.destroyDomain(restored.domid);
    expect(leftovers(m)).toEqual(EMPTY);
    const image = await readSaveFile(file);
    expect(image.libxc.params.get(HVM_PARAM_VM_GENERATION_ID_ADDR)).not.toBe(0n);
    expect(checkSaveImage(image)).toEqual([]); // includes: the page at param 34 holds the config's ID
    expect(image.xl.config).toContain('"ms_vm_genid"');
    expect(before).toMatch(/^[0-9a-f]{32}$/);
  });

  it('xl restore file: a new random ID on every restore; memory back but those 16 bytes; no firmware run', async () => {
    const m = machine();
    const domid = boot(m, 'snap', mode);
    const saved = expectGenidAgreement(m, domid);
    const hash = memoryHash(m, domid, true);
    const file = await save(m, domid, `restore-${mode}`);
    const fileBytes = readFileSync(file);

    const first = await restoreDomain(m.libxl, file);
    const firstId = expectGenidAgreement(m, first.domid);
    expect(firstId).toBe(first.genid.toHex());
    expect(firstId).not.toBe(saved);
    expect(first.decision.row.operation).toBe('restore');
    expect(guestReads(m, first.domid)).toEqual(readsAfterRestore(m, first)); // read through ACPI on resume
    expect(readGuestRecord(m.hypervisor, first.domid)?.firmware).toBeNull(); // hvmloader did not run again
    // libxl__xc_domain_restore_done passes libxl__build_post no local entries: no platform/* but the ID.
    expect(m.libxl.xs.directory(`/local/domain/${first.domid}/platform`)).toEqual(['generation-id']);
    expect(m.libxl.xs.readString(`/libxl/${first.domid}/dm-version`)).toBe('qemu_xen');
    expect(memoryHash(m, first.domid, true)).toBe(hash);
    m.libxl.destroyDomain(first.domid);

    const second = await restoreDomain(m.libxl, file);
    const secondId = expectGenidAgreement(m, second.domid);
    expect(new Set([saved, firstId, secondId]).size).toBe(3);
    expect(Buffer.compare(readFileSync(file), fileBytes)).toBe(0); // restore only reads the file
  });

  it('xl restore cfg file: a new random ID, the given config', async () => {
    const m = machine();
    const domid = boot(m, 'withcfg', mode);
    const saved = expectGenidAgreement(m, domid);
    const file = await save(m, domid, `restore-cfg-${mode}`);
    const config = hvmConfig('from-cfg', mode === 'explicit' ? EXPLICIT : MsVmGenid.generate(createSeededRandomSource(5)));
    const restored = await restoreDomain(m.libxl, file, { config });
    expect(restored.decision.row.operation).toBe('restore-with-config');
    const id = expectGenidAgreement(m, restored.domid);
    expect(id).not.toBe(saved);
    expect(id).not.toBe(genidOfConfig(config).toHex());
    expect(m.libxl.domainInfo(restored.domid).name).toBe('from-cfg');
  });

  it('restore on another host file (disaster recovery): a new random ID', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'dr', mode);
    const saved = expectGenidAgreement(a, domid);
    const hash = memoryHash(a, domid, true);
    const file = await save(a, domid, `dr-${mode}`);
    const restored = await restoreDomain(b.libxl, file, { otherHost: true });
    expect(restored.decision.row.operation).toBe('restore-other-host');
    expect(expectGenidAgreement(b, restored.domid)).not.toBe(saved);
    expect(memoryHash(b, restored.domid, true)).toBe(hash);
    expect(guestReads(b, restored.domid)).toEqual(readsAfterRestore(b, restored));
  });

  it('xl migrate dom host: the same ID, memory rewritten with the same bytes, read once on resume', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'live', mode);
    const before = expectGenidAgreement(a, domid);
    const hash = memoryHash(a, domid, false);
    const result = await migrateDomain(a.libxl, domid, b.libxl);
    expect(leftovers(a)).toEqual(EMPTY);
    expect(b.libxl.xs.directory(`/libxl/${result.domid}/device`)).toEqual(['console', 'vkbd']);
    expect(expectGenidAgreement(b, result.domid)).toBe(before);
    expect(result.genid.toHex()).toBe(before);
    expect(memoryHash(b, result.domid, false)).toBe(hash);
    expect(guestReads(b, result.domid)).toEqual(['resume']);
    expect(readGuestRecord(b.hypervisor, result.domid)?.eventCount).toBe(0); // no notify
    expect(b.libxl.domainInfo(result.domid)).toMatchObject({ name: 'live', paused: false });
  });

  it('xl migrate dom localhost: within one host, arriving as --incoming, then renamed', async () => {
    const m = machine();
    const domid = boot(m, 'local', mode);
    const before = expectGenidAgreement(m, domid);
    const result = await migrateDomain(m.libxl, domid, m.libxl);
    expect(result.domid).not.toBe(domid);
    expect(m.hypervisor.getDomain(domid)).toBeUndefined();
    expect(m.libxl.domainInfo(result.domid).name).toBe('local');
    expect(m.libxl.retrieveDomainConfiguration(result.domid).createInfo.name).toBe('local');
    expect(expectGenidAgreement(m, result.domid)).toBe(before);
  });

  it('xl migrate -C cfg dom host: the same ID, even though the config says otherwise', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'livecfg', mode);
    const before = expectGenidAgreement(a, domid);
    const result = await migrateDomain(a.libxl, domid, b.libxl, { config: hvmConfig('livecfg', MsVmGenid.generate(createSeededRandomSource(9))) });
    expect(result.decision.row.operation).toBe('migrate');
    expect(expectGenidAgreement(b, result.domid)).toBe(before);
  });

  it('migration failing before the receiver is cleared: the source runs on, ID and memory unchanged', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'clash', mode);
    boot(b, 'clash', 'none'); // the receiver cannot create a second "clash"
    const before = genidEverywhere(a, domid);
    const hash = memoryHash(a, domid, false);
    const receiverBefore = leftovers(b);
    await expect(migrateDomain(a.libxl, domid, b.libxl)).rejects.toThrow(/failed before the receiver was cleared .*already exists.*resumed/);
    expect(a.libxl.domainInfo(domid).paused).toBe(false);
    expect(genidEverywhere(a, domid)).toEqual(before);
    expect(memoryHash(a, domid, false)).toBe(hash);
    expect(leftovers(b)).toEqual(receiverBefore);
  });
});

describe('rows with ms_vm_genid = "none": never an ID', () => {
  it('save, restore and migrate keep the domain without an ID (no param 34, _STA 0)', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'plain', 'none');
    expect(genidEverywhere(a, domid)).toEqual({ config: null, xenstore: null, memory: null, guest: null });
    const file = await save(a, domid, 'none');
    const image = await readSaveFile(file);
    expect(image.libxc.params.has(HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(false);
    const restored = await restoreDomain(a.libxl, file);
    expect(restored.decision.action).toBe('none');
    expect(genidEverywhere(a, restored.domid)).toEqual({ config: null, xenstore: null, memory: null, guest: null });
    const migrated = await migrateDomain(a.libxl, restored.domid, b.libxl);
    expect(genidEverywhere(b, migrated.domid)).toEqual({ config: null, xenstore: null, memory: null, guest: null });
  });
});

describe('more ways in and out', () => {
  it('xl save -p: the domain stays, paused, with its ID', async () => {
    const m = machine();
    const domid = boot(m, 'held', 'generate');
    const before = expectGenidAgreement(m, domid);
    await save(m, domid, 'leave-paused', { leavePaused: true });
    expect(m.libxl.domainInfo(domid).paused).toBe(true);
    expect(expectGenidAgreement(m, domid)).toBe(before);
  });

  it('a device model\'s state goes into the EMULATOR_CONTEXT record and back to the new domain\'s device model', async () => {
    const m = machine();
    const states = new Map<number, Uint8Array>([[1, Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff)]]);
    const restored: Array<[number, string]> = [];
    const deviceModel: DeviceModelPort = {
      saveState: (domid) => states.get(domid),
      restoreState: (domid, state) => restored.push([domid, Buffer.from(state).toString('hex')]),
    };
    const libxl = closeAfterTest(createLibxl({ hypervisor: m.hypervisor, xenstore: m.xenstore, userdata: m.userdata, deviceModel }));
    const domid = boot({ ...m, libxl }, 'with-dm', 'generate');
    expect(domid).toBe(1);
    const file = join(dir, 'device-model.save');
    await saveDomain(libxl, domid, { file });
    written.push(file);
    const image = await readSaveFile(file);
    expect(image.libxlRecordTypes).toEqual([REC_TYPE_LIBXL.LIBXC_CONTEXT, REC_TYPE_LIBXL.EMULATOR_CONTEXT, REC_TYPE_LIBXL.END]);
    expect(Buffer.from(image.emulatorContext!).toString('hex')).toBe(Buffer.from(states.get(1)!).toString('hex'));
    const bytes = readFileSync(file);
    const at = bytes.length - 8 - 8 - alignRecord(8 + 5000);
    expect([bytes.readUInt32LE(at), bytes.readUInt32LE(at + 4), bytes.readUInt32LE(at + 8), bytes.readUInt32LE(at + 12)]).toEqual([
      REC_TYPE_LIBXL.EMULATOR_CONTEXT,
      8 + 5000,
      EMULATOR_ID_QEMU_UPSTREAM,
      0,
    ]);
    const copy = await restoreDomain(libxl, file, { paused: true });
    expect(restored).toEqual([[copy.domid, Buffer.from(states.get(1)!).toString('hex')]]);

    // A domain without a device model writes no record; a toolstack without one refuses the image.
    const plain = await save(m, boot(m, 'no-dm', 'generate'), 'no-device-model');
    expect((await readSaveFile(plain)).libxlRecordTypes).toEqual([REC_TYPE_LIBXL.LIBXC_CONTEXT, REC_TYPE_LIBXL.END]);
    const other = machine();
    await expect(restoreDomain(other.libxl, file)).rejects.toThrow(/carries a device model's state, and this toolstack runs no device model/);
    expect(other.hypervisor.listDomains().map((info) => info.domid)).toEqual([0]);
  });

  it('xl create -p, then save and restore: a domain that never ran round-trips', async () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('unborn', MsVmGenid.generate(m.libxl.random)), { paused: true });
    const file = await save(m, domid, 'never-ran');
    const restored = await restoreDomain(m.libxl, file, { paused: true });
    expect(m.hypervisor.touchedPages(restored.domid)).toEqual([]);
    expect(m.libxl.domainInfo(restored.domid).name).toBe('unborn');
    m.libxl.unpauseDomain(restored.domid); // the firmware runs now, with the restored ID
    expect(guestReads(m, restored.domid)).toEqual(readsAfterRestore(m, restored, 'boot'));
    expect(expectGenidAgreement(m, restored.domid)).toBe(restored.genid.toHex());
  });

  it('xl save dom file cfg: the file carries the given config; a restore gives the policy\'s new ID', async () => {
    const m = machine();
    const domid = boot(m, 'orig', 'generate');
    const running = expectGenidAgreement(m, domid);
    const file = join(dir, 'override.save');
    const other = hvmConfig('renamed', MsVmGenid.generate(createSeededRandomSource(77)));
    await saveDomain(m.libxl, domid, { file }, { config: other });
    written.push(file);
    const image = await readSaveFile(file);
    expect(domainConfigFromJsonText(image.xl.config!).createInfo.name).toBe('renamed');
    // the memory holds the running ID, the config another: reported, and repaired by a restore
    expect(checkSaveImage(image).map((problem) => problem.kind)).toEqual(['genid']);
    const restored = await restoreDomain(m.libxl, file);
    const id = expectGenidAgreement(m, restored.domid);
    expect([running, genidOfConfig(other).toHex()]).not.toContain(id);
    expect(m.libxl.domainInfo(restored.domid).name).toBe('renamed');
  });

  it('restores from a byte stream as from a file', async () => {
    const m = machine();
    const domid = boot(m, 'piped', 'generate');
    const saved = expectGenidAgreement(m, domid);
    const [writer, reader] = createChannelPair();
    await saveDomain(m.libxl, domid, { channel: writer });
    writer.end();
    const restored = await restoreDomain(m.libxl, chunkSource(reader.incoming));
    expect(expectGenidAgreement(m, restored.domid)).not.toBe(saved);
    expect(guestReads(m, restored.domid)).toEqual(readsAfterRestore(m, restored));
  });

  it('migrates over a Unix socket between two hosts, like xl over ssh', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'wire', 'generate');
    const before = expectGenidAgreement(a, domid);
    const hash = memoryHash(a, domid, false);
    const path = join(dir, 'migrate.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((socket) => {
        server.close();
        resolve(socket);
      }).listen(path);
    });
    const sender = channelFromDuplex(connect(path));
    const receiver = channelFromDuplex(await accepted);
    const [sent, received] = await Promise.all([sendMigration(a.libxl, domid, sender), receiveMigration(b.libxl, receiver)]);
    expect(sent.genid.toHex()).toBe(before);
    expect(leftovers(a)).toEqual(EMPTY);
    expect(expectGenidAgreement(b, received.domid)).toBe(before);
    expect(memoryHash(b, received.domid, false)).toBe(hash);
  });
});

describe('migration phases without a protocol (what the xl command drives with its own strings)', () => {
  it('send, receive, commit, finish: the same ID on the receiver; each phase settles once', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'phased', 'generate');
    const before = expectGenidAgreement(a, domid);
    const send = beginMigrationSend(a.libxl, domid);
    expect(a.libxl.domainInfo(domid).paused).toBe(true);
    const incoming = await beginMigrationReceive(b.libxl, bufferSource(Buffer.concat([...send.chunks])));
    expect(b.libxl.domainInfo(incoming.domid)).toMatchObject({ name: 'phased--incoming', paused: true });
    send.commit();
    incoming.finish();
    expect(() => send.abort()).toThrow(/already committed or aborted/);
    expect(() => incoming.abort()).toThrow(/already finished or aborted/);
    expect(leftovers(a)).toEqual(EMPTY);
    expect(b.libxl.domainInfo(incoming.domid)).toMatchObject({ name: 'phased', paused: false });
    expect(expectGenidAgreement(b, incoming.domid)).toBe(before);
  });

  it('abort on both sides: the receiver holds nothing, the sender runs on', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'undo', 'explicit');
    const before = expectGenidAgreement(a, domid);
    const send = beginMigrationSend(a.libxl, domid);
    const incoming = await beginMigrationReceive(b.libxl, bufferSource(Buffer.concat([...send.chunks])));
    incoming.abort();
    send.abort();
    expect(leftovers(b)).toEqual(EMPTY);
    expect(a.libxl.domainInfo(domid).paused).toBe(false);
    expect(expectGenidAgreement(a, domid)).toBe(before);
  });
});

describe('save and migrate failures', () => {
  it('a receiver refusing over a socket (name clash on its host): the sender resumes', { timeout: 20_000 }, async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'big', 'generate');
    for (let pfn = 0x1000; pfn < 0x1000 + 2048; pfn++) a.hypervisor.writePage(domid, pfn, new Uint8Array(XC_PAGE_SIZE).fill(3)); // 8 MiB
    boot(b, 'big', 'none'); // a real clash on the receiving host
    const before = expectGenidAgreement(a, domid);
    const path = join(dir, 'fail.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((socket) => {
        server.close();
        resolve(socket);
      }).listen(path);
    });
    const sender = channelFromDuplex(connect(path));
    const receiver = channelFromDuplex(await accepted);
    const [sent, received] = await Promise.allSettled([sendMigration(a.libxl, domid, sender), receiveMigration(b.libxl, receiver)]);
    expect(String((sent as PromiseRejectedResult).reason)).toMatch(/Domain with name "big" already exists.*resumed/);
    expect(received.status).toBe('rejected');
    expect(a.libxl.domainInfo(domid).paused).toBe(false);
    expect(expectGenidAgreement(a, domid)).toBe(before);
  });

  it('a stream corrupted in transit: the receiver fails midway, the large sender is not left blocked', { timeout: 20_000 }, async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'noisy', 'generate');
    for (let pfn = 0x1000; pfn < 0x1000 + 4096; pfn++) a.hypervisor.writePage(domid, pfn, new Uint8Array(XC_PAGE_SIZE).fill(4)); // 16 MiB
    const before = expectGenidAgreement(a, domid);
    // sockets that forward half-closes, as an ssh pipe does
    const listen = (name: string) => {
      const path = join(dir, name);
      return {
        path,
        accepted: new Promise<Socket>((resolve) => {
          const server = createServer({ allowHalfOpen: true }, (socket) => {
            server.close();
            resolve(socket);
          }).listen(path);
        }),
      };
    };
    const front = listen('front.sock');
    const back = listen('back.sock');
    const senderSocket = connect({ path: front.path, allowHalfOpen: true });
    const relayIn = await front.accepted;
    const relayOut = connect({ path: back.path, allowHalfOpen: true });
    const receiverSocket = await back.accepted;
    // a relay that breaks the first pfn word of the second PAGE_DATA record (4 MiB in)
    const chunks = [...saveImageChunks(a.hypervisor, domid, { configJson: domainConfigToJsonText(a.libxl.retrieveDomainConfiguration(domid)) })];
    const secondPageData = chunks.map((chunk) => new DataView(chunk.buffer, chunk.byteOffset).getUint32(0, true)).indexOf(REC_TYPE.STATIC_DATA_END) + 2;
    // after the xl header, whose optional data (the ID's timeline) the stream's first bytes size
    const afterHeader = chunks.slice(1, secondPageData).reduce((sum, chunk) => sum + chunk.length, 0) + 16 + 7;
    expect(afterHeader).toBeGreaterThan(4 * 1024 * 1024);
    let target = -1;
    let offset = 0;
    relayIn.on('data', (chunk: Buffer) => {
      if (offset === 0) target = 48 + chunk.readUInt32LE(44) + afterHeader;
      const at = target - offset;
      if (at >= 0 && at < chunk.length) chunk[at] = 0xff;
      offset += chunk.length;
      if (!relayOut.write(chunk)) {
        relayIn.pause();
        relayOut.once('drain', () => relayIn.resume());
      }
    });
    relayIn.on('end', () => relayOut.end());
    relayOut.pipe(relayIn);
    const [sent, received] = await Promise.allSettled([
      sendMigration(a.libxl, domid, channelFromDuplex(senderSocket)),
      receiveMigration(b.libxl, channelFromDuplex(receiverSocket)),
    ]);
    expect(String((received as PromiseRejectedResult).reason)).toMatch(/reserved bits set in PAGE_DATA pfn\[0\]/);
    expect(String((sent as PromiseRejectedResult).reason)).toMatch(/failed before the receiver was cleared.*reserved bits.*resumed/);
    expect(leftovers(b)).toEqual(EMPTY);
    expect(a.libxl.domainInfo(domid).paused).toBe(false);
    expect(expectGenidAgreement(a, domid)).toBe(before);
  });

  it('a save that cannot write its file resumes the domain and leaves no file', async () => {
    const m = machine();
    const domid = boot(m, 'nowrite', 'generate');
    const before = expectGenidAgreement(m, domid);
    await expect(saveDomain(m.libxl, domid, { file: join(dir, 'missing-dir', 'x.save') })).rejects.toThrow(/Failed to save domain .*resuming/);
    expect(m.libxl.domainInfo(domid).paused).toBe(false);
    expect(expectGenidAgreement(m, domid)).toBe(before);
  });

  it('a save over an existing file replaces it whole', async () => {
    const m = machine();
    const file = join(dir, 'replace.save');
    writeFileSync(file, 'old contents');
    await saveDomain(m.libxl, boot(m, 'replace', 'generate'), { file });
    written.push(file);
    expect((await readSaveFile(file)).libxc.recordTypes.at(-1)).toBe(REC_TYPE.END);
  });

  it('a receiver whose stream stops midway creates nothing and the sender resumes', async () => {
    const a = machine();
    const b = machine();
    const domid = boot(a, 'cut', 'generate');
    const before = expectGenidAgreement(a, domid);
    const [senderEnd, middleIn] = createChannelPair();
    const [middleOut, receiverEnd] = createChannelPair();
    // a relay that forwards the first 20 KiB, then drops the connection both ways
    const relay = (async () => {
      let forwarded = 0;
      for (;;) {
        const next = await middleIn.incoming.next();
        if (next.done) break;
        if (forwarded + next.value.length > 20_000) break;
        forwarded += next.value.length;
        await middleOut.write(next.value);
      }
      middleOut.end();
      middleIn.end();
    })();
    const results = await Promise.allSettled([sendMigration(a.libxl, domid, senderEnd), receiveMigration(b.libxl, receiverEnd), relay]);
    expect(results[0].status).toBe('rejected');
    expect(results[1].status).toBe('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/truncated/);
    expect(leftovers(b)).toEqual(EMPTY);
    expect(a.libxl.domainInfo(domid).paused).toBe(false);
    expect(expectGenidAgreement(a, domid)).toBe(before);
  });
});

describe('bad save files: a clear error, no domain left behind, the file untouched', () => {
  async function goodFile(name: string): Promise<Buffer> {
    const m = machine();
    const file = await save(m, boot(m, name, 'generate'), name);
    return readFileSync(file);
  }

  const cases: [string, (bytes: Buffer) => Buffer, RegExp][] = [
    ['truncated', (bytes) => bytes.subarray(0, bytes.length - 100), /truncated/],
    ['corrupted', (bytes) => { const copy = Buffer.from(bytes); copy.writeUInt32LE(0x13, copy.length - 16); return copy; }, /unrecognised or unsupported mandatory record type 0x13/],
    ['wrong magic', (bytes) => Buffer.concat([Buffer.from('Xen saved domain, xm format'), bytes.subarray(27)]), /wrong magic number/],
    ['wrong endianness', (bytes) => { const copy = Buffer.from(bytes); copy.writeUInt32BE(0x01020304, 32); return copy; }, /wrong byte order/],
    ['unknown mandatory flag', (bytes) => { const copy = Buffer.from(bytes); copy.writeUInt32LE(copy.readUInt32LE(36) | 0x100, 36); return copy; }, /mandatory flag\(s\) 0x100/],
    ['future version', (bytes) => { const copy = Buffer.from(bytes); copy.writeUInt32BE(4, 48 + copy.readUInt32LE(44) + 24 + 12); return copy; }, /version: expected 2 <= version <= 3, got 4/],
    ['trailing garbage', (bytes) => Buffer.concat([bytes, Buffer.from('x')]), /1 unexpected bytes after the end/],
  ];

  it.each(cases)('%s', async (name, corrupt, message) => {
    const bytes = corrupt(await goodFile(name.replaceAll(' ', '-')));
    const file = join(dir, `bad-${name.replaceAll(' ', '-')}.save`);
    writeFileSync(file, bytes);
    const stat = statSync(file);
    const m = machine();
    const error = await restoreDomain(m.libxl, file).catch((caught: unknown) => caught);
    expect(XlError.is(error)).toBe(true);
    expect((error as XlError).code).toBe('INVAL');
    expect((error as XlError).message).toMatch(message);
    expect((error as XlError).message).toContain(file);
    expect(leftovers(m)).toEqual(EMPTY);
    expect(Buffer.compare(readFileSync(file), bytes)).toBe(0);
    expect(statSync(file).mtimeMs).toBe(stat.mtimeMs);
  });
});

describe('a save file whose config is damaged', () => {
  it('cannot be restored alone (a clear error, nothing left), but can with a config file, as xl', async () => {
    const m = machine();
    const source = await save(m, boot(m, 'damaged', 'generate'), 'damaged-source');
    const bytes = Buffer.from(readFileSync(source));
    bytes[52] = 0x58; // the config's opening brace
    const file = join(dir, 'damaged.save');
    writeFileSync(file, bytes);
    const error = await restoreDomain(m.libxl, file).catch((caught: unknown) => caught);
    expect(XlError.is(error) && error.code).toBe('INVAL');
    expect((error as Error).message).toMatch(/damaged\.save: saved config/);
    expect(leftovers(m)).toEqual(EMPTY);
    const restored = await restoreDomain(m.libxl, file, { config: hvmConfig('repaired', MsVmGenid.generate(createSeededRandomSource(3))) });
    expect(m.libxl.domainInfo(restored.domid).name).toBe('repaired');
    expectGenidAgreement(m, restored.domid);
  });
});

describeWithReferee('every save file written above passes verify-stream-v2 -f xl', verifyStreamReferee, () => {
  it('verifies each file', { timeout: 60_000 }, async () => {
    expect(written.length).toBeGreaterThan(10);
    for (const result of await verifyStreams(written)) {
      expect(result.status, `${result.file}: ${result.output}`).toBe(0);
    }
  });
});
