/**
 * Our tables against Debian's ACPICA (acpica-tools): `iasl -d` must disassemble every table
 * without errors, and `acpiexec` must evaluate our VGID device as Xen's (technique: a test-only
 * SSDT whose \SETV stores its argument into \_SB.VGIA, since acpiexec maps no guest memory).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { buildAcpiTables, type AcpiBuildResult } from './build-tables.ts';
import { PagedMemory } from '../../guest-memory.ts';
import { readVmGenerationIdFromTable } from '../../guest/read-generation-id.ts';

const acpica = findReferee('iasl and acpiexec (acpica-tools)', ['iasl', 'acpiexec']);

const SETV_ASL = `DefinitionBlock ("", "SSDT", 2, "TEST", "SETV", 1)
{
    External (\\_SB.VGIA, FieldUnitObj)
    Method (\\SETV, 1, NotSerialized)
    {
        Store (Arg0, \\_SB.VGIA)
    }
}
`;

describeWithReferee('our ACPI tables under ACPICA', acpica, () => {
  let dir = '';
  let memory: PagedMemory;
  let built: AcpiBuildResult;
  /** Runs a tool; its stdout and stderr together (iasl reports on stderr). Fails on a non-zero exit. */
  const run = (tool: string, args: string[]): string => {
    const result = spawnSync(acpica.paths[tool] as string, args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${result.status}: ${output}`);
    return output;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvmloader-sim-acpica-'));
    memory = new PagedMemory();
    built = buildAcpiTables(memory, { generationId: { low: 0x0123456789abcdefn, high: 0xfedcba9876543210n }, vcpus: 2 });
    const names = new Map<string, number>();
    for (const table of built.tables) {
      const count = names.get(table.signature) ?? 0;
      names.set(table.signature, count + 1);
      writeFileSync(join(dir, `${table.signature.toLowerCase()}${count ? count : ''}.aml`), memory.read(BigInt(table.address), table.length));
    }
    writeFileSync(join(dir, 'setv.asl'), SETV_ASL);
    run('iasl', ['-p', 'setv', 'setv.asl']);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('iasl -d disassembles every table without errors', () => {
    for (const name of ['dsdt', 'facp', 'facp1', 'apic', 'xsdt', 'rsdt', 'facs']) {
      const output = run('iasl', ['-d', `${name}.aml`]);
      expect(output).not.toMatch(/\bError\b/);
      expect(output).toMatch(/Disassembly completed|Acpi Data Table \[\w+\] decoded/);
      const dsl = readFileSync(join(dir, `${name}.dsl`), 'utf8');
      expect(dsl).not.toMatch(/Invalid|\*\*\*\* /);
    }
    const dsdt = readFileSync(join(dir, 'dsdt.dsl'), 'utf8');
    expect(dsdt).toMatch(/Device \(VGID\)/);
    expect(dsdt).toMatch(/Name \(_HID, EisaId \("XEN0000"\)\)/);
    expect(dsdt).toMatch(/Name \(_CID, "VM_Gen_Counter"\)/);
    expect(dsdt).toMatch(/OperationRegion \(BIOS, SystemMemory, 0xFC000000, 0x28\)/);
    expect(dsdt).toMatch(/Name \(\\?_S5, Package \(0x04\)/);
    expect(readFileSync(join(dir, 'facp1.dsl'), 'utf8')).toMatch(/DSDT Address : [0-9A-F]+/);
  });

  it('iasl recompiles the disassembled DSDT into the same AML body, byte for byte', () => {
    run('iasl', ['-d', 'dsdt.aml']);
    writeFileSync(join(dir, 'again.asl'), readFileSync(join(dir, 'dsdt.dsl')));
    run('iasl', ['-p', 'again', 'again.asl']);
    const ours = readFileSync(join(dir, 'dsdt.aml'));
    const iasl = readFileSync(join(dir, 'again.aml'));
    // The headers differ only in the creator (iasl signs INTL and its version) and so the checksum.
    expect(iasl.subarray(36).equals(ours.subarray(36))).toBe(true);
    expect(iasl.subarray(0, 9).equals(ours.subarray(0, 9))).toBe(true);
  });

  it('acpiexec evaluates _STA 0 then 0x0F and ADDR {address, 0}, as the guest side does', () => {
    const address = built.vmGenerationIdAddress;
    const output = run('acpiexec', [
      '-b',
      `evaluate \\_SB.PCI0.ISA.VGID._STA; execute \\SETV 0x${address.toString(16)}; evaluate \\_SB.PCI0.ISA.VGID._STA; evaluate \\_SB.PCI0.ISA.VGID.ADDR; evaluate \\_SB.PCI0.ISA.VGID._CID`,
      'dsdt.aml',
      'setv.aml',
    ]);
    const values = [...output.matchAll(/\[Integer\] = ([0-9A-F]+)/g)].map((match) => BigInt(`0x${match[1]}`));
    expect(values).toEqual([0n, 0x0fn, BigInt(address), 0n]);
    expect(output).toMatch(/\[Package\] Contains 2 Elements/);
    expect(output).toMatch(/\[String\] Length 0E = "VM_GEN_COUNTER"/);

    const reading = readVmGenerationIdFromTable(readFileSync(join(dir, 'dsdt.aml')), memory);
    expect(reading.ok).toBe(true);
    expect(reading.address).toBe(BigInt(address));
    expect(reading.genid).toBe('efcdab89674523011032547698badcfe');
  });
});
