import { describe, expect, it } from 'vitest';
import { HVM_PARAM_CALLBACK_IRQ, HVM_PARAM_VM_GENERATION_ID_ADDR, MemoryHypervisor, PLATFORM_ACPI_KEY, PLATFORM_GENERATION_ID_KEY, type Hypervisor } from '@xen-genid/xc-params';
import { createMemoryStore, type XenStore } from '@xen-genid/xenstore';
import { amlMethod, amlNotify, amlNameRef, amlInteger, amlScope } from '../firmware/acpi/aml-encoder.ts';
import { ACPI_HEADER_SIZE, finishTable, tableHeader } from '../firmware/acpi/table-header.ts';
import { XEN_PLATFORM_LAYOUT } from '../firmware/platform-layout.ts';
import { DomainMemory } from '../guest-memory.ts';
import { runFirmware } from '../firmware/hvmloader.ts';
import type { GuestModel } from '@xen-genid/xc-params';
import { PV_CALLBACK_VECTOR, createGuestModel } from './model.ts';
import { parseGuestRecord, readGuestRecord } from './record.ts';
import { HvmloaderError } from '../errors.ts';

/** A domain as xl-lib leaves it before unpause: home readable by the guest, keys written by dom0. */
function setup(
  values: Record<string, string> = {},
  model?: (machine: { hypervisor: Hypervisor; store: XenStore }) => GuestModel,
): { hypervisor: Hypervisor; store: XenStore; domid: number } {
  const store = createMemoryStore();
  const hypervisor = new MemoryHypervisor({ now: () => 1_000, ...(model ? { guestModel: (self: Hypervisor) => model({ hypervisor: self, store }) } : {}) });
  const domid = hypervisor.createDomain({ type: 'hvm', vcpus: 2 }).domid;
  const dom0 = store.connect(0);
  dom0.mkdir(`/local/domain/${domid}`);
  dom0.setPerms(`/local/domain/${domid}`, [{ id: domid, access: 'n' }]);
  for (const [key, value] of Object.entries(values)) dom0.write(`/local/domain/${domid}/${key}`, value);
  dom0.close();
  return { hypervisor, store, domid };
}

// 11400714819323198485 = 0x9e3779b97f4a7c15 (above INT64_MAX: strtoll wraps it bit-exactly)
const ID_TEXT = '11400714819323198485:1311768467463790320';
const ID_HEX = '157c4a7fb979379ef0debc9a78563412';
const PV_LINE = 'xen: PV drivers up: control/feature-poweroff, control/feature-reboot, control/feature-suspend';

describe('runFirmware', () => {
  it('places the ID, writes VGIA and sets HVM param 34', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const run = runFirmware(hypervisor, store, domid);
    expect(run.acpi).toBe(true);
    expect(run.generationId).toEqual({ low: 0x9e3779b97f4a7c15n, high: 0x123456789abcdef0n });
    expect(run.vmGenerationIdAddress).toBeGreaterThanOrEqual(0xfc001000n);
    expect(run.vmGenerationIdAddress % 16n).toBe(0n);
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(run.vmGenerationIdAddress);
    const memory = new DomainMemory(hypervisor, domid);
    expect(Buffer.from(memory.read(run.vmGenerationIdAddress, 16)).toString('hex')).toBe(ID_HEX);
    expect(new DataView(memory.read(0xfc000000n + 20n, 4).buffer).getUint32(0, true)).toBe(Number(run.vmGenerationIdAddress)); // VGIA: 32 bits
    expect(run.ignoredErrors).toEqual([]);
  });

  it('without a key builds the tables, places nothing and sets param 34 to 0', () => {
    const { hypervisor, store, domid } = setup();
    hypervisor.writeParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, 0x1234n);
    const run = runFirmware(hypervisor, store, domid);
    expect(run.generationIdValue).toBe('0:0');
    expect(run.vmGenerationIdAddress).toBe(0n);
    expect(run.tables).not.toBeNull();
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('with platform/acpi = 0 builds no tables and leaves param 34 at 0', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT, [PLATFORM_ACPI_KEY]: '0' });
    const run = runFirmware(hypervisor, store, domid);
    expect(run.acpi).toBe(false);
    expect(run.tables).toBeNull();
    expect(hypervisor.touchedPages(domid)).toEqual([]);
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('reads a key the guest may not read as the default, as xenstore_read does', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const dom0 = store.connect(0);
    dom0.setPerms(`/local/domain/${domid}/${PLATFORM_GENERATION_ID_KEY}`, [{ id: 0, access: 'n' }]);
    dom0.close();
    expect(runFirmware(hypervisor, store, domid).generationIdValue).toBe('0:0');
  });

  it.each<[string, string | null]>([
    ['0x0102030405060708:0x1112131415161718', '08070605040302011817161514131211'],
    ['010:011', '08000000000000000900000000000000'], // octal
    ['-1:-2', 'fffffffffffffffffeffffffffffffff'], // negative: two's complement
    ['18446744073709551615:0', 'ffffffffffffffff0000000000000000'], // > 2^63 without saturation
    ['18446744073709551616:0', null], // 2^64 wraps to 0: no ID
    ['garbage', null],
    ['5', '05000000000000000000000000000000'], // missing colon: second word 0
    ['', null], // empty
    ['0X10:5', null], // upper-case X: "0" then stop, no ":" follows
  ])('places what hvmloader parses from %j', (text, bytes) => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: text });
    const run = runFirmware(hypervisor, store, domid);
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(run.vmGenerationIdAddress);
    if (bytes === null) expect(run.vmGenerationIdAddress).toBe(0n);
    else expect(Buffer.from(new DomainMemory(hypervisor, domid).read(run.vmGenerationIdAddress, 16)).toString('hex')).toBe(bytes);
  });

  it('fails with nothing written when the tables do not fit the allocator', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const layout = { ...XEN_PLATFORM_LAYOUT, dynamicEnd: XEN_PLATFORM_LAYOUT.dynamicStart + 0x100 };
    expect(() => runFirmware(hypervisor, store, domid, { layout })).toThrow(HvmloaderError);
    expect(hypervisor.touchedPages(domid)).toEqual([]);
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });
});

describe('createGuestModel', () => {
  it('boots: the OS finds the device through ACPI and records what it read', () => {
    const { hypervisor, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT }, (machine) => createGuestModel({ ...machine, now: () => 42 }));
    hypervisor.unpauseDomain(domid);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.genid).toBe(ID_HEX);
    expect(record?.path).toBe('\\_SB.PCI0.ISA.VGID');
    expect(record?.address).toBe(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR));
    expect(record?.reads).toEqual([
      { reason: 'boot', at: 42, ok: true, genid: ID_HEX, address: record?.address, path: '\\_SB.PCI0.ISA.VGID', changed: false, failures: [] },
    ]);
    expect(record?.firmware).toEqual({ acpi: true, generationIdValue: ID_TEXT, vmGenerationIdAddress: record?.address, ignoredErrors: [] });
    expect(record?.lastFailure).toBeNull();
  });

  it('boots without an ID: _STA 0, no ID read, the failure recorded', () => {
    const { hypervisor, store, domid } = setup();
    createGuestModel({ hypervisor, store }).boot(domid);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.genid).toBeNull();
    expect(record?.reads[0]?.failures).toEqual(['\\_SB.PCI0.ISA.VGID._STA returned 0x0: not present']);
    expect(record?.lastFailure).toBe('\\_SB.PCI0.ISA.VGID._STA returned 0x0: not present');
  });

  it('boots with acpi=0: the OS finds no RSDP', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_ACPI_KEY]: '0', [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    createGuestModel({ hypervisor, store }).boot(domid);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.firmware?.acpi).toBe(false);
    expect(record?.genid).toBeNull();
    expect(record?.lastFailure).toMatch(/no valid RSDP/);
  });

  it('resumes: reads once more and notes whether the ID changed', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const model = createGuestModel({ hypervisor, store });
    model.boot(domid);
    const address = hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
    // what libxl__ms_vm_genid_set does on restore: new bytes at the address in param 34
    const memory = new DomainMemory(hypervisor, domid);
    memory.write(address, new Uint8Array(16).fill(7));
    memory.flush();
    model.resume(domid);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.genid).toBe('07'.repeat(16));
    expect(record?.reads.map((read) => [read.reason, read.changed])).toEqual([
      ['boot', false],
      ['resume', true],
    ]);
  });

  it('prints each thing it does on its console: the firmware and boot read, a resume, an event', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const model = createGuestModel({ hypervisor, store, genidNotifyGpe: null });
    model.boot(domid);
    const address = hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
    const memory = new DomainMemory(hypervisor, domid);
    memory.write(address, new Uint8Array(16).fill(7));
    memory.flush();
    model.resume(domid);
    model.resume(domid);
    model.gpe(domid, 5);
    const at = `0x${address.toString(16)}`;
    expect(Buffer.from(hypervisor.readConsole(domid, 0).data).toString()).toBe(
      [
        `hvmloader: ACPI tables built, generation-id "${ID_TEXT}" placed at ${at}`,
        `vmgenid: boot read ${ID_HEX} at ${at} (\\_SB.PCI0.ISA.VGID)`,
        PV_LINE,
        `vmgenid: resume read ${'07'.repeat(16)} at ${at} (\\_SB.PCI0.ISA.VGID, changed)`,
        PV_LINE,
        `vmgenid: resume read ${'07'.repeat(16)} at ${at} (\\_SB.PCI0.ISA.VGID, unchanged)`,
        PV_LINE,
        'ACPI: GPE 0x05: GPE 5 raised, but the tables define no \\_GPE._E05 or _L05 handler',
        '',
      ].join('\r\n'),
    );
  });

  it('prints a failed read on its console', () => {
    const { hypervisor, store, domid } = setup();
    createGuestModel({ hypervisor, store }).boot(domid);
    expect(Buffer.from(hypervisor.readConsole(domid, 0).data).toString()).toMatch(
      /\r\nvmgenid: boot read failed: \\_SB\.PCI0\.ISA\.VGID\._STA returned 0x0: not present\r\nxen: PV drivers up/,
    );
  });

  it('a guest that may not write its control features logs the failure, as Linux does, and boots on', () => {
    const hypervisor = new MemoryHypervisor({ now: () => 1_000 });
    const store = createMemoryStore();
    const domid = hypervisor.createDomain({ type: 'hvm' }).domid;
    const dom0 = store.connect(0);
    dom0.mkdir(`/local/domain/${domid}`);
    dom0.setPerms(`/local/domain/${domid}`, [{ id: 0, access: 'n' }, { id: domid, access: 'r' }]);
    dom0.write(`/local/domain/${domid}/${PLATFORM_GENERATION_ID_KEY}`, ID_TEXT);
    dom0.close();
    createGuestModel({ hypervisor, store }).boot(domid);
    expect(readGuestRecord(hypervisor, domid)?.genid).toBe(ID_HEX);
    const console = Buffer.from(hypervisor.readConsole(domid, 0).data).toString();
    expect(console).toContain('xen:manage: setup_shutdown_watcher: Error -13 writing feature-poweroff');
    expect(console).not.toContain(PV_LINE);
  });

  it('with PV drivers registers the event callback and announces the control features; without, neither', () => {
    for (const pv of [true, false]) {
      const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
      const dom0 = store.connect(0);
      for (const feature of ['feature-poweroff', 'feature-reboot', 'feature-suspend']) {
        dom0.write(`/local/domain/${domid}/control/${feature}`, '');
        dom0.setPerms(`/local/domain/${domid}/control/${feature}`, [{ id: domid, access: 'b' }]);
      }
      const model = createGuestModel({ hypervisor, store, pvDrivers: () => pv });
      model.boot(domid);
      expect(hypervisor.readParam(domid, HVM_PARAM_CALLBACK_IRQ)).toBe(pv ? PV_CALLBACK_VECTOR : 0n);
      expect(Buffer.from(dom0.read(`/local/domain/${domid}/control/feature-poweroff`)).toString()).toBe(pv ? '1' : '');
      expect(Buffer.from(hypervisor.readConsole(domid, 0).data).toString().includes(PV_LINE)).toBe(pv);
      dom0.close();
    }
  });

  it('answers triggers: an NMI with Linux\'s line, the power button by powering off, the sleep button not at all', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const model = createGuestModel({ hypervisor, store, pvDrivers: () => false });
    model.boot(domid);
    const start = hypervisor.readConsole(domid, 0).data.length;
    model.trigger?.(domid, 'nmi', 1);
    model.trigger?.(domid, 'sleep', 0);
    expect(hypervisor.getDomain(domid)?.shutdown).toBeNull();
    model.trigger?.(domid, 'power', 0);
    expect(hypervisor.getDomain(domid)?.shutdown).toBe('poweroff');
    expect(Buffer.from(hypervisor.readConsole(domid, start).data).toString()).toBe(
      'Uhhuh. NMI received for unknown reason 00 on CPU 1.\r\nDazed and confused, but trying to continue\r\n' +
        'ACPI: sleep button pressed: ignored\r\nACPI: power button pressed: powering off\r\n',
    );
  });

  it('ignores the ACPI buttons without ACPI', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_ACPI_KEY]: '0' });
    const model = createGuestModel({ hypervisor, store });
    model.boot(domid);
    model.trigger?.(domid, 'power', 0);
    expect(hypervisor.getDomain(domid)?.shutdown).toBeNull();
  });

  it('records a GPE without a handler as unhandled, without faking a notify', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const model = createGuestModel({ hypervisor, store, genidNotifyGpe: null });
    model.boot(domid);
    model.gpe(domid, 5);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.events).toHaveLength(1);
    expect(record?.events[0]).toMatchObject({ gpe: 5, handler: null, notifications: [] });
    expect(record?.lastFailure).toMatch(/no \\_GPE._E05 or _L05 handler/);
    expect(record?.reads).toHaveLength(1);
  });

  it('runs a GPE handler from an SSDT and re-reads on its Notify, as the driver does', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const model = createGuestModel({ hypervisor, store, genidNotifyGpe: null });
    model.boot(domid);
    // Add an SSDT with \_GPE._E05 { Notify(\_SB.PCI0.ISA.VGID, 0x80) } to the XSDT, as a later firmware might.
    const memory = new DomainMemory(hypervisor, domid);
    const body = amlScope('\\_GPE', [amlMethod('_E05', {}, [amlNotify(amlNameRef('\\_SB.PCI0.ISA.VGID'), amlInteger(0x80))])]);
    const ssdt = new Uint8Array(ACPI_HEADER_SIZE + body.length);
    ssdt.set(tableHeader('SSDT', ssdt.length, 2, XEN_PLATFORM_LAYOUT));
    ssdt.set(body, ACPI_HEADER_SIZE);
    finishTable(ssdt);
    const ssdtAddress = 0xfc0f0000;
    memory.write(BigInt(ssdtAddress), ssdt);
    const rsdp = new DataView(memory.read(BigInt(XEN_PLATFORM_LAYOUT.rsdpAddress), 36).buffer);
    const xsdtAddress = Number(rsdp.getBigUint64(24, true));
    const oldXsdt = memory.read(BigInt(xsdtAddress), new DataView(memory.read(BigInt(xsdtAddress), 8).buffer).getUint32(4, true));
    const xsdt = new Uint8Array(oldXsdt.length + 8);
    xsdt.set(oldXsdt);
    new DataView(xsdt.buffer).setUint32(4, xsdt.length, true);
    new DataView(xsdt.buffer).setBigUint64(oldXsdt.length, BigInt(ssdtAddress), true);
    finishTable(xsdt);
    memory.write(0xfc0f1000n, xsdt);
    const rsdpBytes = memory.read(BigInt(XEN_PLATFORM_LAYOUT.rsdpAddress), 36);
    new DataView(rsdpBytes.buffer).setBigUint64(24, 0xfc0f1000n, true);
    rsdpBytes[32] = 0;
    let sum = 0;
    for (const byte of rsdpBytes) sum = (sum + byte) & 0xff;
    rsdpBytes[32] = (0x100 - sum) & 0xff;
    memory.write(BigInt(XEN_PLATFORM_LAYOUT.rsdpAddress), rsdpBytes);
    memory.flush();

    model.gpe(domid, 5);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.events[0]).toMatchObject({ gpe: 5, handler: '\\_GPE._E05', notifications: [{ path: '\\_SB.PCI0.ISA.VGID', value: 0x80 }], failure: null });
    expect(record?.reads.map((read) => read.reason)).toEqual(['boot', 'notify']);
  });

  it('runs no hvmloader in a PVH guest: nothing placed, param 34 untouched, the OS finds no tables', () => {
    const hypervisor = new MemoryHypervisor();
    const store = createMemoryStore();
    const domid = hypervisor.createDomain({ type: 'pvh' }).domid;
    createGuestModel({ hypervisor, store }).boot(domid);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.firmware).toBeNull();
    expect(record?.genid).toBeNull();
    expect(record?.lastFailure).toMatch(/no valid RSDP/);
    expect(hypervisor.touchedPages(domid)).toEqual([]);
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('starts a new record over one it cannot read, saying so', () => {
    const { hypervisor, store, domid } = setup({ [PLATFORM_GENERATION_ID_KEY]: ID_TEXT });
    const model = createGuestModel({ hypervisor, store });
    model.boot(domid);
    hypervisor.setGuestRecord(domid, '{"format":"something else"}');
    model.resume(domid);
    const record = readGuestRecord(hypervisor, domid);
    expect(record?.genid).toBe(ID_HEX);
    expect(record?.reads.map((read) => [read.reason, read.changed])).toEqual([['resume', false]]);
  });

  it('refuses a record that is not ours', () => {
    expect(() => parseGuestRecord('{"format":"other"}')).toThrow(HvmloaderError);
    expect(() => parseGuestRecord('not json')).toThrow(/not JSON/);
  });
});
