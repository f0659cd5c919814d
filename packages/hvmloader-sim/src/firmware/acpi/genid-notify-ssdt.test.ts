import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAcpiTables, type AcpiBuildResult } from './build-tables.ts';
import { buildDsdt, buildVgidDevice, VGID_DEVICE_PATH } from './dsdt.ts';
import { GENID_NOTIFY_GPE } from '@xen-genid/xc-params';
import { buildGenidNotifySsdt, gpeMethodName } from './genid-notify-ssdt.ts';
import { byteSum } from './table-header.ts';
import { AmlInterpreter } from '../../guest/aml/loader.ts';
import { Namespace } from '../../guest/aml/namespace.ts';
import { PagedMemory } from '../../guest-memory.ts';
import { XEN_PLATFORM_LAYOUT } from '../platform-layout.ts';

const ID = { low: 0x0123456789abcdefn, high: 0xfedcba9876543210n };

describe('the generation-ID notify SSDT', () => {
  it('names GPE handlers as ACPI does', () => {
    expect(gpeMethodName(5)).toBe('_E05');
    expect(gpeMethodName(0x1a, true)).toBe('_L1A');
    expect(() => gpeMethodName(256)).toThrow(/0\.\.255/);
  });

  it('holds \\_GPE._E05 whose evaluation notifies the VGID device with 0x80', () => {
    const ssdt = buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, gpe: GENID_NOTIFY_GPE });
    expect(byteSum(ssdt)).toBe(0);
    expect(new DataView(ssdt.buffer).getUint32(4, true)).toBe(ssdt.length);
    const interpreter = new AmlInterpreter(new Namespace(), { memory: new PagedMemory() });
    interpreter.load(buildDsdt(XEN_PLATFORM_LAYOUT).subarray(36), 2, 36);
    interpreter.load(ssdt.subarray(36), 2, 36);
    const handler = interpreter.namespace.root.children.get('_GPE')?.children.get('_E05');
    expect(handler?.displayPath).toBe('\\_GPE._E05');
    interpreter.evaluate(handler!);
    expect(interpreter.notifications).toEqual([{ path: VGID_DEVICE_PATH, value: 0x80 }]);
  });

  it('needs a trigger and an absolute device path', () => {
    expect(() => buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH })).toThrow(/GPE handler or the thermal zone/);
    expect(() => buildGenidNotifySsdt({ devicePath: 'VGID', gpe: 5 })).toThrow(/absolute/);
  });

  it('a polled thermal zone returns its period from _TZP, and its _TMP still notifies', () => {
    const ssdt = buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, thermalZone: true, pollTenths: 5 });
    const interpreter = new AmlInterpreter(new Namespace(), { memory: new PagedMemory() });
    interpreter.load(buildDsdt(XEN_PLATFORM_LAYOUT).subarray(36), 2, 36);
    interpreter.load(ssdt.subarray(36), 2, 36);
    const zone = interpreter.namespace.root.children.get('_TZ_')?.children.get('VGTZ');
    expect(interpreter.evaluate(zone!.children.get('_TZP')!)).toEqual({ type: 'integer', value: 5n });
    interpreter.evaluate(zone!.children.get('_TMP')!);
    expect(interpreter.notifications).toEqual([{ path: VGID_DEVICE_PATH, value: 0x80 }]);
    const unpolled = buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, thermalZone: true });
    expect(Buffer.from(unpolled).includes(Buffer.from('_TZP'))).toBe(false);
  });

  it('a watching zone notifies once per new ID in memory, not once per poll', () => {
    const address = 0x7001000n;
    const memory = new PagedMemory();
    const write = (low: bigint, high: bigint) => {
      const bytes = new Uint8Array(16);
      new DataView(bytes.buffer).setBigUint64(0, low, true);
      new DataView(bytes.buffer).setBigUint64(8, high, true);
      memory.write(address, bytes);
    };
    write(ID.low, ID.high);
    const ssdt = buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, thermalZone: true, pollTenths: 5, watch: { address, initial: ID } });
    const interpreter = new AmlInterpreter(new Namespace(), { memory });
    interpreter.load(buildDsdt(XEN_PLATFORM_LAYOUT).subarray(36), 2, 36);
    interpreter.load(ssdt.subarray(36), 2, 36);
    const tmp = interpreter.namespace.root.children.get('_TZ_')!.children.get('VGTZ')!.children.get('_TMP')!;
    const polls = (count: number) => {
      for (let poll = 0; poll < count; poll += 1) expect(interpreter.evaluate(tmp)).toEqual({ type: 'integer', value: 3000n });
      return interpreter.notifications.length;
    };
    expect(polls(3)).toBe(0);
    write(ID.low, ID.high + 1n);
    expect(polls(3)).toBe(1);
    write(ID.low + 1n, ID.high + 1n);
    expect(polls(3)).toBe(2);
    expect(interpreter.notifications.at(-1)).toEqual({ path: VGID_DEVICE_PATH, value: 0x80 });
    expect(() => buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, gpe: 5, watch: { address, initial: ID } })).toThrow(/needs the thermal zone/);
  });

  it('a polling period needs the thermal zone and a period in range', () => {
    expect(() => buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, gpe: 5, pollTenths: 5 })).toThrow(/needs the thermal zone/);
    for (const pollTenths of [0, 1.5, 36_001]) {
      expect(() => buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, thermalZone: true, pollTenths })).toThrow(/1\.\.36000/);
    }
  });
});

describe('buildAcpiTables with the notify GPE', () => {
  const withNotify = (): { memory: PagedMemory; built: AcpiBuildResult } => {
    const memory = new PagedMemory();
    return { memory, built: buildAcpiTables(memory, { generationId: ID, vcpus: 2, genidNotifyGpe: GENID_NOTIFY_GPE }) };
  };

  it('adds one SSDT after the MADT, listed in both the XSDT and the RSDT; the DSDT is unchanged', () => {
    const { memory, built } = withNotify();
    const plain = new PagedMemory();
    const xen = buildAcpiTables(plain, { generationId: ID, vcpus: 2 });
    expect(built.tables.map((table) => table.signature)).toEqual(['FACS', 'DSDT', 'FACP', 'FACP', 'APIC', 'SSDT', 'XSDT', 'RSDT']);
    const at = (signature: string): { address: number; length: number } => built.tables.find((table) => table.signature === signature)!;
    const dsdt = memory.read(BigInt(at('DSDT').address), at('DSDT').length);
    const xenDsdt = xen.tables.find((table) => table.signature === 'DSDT')!;
    expect(Buffer.from(dsdt).equals(Buffer.from(plain.read(BigInt(xenDsdt.address), xenDsdt.length)))).toBe(true);
    expect(Buffer.from(dsdt).includes(Buffer.from(buildVgidDevice()))).toBe(true);
    const xsdt = memory.read(BigInt(at('XSDT').address), at('XSDT').length);
    const rsdt = memory.read(BigInt(at('RSDT').address), at('RSDT').length);
    expect(byteSum(xsdt)).toBe(0);
    expect(byteSum(rsdt)).toBe(0);
    expect(new DataView(xsdt.buffer).getUint32(4, true)).toBe(36 + 3 * 8);
    expect(Number(new DataView(xsdt.buffer).getBigUint64(36 + 16, true))).toBe(at('SSDT').address);
    expect(new DataView(rsdt.buffer).getUint32(36 + 8, true)).toBe(at('SSDT').address);
    const ssdt = memory.read(BigInt(at('SSDT').address), at('SSDT').length);
    expect(byteSum(ssdt)).toBe(0);
    expect(built.vmGenerationIdAddress).toBeGreaterThan(at('RSDT').address);
  });

  it('describes the GPE0 block in the FADT: 4 bytes at 0xAFE0, also as x_gpe0_blk', () => {
    const { memory, built } = withNotify();
    const fadt = built.tables.filter((table) => table.signature === 'FACP')[1]!;
    const view = new DataView(memory.read(BigInt(fadt.address), fadt.length).buffer);
    expect(view.getUint32(80, true)).toBe(0xafe0);
    expect(view.getUint8(92)).toBe(4);
    expect([view.getUint8(220), view.getUint8(221), Number(view.getBigUint64(224, true))]).toEqual([1, 32, 0xafe0]);
  });

  it('refuses a GPE outside the block', () => {
    expect(() => buildAcpiTables(new PagedMemory(), { generationId: ID, genidNotifyGpe: 16 })).toThrow(/outside the FADT's GPE0 block/);
  });
});

const acpica = findReferee('iasl and acpiexec (acpica-tools)', ['iasl', 'acpiexec']);

describeWithReferee('the notify SSDT under ACPICA', acpica, () => {
  let dir = '';
  const run = (tool: string, args: string[]): string => {
    const result = spawnSync(acpica.paths[tool] as string, args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${result.status}: ${output}`);
    return output;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvmloader-sim-notify-'));
    const memory = new PagedMemory();
    const built = buildAcpiTables(memory, { generationId: ID, genidNotifyGpe: GENID_NOTIFY_GPE });
    for (const signature of ['DSDT', 'SSDT', 'XSDT', 'RSDT']) {
      const table = built.tables.find((entry) => entry.signature === signature)!;
      writeFileSync(join(dir, `${signature.toLowerCase()}.aml`), memory.read(BigInt(table.address), table.length));
    }
    const fadt = built.tables.filter((table) => table.signature === 'FACP')[1]!;
    writeFileSync(join(dir, 'facp.aml'), memory.read(BigInt(fadt.address), fadt.length));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('iasl -d decodes the SSDT as a \\_GPE._E05 that notifies \\_SB.PCI0.ISA.VGID, and the FADT and root tables', () => {
    const output = run('iasl', ['-d', 'ssdt.aml']);
    expect(output).not.toMatch(/\bError\b/);
    const dsl = readFileSync(join(dir, 'ssdt.dsl'), 'utf8');
    expect(dsl).toMatch(/DefinitionBlock \("", "SSDT", 2, "Xen", "VGNOTIFY"/);
    expect(dsl).toMatch(/Scope \(\\_GPE\)/);
    expect(dsl).toMatch(/Method \(_E05, 0, NotSerialized\)/);
    expect(dsl).toMatch(/Notify \(\\_SB\.PCI0\.ISA\.VGID, 0x80\)/);
    for (const name of ['facp', 'xsdt', 'rsdt']) {
      expect(run('iasl', ['-d', `${name}.aml`])).not.toMatch(/\bError\b/);
      expect(readFileSync(join(dir, `${name}.dsl`), 'utf8')).not.toMatch(/Invalid|\*\*\*\* /);
    }
    const facp = readFileSync(join(dir, 'facp.dsl'), 'utf8');
    expect(facp).toMatch(/GPE0 Block Address : 0000AFE0/);
    expect(facp).toMatch(/GPE0 Block Length : 04/);
  });

  it('iasl -d decodes a polled thermal zone with _TZP', () => {
    writeFileSync(join(dir, 'polled.aml'), buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, thermalZone: true, pollTenths: 5 }));
    expect(run('iasl', ['-d', 'polled.aml'])).not.toMatch(/\bError\b/);
    const dsl = readFileSync(join(dir, 'polled.dsl'), 'utf8');
    expect(dsl).toMatch(/ThermalZone \(\\_TZ\.VGTZ\)/);
    expect(dsl).toMatch(/Method \(_TZP, 0, NotSerialized\)[^\n]*\n\s*\{\s*Return \(0x05\)/);
  });

  it('acpiexec loads it beside our DSDT and runs the handler, notifying the device', () => {
    const output = run('acpiexec', ['-b', 'execute \\_GPE._E05', 'dsdt.aml', 'ssdt.aml']);
    expect(output).not.toMatch(/AE_NOT_FOUND|AE_ALREADY_EXISTS|AE_AML_/);
    expect(output).toMatch(/Received a Device Notify on \[VGID\][^\n]*Value 0x80/);
  });
});
