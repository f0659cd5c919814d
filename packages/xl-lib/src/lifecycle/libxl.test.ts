import { HVM_PARAM_VM_GENERATION_ID_ADDR, MemoryHypervisor, XC_PAGE_SIZE, type GuestModel } from '@xen-genid/xc-params';
import { createMemoryBackend, createXenStore } from '@xen-genid/xenstore';
import { readGuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { createSeededRandomSource } from '../random-bytes.ts';
import { defaultDomainConfig, domainConfigEquals, type DomainConfig } from '../types/domain-config.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { MemoryUserdataStore } from '../userdata.ts';
import { generationIdPath } from '../genid/genid-set.ts';
import { getDomainConfiguration } from '../stored-config.ts';
import { libxlGuestModel } from './guest-model.ts';
import { createLibxl } from './libxl.ts';
import { closeAfterTest, createMachine, expectGenidAgreement, genidEverywhere, storedAfterCreate, type Machine } from '../__fixtures__/machine.ts';

const machine = (seed = 1): Machine => createMachine(seed);

function hvmConfig(name: string, genid?: MsVmGenid): DomainConfig {
  const config = defaultDomainConfig('hvm');
  config.createInfo.name = name;
  config.buildInfo.maxMemkb = 65536n;
  config.buildInfo.targetMemkb = 65536n;
  config.buildInfo.maxVcpus = 2;
  config.onReboot = 'restart';
  if (genid && config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = genid;
  return config;
}

/** Everything a domain leaves in the machine besides Domain-0's own entries. */
function leftovers(m: Machine) {
  const xs = m.libxl.xs;
  const list = (path: string) => (xs.exists(path) ? xs.directory(path) : []);
  return {
    domains: m.hypervisor.listDomains().map((info) => info.domid),
    localDomain: list('/local/domain').filter((entry) => entry !== '0'),
    vm: list('/vm'),
    libxl: list('/libxl'),
    backends: list('/local/domain/0/backend'),
    deviceModels: list('/local/domain/0/device-model'),
    userdata: m.userdata.domids(),
  };
}

// Domain-0 keeps the stub config xen-init-dom0 stores.
const EMPTY = { domains: [0], localDomain: [], vm: [], libxl: [], backends: [], deviceModels: [], userdata: [0] };

describe('createDomain', () => {
  it('boots an HVM guest whose config, xenstore key, memory and guest OS all hold the new ID', () => {
    const m = machine();
    const genid = MsVmGenid.generate(createSeededRandomSource(7));
    const domid = m.libxl.createDomain(hvmConfig('vm1', genid));
    expect(domid).toBe(1);
    expect(expectGenidAgreement(m, domid)).toBe(genid.toHex());
    expect(m.libxl.xs.readString(generationIdPath(domid))).toBe(genid.toXenstore());
    const info = m.libxl.domainInfo(domid);
    expect(info).toMatchObject({ name: 'vm1', type: 'hvm', paused: false, maxMemKb: 65536, vcpus: 2 });
    const record = readGuestRecord(m.hypervisor, domid)!;
    expect(record.firmware?.generationIdValue).toBe(genid.toXenstore());
    expect(record.reads.map((read) => read.reason)).toEqual(['boot']);
  });

  it('writes libxl__domain_make and libxl__build_post entries with libxl permissions', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('layout'));
    const xs = m.libxl.xs;
    const config = m.libxl.retrieveDomainConfiguration(domid);
    const uuid = config.createInfo.uuid;
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(m.hypervisor.getDomain(domid)?.uuid).toBe(uuid);
    const dom = `/local/domain/${domid}`;
    expect(xs.getPerms(dom)).toEqual([
      { id: 0, access: 'n' },
      { id: domid, access: 'r' },
    ]);
    expect(xs.getPerms(`/vm/${uuid}`)).toEqual([
      { id: 0, access: 'n' },
      { id: domid, access: 'r' },
    ]);
    expect(xs.getPerms(`/libxl/${domid}`)).toEqual([{ id: 0, access: 'n' }]);
    expect(xs.getPerms(`${dom}/control/shutdown`)).toEqual([{ id: domid, access: 'n' }]);
    expect(xs.getPerms(`${dom}/device/suspend/event-channel`)).toEqual([{ id: domid, access: 'n' }]);
    const values = Object.fromEntries(
      [
        `${dom}/vm`,
        `${dom}/name`,
        `${dom}/domid`,
        `${dom}/memory/static-max`,
        `${dom}/memory/target`,
        `${dom}/memory/videoram`,
        `${dom}/cpu/0/availability`,
        `${dom}/cpu/1/availability`,
        `${dom}/platform/acpi`,
        `${dom}/platform/acpi_s3`,
        `${dom}/platform/device-model`,
        `${dom}/control/platform-feature-xs_reset_watches`,
        `/vm/${uuid}/uuid`,
        `/vm/${uuid}/name`,
        `/vm/${uuid}/image/ostype`,
        `/libxl/${domid}/type`,
        `/libxl/${domid}/dm-version`,
      ].map((path) => [path, xs.readString(path)]),
    );
    expect(values).toEqual({
      [`${dom}/vm`]: `/vm/${uuid}`,
      [`${dom}/name`]: 'layout',
      [`${dom}/domid`]: String(domid),
      [`${dom}/memory/static-max`]: '65536',
      [`${dom}/memory/target`]: '57344',
      [`${dom}/memory/videoram`]: '8192',
      [`${dom}/cpu/0/availability`]: 'online',
      [`${dom}/cpu/1/availability`]: 'online',
      [`${dom}/platform/acpi`]: '1',
      [`${dom}/platform/acpi_s3`]: '1',
      [`${dom}/platform/device-model`]: 'qemu_xen',
      [`${dom}/control/platform-feature-xs_reset_watches`]: '1',
      [`/vm/${uuid}/uuid`]: uuid,
      [`/vm/${uuid}/name`]: 'layout',
      [`/vm/${uuid}/image/ostype`]: 'hvm',
      [`/libxl/${domid}/type`]: 'hvm',
      [`/libxl/${domid}/dm-version`]: 'qemu_xen',
    });
    expect(xs.exists(`${dom}/hvmloader`)).toBe(true);
    expect(xs.isDomainIntroduced(domid)).toBe(true);
  });

  it("writes libxl__spawn_local_dm's entries, and the simulated qemu-xen answers as qemu-xen does", () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('dm'));
    const xs = m.libxl.xs;
    const read = (path: string) => new TextDecoder().decode(xs.read(path));
    expect(read(`/local/domain/${domid}/hvmloader/bios`)).toBe('seabios');
    expect(read(`/local/domain/${domid}/hvmloader/allow-memory-relocate`)).toBe('0');
    const dm = `/local/domain/0/device-model/${domid}`;
    expect(xs.directory(`${dm}/backends`)).toEqual(['console', 'vkbd', '9pfs', 'qusb']);
    expect(xs.getPerms(`${dm}/backends/vkbd`)).toEqual([
      { id: 0, access: 'n' },
      { id: domid, access: 'n' },
    ]);
    expect(read(`${dm}/state`)).toBe('running');
    expect(read(`/local/domain/0/backend/vkbd/${domid}/0/state`)).toBe('2');
    expect(read(`/libxl/${domid}/dm-version`)).toBe('qemu_xen');
  });

  it('stores the config it was given (uuid, video memory and msr_relaxed filled in) and leaves the caller object untouched', () => {
    const m = machine();
    const config = hvmConfig('stored', MsVmGenid.fromHex('00112233445566778899aabbccddeeff'));
    const domid = m.libxl.createDomain(config);
    expect(config.createInfo.uuid).toBe('00000000-0000-0000-0000-000000000000');
    const stored = getDomainConfiguration(m.libxl, domid);
    const expected = storedAfterCreate({ ...config, createInfo: { ...config.createInfo, uuid: stored.createInfo.uuid } });
    expect(stored.buildInfo).toMatchObject({ videoMemkb: 8192n, archX86: { msrRelaxed: 'false' } });
    expect(domainConfigEquals(stored, expected)).toBe(true);
  });

  it("sets the config's scheduler weight and cap on the domain; libxl's range checks refuse a bad one and nothing is left", () => {
    const m = machine();
    const config = hvmConfig('weighted');
    config.buildInfo.schedParams.weight = 512;
    const domid = m.libxl.createDomain(config);
    expect(m.hypervisor.getSchedCredit2(domid)).toEqual({ weight: 512, cap: 0 });
    const capped = hvmConfig('capped');
    capped.buildInfo.schedParams.cap = 150;
    expect(m.hypervisor.getSchedCredit2(m.libxl.createDomain(capped))).toEqual({ weight: 256, cap: 150 });
    const before = leftovers(m);
    const heavy = hvmConfig('heavy');
    heavy.buildInfo.schedParams.weight = 65536;
    const next = m.hypervisor.listDomains().at(-1)!.domid + 1;
    expect(() => m.libxl.createDomain(heavy)).toThrow(
      new XlError(
        'INVAL',
        `libxl_sched.c:445:sched_credit2_domain_set: Domain ${next}:Cpu weight out of range, valid values are within range from 1 to 65535\n` +
          `libxl: error: libxl_create.c:1640:domcreate_rebuild_done: Domain ${next}:cannot (re-)build domain: -6\n` +
          // The destroy of the half-made domain, as real libxl logs it.
          `libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain ${next}:Non-existant domain\n` +
          `libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain ${next}:Unable to destroy guest\n` +
          `libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain ${next}:Destruction of domain failed`,
      ),
    );
    const overcapped = hvmConfig('overcapped'); // two vCPUs: at most 200
    overcapped.buildInfo.schedParams.cap = 201;
    expect(() => m.libxl.createDomain(overcapped)).toThrow(/Cpu cap out of range, valid range is from 0 to 200 for specified number of vcpus/);
    expect(leftovers(m)).toEqual(before);
  });

  it('with paused, leaves the firmware unrun until unpause', () => {
    const m = machine();
    const genid = MsVmGenid.fromHex('0102030405060708090a0b0c0d0e0f10');
    const domid = m.libxl.createDomain(hvmConfig('paused', genid), { paused: true });
    expect(genidEverywhere(m, domid)).toEqual({ config: genid.toHex(), xenstore: genid.toHex(), memory: null, guest: null });
    expect(m.libxl.domainInfo(domid).paused).toBe(true);
    m.libxl.unpauseDomain(domid);
    expect(expectGenidAgreement(m, domid)).toBe(genid.toHex());
  });

  it('gives a domain with ms_vm_genid "none" no ID anywhere and no device', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('none'));
    expect(genidEverywhere(m, domid)).toEqual({ config: null, xenstore: null, memory: null, guest: null });
    expect(readGuestRecord(m.hypervisor, domid)?.firmware?.generationIdValue).toBe('0:0');
  });

  it('with acpi off, hvmloader builds no tables: the ID stays in the config and xenstore only', () => {
    const m = machine();
    const genid = MsVmGenid.fromHex('99'.repeat(16));
    const config = hvmConfig('noacpi', genid);
    config.buildInfo.acpi = 'false';
    const domid = m.libxl.createDomain(config);
    expect(m.libxl.xs.readString(`/local/domain/${domid}/platform/acpi`)).toBe('0');
    expect(genidEverywhere(m, domid)).toEqual({ config: genid.toHex(), xenstore: genid.toHex(), memory: null, guest: null });
  });

  it('lets the guest read its own ID key but not change it (libxl permissions)', () => {
    const m = machine();
    const genid = MsVmGenid.fromHex('5a'.repeat(16));
    const domid = m.libxl.createDomain(hvmConfig('perms', genid));
    const guest = m.xenstore.connect(domid);
    expect(guest.readString('platform/generation-id')).toBe(genid.toXenstore());
    expect(() => guest.write('platform/generation-id', '1:1')).toThrow(expect.objectContaining({ code: 'EACCES' }));
    guest.write('control/shutdown', 'poweroff');
    const other = m.xenstore.connect(domid + 100);
    expect(() => other.readString(generationIdPath(domid))).toThrow(expect.objectContaining({ code: 'EACCES' }));
    guest.close();
    other.close();
  });

  it('creates PV and PVH domains without hvm-only entries or an ID', () => {
    const m = machine();
    const pv = defaultDomainConfig('pv');
    pv.createInfo.name = 'pv';
    pv.buildInfo.kernel = '/boot/vmlinuz';
    const pvDomid = m.libxl.createDomain(pv);
    const pvh = defaultDomainConfig('pvh');
    pvh.createInfo.name = 'pvh';
    const pvhDomid = m.libxl.createDomain(pvh);
    const xs = m.libxl.xs;
    expect(xs.readString(`/libxl/${pvDomid}/type`)).toBe('pv');
    expect(xs.readString(`/libxl/${pvDomid}/dm-version`)).toBe('qemu_xen'); // store_libxl_entry, for PV too
    expect(xs.readString(`/libxl/${pvhDomid}/type`)).toBe('pvh');
    expect(xs.exists(`/local/domain/${pvDomid}/hvmloader`)).toBe(false);
    expect(xs.exists(generationIdPath(pvDomid))).toBe(false);
    expect(xs.exists(generationIdPath(pvhDomid))).toBe(false);
    const uuid = m.libxl.retrieveDomainConfiguration(pvDomid).createInfo.uuid;
    expect(xs.readString(`/vm/${uuid}/image/kernel`)).toBe('/boot/vmlinuz');
    expect(m.libxl.domainInfo(pvDomid).maxMemKb).toBe(32768);
  });

  it('refuses a name already in use, as libxl does, and leaves nothing behind', () => {
    const m = machine();
    const first = m.libxl.createDomain(hvmConfig('twin'));
    const before = leftovers(m);
    let caught: unknown;
    try {
      m.libxl.createDomain(hvmConfig('twin'));
    } catch (error) {
      caught = error;
    }
    expect(XlError.is(caught) && caught.code).toBe('INVAL');
    expect((caught as Error).message).toBe('Domain with name "twin" already exists.');
    expect(leftovers(m)).toEqual(before);
    m.libxl.destroyDomain(first);
    expect(m.libxl.createDomain(hvmConfig('twin'))).toBeGreaterThan(first);
  });

  it('sees names taken through another context on the same machine', () => {
    const m = machine();
    const other = createLibxl({ hypervisor: m.hypervisor, xenstore: m.xenstore, userdata: m.userdata });
    closeAfterTest(other);
    other.createDomain(hvmConfig('shared'));
    expect(() => m.libxl.createDomain(hvmConfig('shared'))).toThrow('Domain with name "shared" already exists.');
    expect(m.libxl.nameToDomid('shared')).toBe(1);
  });

  it('refuses configs libxl refuses, before making anything', () => {
    const m = machine();
    const cases: [string, (config: DomainConfig) => void, string][] = [
      ['no type', (config) => void (config.createInfo.type = 'invalid'), 'invalid domain type'],
      ['type mismatch', (config) => void (config.createInfo.type = 'pv'), 'differ'],
      ['no name', (config) => void (config.createInfo.name = undefined), 'New domain name not specified'],
      ['target above max', (config) => void (config.buildInfo.targetMemkb = 131072n), 'above max_memkb'],
      ['vcpu beyond max', (config) => void (config.buildInfo.availVcpus = [0, 5]), 'beyond max_vcpus'],
      ['schema', (config) => void ((config.buildInfo as unknown as Record<string, unknown>).maxMemKb = 1), 'invalid domain config'],
    ];
    for (const [label, change, message] of cases) {
      const config = hvmConfig(label);
      change(config);
      expect(() => m.libxl.createDomain(config), label).toThrow(message);
      expect(leftovers(m), label).toEqual(EMPTY);
    }
  });
});

describe('destroyDomain', () => {
  it('removes xenstore entries, userdata and the domain, and fires @releaseDomain', () => {
    const m = machine();
    const watcher = m.xenstore.connect(0);
    watcher.watch('@releaseDomain', 'released');
    watcher.takeWatchEvents();
    const domid = m.libxl.createDomain(hvmConfig('gone', MsVmGenid.fromHex('ff'.repeat(16))));
    m.libxl.destroyDomain(domid);
    expect(leftovers(m)).toEqual(EMPTY);
    expect(m.libxl.xs.exists(generationIdPath(domid))).toBe(false);
    expect(watcher.takeWatchEvents()).toEqual([{ path: '@releaseDomain', token: 'released' }]);
    expect(() => m.libxl.nameToDomid('gone')).toThrow(XlError);
    expect(() => m.libxl.destroyDomain(domid)).toThrow('does not exist');
    expect(() => m.libxl.destroyDomain(0)).toThrow('Domain-0');
    watcher.close();
  });
});

describe('pause, unpause, reboot, shutdown', () => {
  it('keeps the ID through pause and unpause without the guest reading again', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('pause', MsVmGenid.fromHex('11'.repeat(16))));
    const id = expectGenidAgreement(m, domid);
    m.libxl.pauseDomain(domid);
    expect(m.libxl.domainInfo(domid).paused).toBe(true);
    m.libxl.unpauseDomain(domid);
    expect(expectGenidAgreement(m, domid)).toBe(id);
    expect(readGuestRecord(m.hypervisor, domid)?.readCount).toBe(1);
    expect(() => m.libxl.unpauseDomain(domid)).toThrow('not paused');
  });

  it('reboots with the same ID: the firmware runs again and places it again', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('reboot', MsVmGenid.fromHex('22'.repeat(16))));
    const id = expectGenidAgreement(m, domid);
    m.hypervisor.writePage(domid, 0x10, new Uint8Array(XC_PAGE_SIZE).fill(0xaa));
    expect(m.libxl.rebootDomain(domid)).toEqual({ reason: 'reboot', action: 'restart', destroyed: false });
    expect(expectGenidAgreement(m, domid)).toBe(id);
    expect(m.hypervisor.readPage(domid, 0x10)).toBeUndefined();
    const record = readGuestRecord(m.hypervisor, domid)!;
    expect(record.reads.map((read) => read.reason)).toEqual(['boot']);
    expect(m.libxl.domainInfo(domid)).toMatchObject({ paused: false, shutdown: null });
  });

  it('applies on_poweroff: destroy by default, preserve leaves the domain shut down', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('off'));
    expect(m.libxl.shutdownDomain(domid)).toEqual({ reason: 'poweroff', action: 'destroy', destroyed: true });
    expect(leftovers(m)).toEqual(EMPTY);
    const config = hvmConfig('kept');
    config.onPoweroff = 'preserve';
    const kept = m.libxl.createDomain(config);
    expect(m.libxl.shutdownDomain(kept)).toEqual({ reason: 'poweroff', action: 'preserve', destroyed: false });
    expect(m.libxl.domainInfo(kept).shutdown).toBe('poweroff');
    expect(m.libxl.xs.readString(`/local/domain/${kept}/control/shutdown`)).toBe('poweroff');
  });
});

describe('lookups', () => {
  it('maps names and domids both ways, with Domain-0 named as xen-init-dom0 names it', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('named'));
    expect(m.libxl.nameToDomid('named')).toBe(domid);
    expect(m.libxl.domidToName(domid)).toBe('named');
    expect(m.libxl.domidToName(0)).toBe('Domain-0');
    expect(m.libxl.resolveDomain(String(domid))).toBe(domid);
    expect(m.libxl.resolveDomain('named')).toBe(domid);
    expect(() => m.libxl.resolveDomain('99')).toThrow(expect.objectContaining({ code: 'DOMAIN_NOTFOUND' }));
    expect(() => m.libxl.nameToDomid('nobody')).toThrow(expect.objectContaining({ code: 'INVAL' }));
    expect(m.libxl.listDomains().map((info) => [info.domid, info.name])).toEqual([
      [0, 'Domain-0'],
      [domid, 'named'],
    ]);
    expect(m.libxl.retrieveDomainConfiguration(0).createInfo.name).toBe('Domain-0');
  });
});

describe('renameDomain', () => {
  it('renames in xenstore and the stored config, refusing a name in use or a wrong old name', () => {
    const m = machine();
    const a = m.libxl.createDomain(hvmConfig('a'));
    m.libxl.createDomain(hvmConfig('b'));
    expect(() => m.libxl.renameDomain(a, 'a', 'b')).toThrow('Domain with name "b" already exists.');
    expect(() => m.libxl.renameDomain(a, 'z', 'c')).toThrow('is actually named');
    m.libxl.renameDomain(a, 'a', 'a--incoming');
    expect(m.libxl.nameToDomid('a--incoming')).toBe(a);
    expect(() => m.libxl.nameToDomid('a')).toThrow(XlError);
    const config = m.libxl.retrieveDomainConfiguration(a);
    expect(config.createInfo.name).toBe('a--incoming');
    expect(m.libxl.xs.readString(`/vm/${config.createInfo.uuid}/name`)).toBe('a--incoming');
    expect(m.libxl.createDomain(hvmConfig('a'))).toBeGreaterThan(a);
  });
});

describe('restore hooks', () => {
  it('loads memory, writes the config ID over the saved one and resumes the guest', () => {
    const m = machine();
    const old = MsVmGenid.fromHex('33'.repeat(16));
    const source = m.libxl.createDomain(hvmConfig('source', old));
    expectGenidAgreement(m, source);
    const pages = m.hypervisor.touchedPages(source).map((pfn) => [pfn, m.hypervisor.readPage(source, pfn)!] as const);
    const address = m.hypervisor.readParam(source, HVM_PARAM_VM_GENERATION_ID_ADDR);
    m.libxl.destroyDomain(source);

    const fresh = MsVmGenid.fromHex('44'.repeat(16));
    const domid = m.libxl.createDomain(hvmConfig('source', fresh), {
      restore: {
        load(target) {
          for (const [pfn, data] of pages) m.hypervisor.writePage(target, pfn, data);
          m.hypervisor.writeParam(target, HVM_PARAM_VM_GENERATION_ID_ADDR, address);
        },
      },
    });
    expect(expectGenidAgreement(m, domid)).toBe(fresh.toHex());
    const record = readGuestRecord(m.hypervisor, domid)!;
    expect(record.firmware).toBeNull();
    expect(record.reads.map((read) => read.reason)).toEqual(['resume']);
  });

  it('destroys everything when load fails', () => {
    const m = machine();
    expect(() =>
      m.libxl.createDomain(hvmConfig('broken'), {
        restore: {
          load() {
            throw new Error('truncated stream');
          },
        },
      }),
    ).toThrow('truncated stream');
    expect(leftovers(m)).toEqual(EMPTY);
  });
});

describe('applyGenid', () => {
  it('changes the stored config, the xenstore key and guest memory together', () => {
    const m = machine();
    const domid = m.libxl.createDomain(hvmConfig('renew', MsVmGenid.fromHex('55'.repeat(16))));
    const next = MsVmGenid.fromHex('66'.repeat(16));
    expect(m.libxl.applyGenid(domid, next).wroteMemory).toBe(true);
    const seen = genidEverywhere(m, domid);
    expect(seen).toMatchObject({ config: next.toHex(), xenstore: next.toHex(), memory: next.toHex() });
    expect(seen.guest).toBe('55'.repeat(16));
  });
});

/** Fails the `n`-th fallible call after `arm(n)` (hypervisor writes, xenstore commits, userdata stores), once. */
function faultyMachine() {
  let calls = 0;
  let failAt = 0;
  let fired = false;
  const maybeFail = (what: string) => {
    calls += 1;
    if (!fired && calls === failAt) {
      fired = true;
      throw new Error(`injected failure in ${what}`);
    }
  };
  const mutating = new Set(['createDomain', 'writePage', 'writeParam', 'unpauseDomain', 'setPendingStart', 'setGuestRecord']);
  // The firmware acts through the faulty parts, as on a machine whose parts fail.
  const real: MemoryHypervisor = new MemoryHypervisor({ guestModel: (): GuestModel => libxlGuestModel({ hypervisor, xenstore, userdata }) });
  const hypervisor: MemoryHypervisor = new Proxy(real, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (mutating.has(String(property))) maybeFail(`hypervisor.${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const backend = createMemoryBackend();
  const commit = backend.commit.bind(backend);
  backend.commit = (change) => {
    maybeFail('xenstore commit');
    return commit(change);
  };
  const xenstore = createXenStore(backend);
  const userdata = new MemoryUserdataStore();
  const store = userdata.store.bind(userdata);
  userdata.store = (domid, userid, data) => {
    maybeFail('userdata.store');
    store(domid, userid, data);
  };
  return {
    hypervisor,
    xenstore,
    userdata,
    fired: () => fired,
    arm(n: number) {
      calls = 0;
      failAt = n;
      fired = false;
    },
  };
}

describe('a failure at any step of create', () => {
  it('leaves nothing behind, and the next create works', () => {
    let failures = 0;
    for (let failAt = 1; failAt < 500; failAt += 1) {
      const parts = faultyMachine();
      const libxl = createLibxl({ hypervisor: parts.hypervisor, xenstore: parts.xenstore, userdata: parts.userdata });
      closeAfterTest(libxl);
      const m: Machine = { hypervisor: parts.hypervisor, xenstore: parts.xenstore, userdata: parts.userdata, libxl };
      parts.arm(failAt);
      let failed = false;
      try {
        libxl.createDomain(hvmConfig('fragile', MsVmGenid.fromHex('77'.repeat(16))));
      } catch (error) {
        failed = true;
        expect(XlError.is(error), String(error)).toBe(true);
      }
      if (!failed && parts.fired()) {
        // A failure inside the guest that the guest itself ignores (hvmloader does not check
        // hvm_param_set): the domain exists and libxl's side of it is complete.
        expect(genidEverywhere(m, 1)).toMatchObject({ config: '77'.repeat(16), xenstore: '77'.repeat(16) });
        continue;
      }
      if (!failed) {
        // Past the last fallible call: nothing was injected and the domain is complete.
        expect(expectGenidAgreement(m, 1)).toBe('77'.repeat(16));
        break;
      }
      failures += 1;
      expect(parts.fired()).toBe(true);
      expect(leftovers(m), `failure at call ${failAt}`).toEqual(EMPTY);
      const domid = libxl.createDomain(hvmConfig('fragile', MsVmGenid.fromHex('88'.repeat(16))));
      expect(expectGenidAgreement(m, domid), `failure at call ${failAt}`).toBe('88'.repeat(16));
    }
    expect(failures).toBeGreaterThan(5);
  });
});
