import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './main.ts';
import { byteSum } from '../firmware/acpi/table-header.ts';

const BIN = fileURLToPath(new URL('../../dist/bin/hvmloader-sim.js', import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hvmloader-sim-cli-'));
  dirs.push(dir);
  return dir;
};

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { status, stdout, stderr };
}

describe('hvmloader-sim (in process)', () => {
  it('lists its commands', async () => {
    const help = await cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}tables {2}Run the firmware/m);
    expect(help.stdout).toMatch(/^ {2}read /m);
    expect(help.stdout).not.toMatch(/boot-linux/);
    expect((await cli([])).status).toBe(2);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['tables', '--out', 'x'], /--generation-id is required/],
    [['tables', '--generation-id', '1:2'], /--out is required/],
    [['tables', '--generation-id', '1:2', '--out', 'x', '--vcpus', '0'], /--vcpus must be 1 to 128/],
    [['tables', '--bogus'], /Unknown option '--bogus'/],
    [['read'], /give exactly one dump directory or table file/],
  ])('exits 2 on bad usage %j', async (args, message) => {
    const result = await cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('takes a unique prefix of a command name', async () => {
    const result = await cli(['tab', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/usage: hvmloader-sim tables/);
  });

  it('refuses a non-empty output directory and leaves it alone', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'keep'), 'x');
    const result = await cli(['tables', '--generation-id', '1:2', '--out', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is not empty/);
    expect(readdirSync(dir)).toEqual(['keep']);
  });

  it('reports unreadable inputs to read', async () => {
    const dir = scratch();
    expect((await cli(['read', join(dir, 'missing')])).stderr).toMatch(/cannot read/);
    expect((await cli(['read', dir])).stderr).toMatch(/holds no mem-<hex address>\.bin files/);
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'mem-00000123.bin'), 'x');
    expect((await cli(['read', join(dir, 'bad')])).stderr).toMatch(/not a page-aligned/);
  });
});

// Each case spawns the bin several times: on a loaded machine that takes longer than vitest's default.
describe('the hvmloader-sim bin (dist)', { timeout: 60_000 }, () => {
  const spawn = (args: string[]) => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the package first (pnpm turbo run build --filter=@xen-genid/hvmloader-sim)`);
    return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  };

  it('tables dumps every table, the RSDP, the info block and the pages; read finds the ID in the dump', () => {
    const out = join(scratch(), 'dump');
    const tables = spawn(['tables', '--generation-id', '0x0102030405060708:0x1112131415161718', '--out', out, '--vcpus', '2']);
    expect(tables.stderr).toBe('');
    expect(tables.status).toBe(0);
    const address = /generation ID at 0x([0-9a-f]+)/.exec(tables.stdout)?.[1];
    expect(address).toBeDefined();
    const files = readdirSync(out).sort();
    expect(files.filter((name) => !name.startsWith('mem-'))).toEqual([
      'acpi-info.bin',
      'apic.aml',
      'dsdt.aml',
      'facp-rev1.aml',
      'facp.aml',
      'facs.aml',
      'rsdp.bin',
      'rsdt.aml',
      'ssdt.aml', // the generation-ID notify handler
      'xsdt.aml',
    ]);
    expect(files.filter((name) => name.startsWith('mem-'))).toEqual(['mem-000ea000.bin', 'mem-fc000000.bin', 'mem-fc001000.bin']);
    for (const name of ['apic.aml', 'dsdt.aml', 'facp.aml', 'facp-rev1.aml', 'rsdt.aml', 'ssdt.aml', 'xsdt.aml']) {
      const bytes = readFileSync(join(out, name));
      expect(bytes.readUInt32LE(4)).toBe(bytes.length);
      expect(byteSum(bytes)).toBe(0);
    }
    const info = readFileSync(join(out, 'acpi-info.bin'));
    expect(info.length).toBe(40);
    expect(info.readUInt32LE(20).toString(16)).toBe(address);

    const read = spawn(['read', out]);
    expect(read.status).toBe(0);
    expect(read.stdout).toMatch(/device: {3}\\_SB\.PCI0\.ISA\.VGID/);
    expect(read.stdout).toContain(`address:  0x${address}`);
    expect(read.stdout).toContain('genid:    08070605040302011817161514131211');

    const json = spawn(['read', join(out, 'dsdt.aml'), '--memory', out, '--json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, genid: '08070605040302011817161514131211', path: '\\_SB.PCI0.ISA.VGID' });
  });

  it('with a zero or malformed ID dumps tables without a buffer, and read reports _STA 0', () => {
    for (const text of ['0:0', 'garbage', '0X10:5']) {
      const out = join(scratch(), 'dump');
      const tables = spawn(['tables', '--generation-id', text, '--out', out]);
      expect(tables.status).toBe(0);
      expect(tables.stdout).toMatch(/read by hvmloader as 0:0/);
      expect(tables.stdout).toMatch(/no generation ID \(both words 0\)/);
      const read = spawn(['read', out]);
      expect(read.status).toBe(1);
      expect(read.stdout).toContain('failed:   \\_SB.PCI0.ISA.VGID._STA returned 0x0: not present');
    }
  });

  it('with --no-acpi writes no tables', () => {
    const out = join(scratch(), 'dump');
    const tables = spawn(['tables', '--generation-id', '1:2', '--out', out, '--no-acpi']);
    expect(tables.status).toBe(0);
    expect(tables.stdout).toMatch(/no ACPI tables built/);
    expect(readdirSync(out)).toEqual([]);
    expect(spawn(['read', out]).stderr).toMatch(/holds no mem-/);
  });
});
