/**
 * Checks against the real hvmloader of Debian's xen-utils-4.17: its DSDTs are found by scanning
 * the binary at test time (nothing of it is kept in the repository).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithReferee, findReferee, type Referee } from '@xen-genid/test-utils';
import { buildBiosRegion, buildVgidDevice } from './dsdt.ts';
import { findEmbeddedTables } from './real-hvmloader.ts';
import { AmlInterpreter } from '../../guest/aml/loader.ts';
import { Namespace, type AmlValue, type NamespaceNode } from '../../guest/aml/namespace.ts';
import { PagedMemory } from '../../guest-memory.ts';
import { XEN_PLATFORM_LAYOUT } from '../platform-layout.ts';
import { readVmGenerationIdFromTable } from '../../guest/read-generation-id.ts';

const HVMLOADER = '/usr/lib/xen-4.17/boot/hvmloader';
const hvmloader: Referee = {
  name: 'hvmloader (xen-utils-4.17)',
  paths: existsSync(HVMLOADER) ? { hvmloader: HVMLOADER } : {},
  missing: existsSync(HVMLOADER) ? undefined : `hvmloader (xen-utils-4.17) not installed (missing: ${HVMLOADER})`,
};

function indexOf(haystack: Uint8Array, needle: Uint8Array): number[] {
  const found: number[] = [];
  outer: for (let offset = 0; offset + needle.length <= haystack.length; offset += 1) {
    for (let index = 0; index < needle.length; index += 1) if (haystack[offset + index] !== needle[index]) continue outer;
    found.push(offset);
  }
  return found;
}

describeWithReferee('the real hvmloader DSDTs', hvmloader, () => {
  const dsdts = (): Uint8Array[] => findEmbeddedTables(new Uint8Array(readFileSync(HVMLOADER))).map((table) => table.bytes);

  it('holds three DSDTs', () => {
    expect(dsdts().map((dsdt) => dsdt.length).sort()).toEqual([35455, 37539, 59792]);
  });

  it('contains our VGID device byte for byte, 120 bytes at offset 0x697 in each', () => {
    const device = buildVgidDevice();
    expect(device.length).toBe(120);
    for (const dsdt of dsdts()) expect(indexOf(dsdt, device)).toEqual([0x697]);
  });

  it('contains our BIOS operation region and field list byte for byte', () => {
    const region = buildBiosRegion(XEN_PLATFORM_LAYOUT);
    for (const dsdt of dsdts()) expect(indexOf(dsdt, region)).toEqual([0x735]);
  });

  it('is read by the guest side: \\_SB.PCI0.ISA.VGID found, ADDR evaluated against VGIA', () => {
    for (const dsdt of dsdts()) {
      const memory = new PagedMemory();
      const info = new Uint8Array(40);
      new DataView(info.buffer).setUint32(20, 0xfc0a1230, true);
      memory.write(0xfc000000n, info);
      const id = Uint8Array.from({ length: 16 }, (_, index) => 0xa0 + index);
      memory.write(0xfc0a1230n, id);
      const reading = readVmGenerationIdFromTable(dsdt, memory);
      expect(reading.path).toBe('\\_SB.PCI0.ISA.VGID');
      expect(reading.address).toBe(0xfc0a1230n);
      expect(reading.genid).toBe(Buffer.from(id).toString('hex'));
      expect(reading.failures).toEqual([]);
      expect(reading.ok).toBe(true);
    }
  });

  it('reports the device absent while VGIA is 0', () => {
    const [dsdt] = dsdts();
    const reading = readVmGenerationIdFromTable(dsdt as Uint8Array, new PagedMemory());
    expect(reading.ok).toBe(false);
    expect(reading.failures).toContain('\\_SB.PCI0.ISA.VGID._STA returned 0x0: not present');
  });
});

const acpica = findReferee('iasl and acpiexec (acpica-tools)', ['iasl', 'acpiexec']);
const hvmloaderAndAcpica: Referee = {
  name: `${hvmloader.name} and ${acpica.name}`,
  paths: { ...hvmloader.paths, ...acpica.paths },
  missing: [hvmloader.missing, acpica.missing].filter(Boolean).join('; ') || undefined,
};

describeWithReferee('the guest side agrees with acpiexec on the real DSDTs', hvmloaderAndAcpica, () => {
  it('_STA and ADDR give the same values before and after VGIA is set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvmloader-sim-real-'));
    try {
      const run = (tool: string, args: string[]): string => {
        const result = spawnSync(acpica.paths[tool] as string, args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
        if (result.status !== 0) throw new Error(`${tool} exited ${result.status}: ${result.stdout}${result.stderr}`);
        return `${result.stdout}${result.stderr}`;
      };
      writeFileSync(
        join(dir, 'setv.asl'),
        'DefinitionBlock ("", "SSDT", 2, "TEST", "SETV", 1)\n{\n    External (\\_SB.VGIA, FieldUnitObj)\n    Method (\\SETV, 1, NotSerialized)\n    {\n        Store (Arg0, \\_SB.VGIA)\n    }\n}\n',
      );
      run('iasl', ['-p', 'setv', 'setv.asl']);
      for (const table of findEmbeddedTables(new Uint8Array(readFileSync(HVMLOADER)))) {
        writeFileSync(join(dir, 'dsdt.aml'), table.bytes);
        const output = run('acpiexec', [
          '-b',
          'evaluate \\_SB.PCI0.ISA.VGID._STA; execute \\SETV 0xFC0A1230; evaluate \\_SB.PCI0.ISA.VGID._STA; evaluate \\_SB.PCI0.ISA.VGID.ADDR',
          'dsdt.aml',
          'setv.aml',
        ]);
        const acpiexec = [...output.matchAll(/\[Integer\] = ([0-9A-F]+)/g)].map((match) => BigInt(`0x${match[1]}`));
        expect(acpiexec).toEqual([0n, 0x0fn, 0xfc0a1230n, 0n]);

        // The same sequence in our interpreter: _STA, VGIA := 0xFC0A1230 (in guest memory), _STA, ADDR.
        const memory = new PagedMemory();
        const interpreter = new AmlInterpreter(new Namespace(), { memory });
        expect(interpreter.load(table.bytes.subarray(36), table.bytes[8] as number)).toEqual([]);
        const device = interpreter.namespace.lookupExact(interpreter.namespace.root, {
          root: true,
          parents: 0,
          segments: ['_SB_', 'PCI0', 'ISA_', 'VGID'],
        });
        const evaluate = (name: string): AmlValue => interpreter.evaluate(device?.children.get(name) as NamespaceNode);
        const integerOf = (value: AmlValue | undefined): bigint => (value?.type === 'integer' ? value.value : -1n);
        const before = integerOf(evaluate('_STA'));
        const info = new Uint8Array(40);
        new DataView(info.buffer).setUint32(20, 0xfc0a1230, true);
        memory.write(0xfc000000n, info);
        const after = integerOf(evaluate('_STA'));
        const addr = evaluate('ADDR');
        const elements = addr.type === 'package' ? addr.elements.map(integerOf) : [];
        expect([before, after, ...elements]).toEqual(acpiexec);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('findEmbeddedTables', () => {
  it('skips signatures whose length or checksum does not fit', () => {
    const blob = new Uint8Array(200);
    blob.set(Buffer.from('DSDT'), 10); // length 0: refused
    blob.set(Buffer.from('DSDT'), 100);
    new DataView(blob.buffer).setUint32(104, 40, true);
    blob[109] = 0; // checksum wrong
    expect(findEmbeddedTables(blob)).toEqual([]);
    let sum = 0;
    for (const byte of blob.subarray(100, 140)) sum = (sum + byte) & 0xff;
    blob[109] = (0x100 - sum) & 0xff;
    expect(findEmbeddedTables(blob).map((table) => table.fileOffset)).toEqual([100]);
  });
});
