import { describe, expect, it } from 'vitest';
import { commandTable, formatCommandHelp, formatFullHelp, lookupCommand, parseCommandLine, type CommandSpec } from './command-table.ts';
import { main } from './main.ts';

const noop = async () => ({ run: () => 0 });
const table: CommandSpec[] = [
  { name: 'list', usage: '', description: 'List', canDryRun: false, modifies: false, options: {}, load: noop },
  { name: 'list-vm', usage: '', description: 'List VMs', canDryRun: false, modifies: false, options: {}, load: noop },
  { name: 'save', usage: '', description: 'Save', canDryRun: false, modifies: true, options: {}, load: noop },
];

function capture() {
  const out = { stdout: '', stderr: '' };
  const context = {
    stdout: { write: (chunk: string | Uint8Array) => (out.stdout += String(chunk)) },
    stderr: { write: (chunk: string | Uint8Array) => (out.stderr += String(chunk)) },
    readFile: (path: string): Uint8Array => {
      if (path === 'ok.cfg') return Buffer.from('name = "vm"\nkernel = "/boot/k"\n');
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    },
    env: {},
  };
  return { out, context };
}

describe('the command table', () => {
  it('finds a command by exact name, else by unique prefix (cmdtable_lookup)', () => {
    expect(lookupCommand('list', table)?.name).toBe('list');
    expect(lookupCommand('list-', table)?.name).toBe('list-vm');
    expect(lookupCommand('lis', table)).toBeUndefined();
    expect(lookupCommand('s', table)?.name).toBe('save');
    expect(lookupCommand('x', table)).toBeUndefined();
    expect(lookupCommand('cr')?.name).toBe('create');
  });

  it('holds xl 4.17\'s whole table: prefixes that real xl finds ambiguous find nothing', () => {
    expect(commandTable).toHaveLength(93);
    expect(commandTable.at(-1)?.name).toBe('vm-genid');
    for (const prefix of ['sh', 'de', 'c', 'l', 'p', 'u', 'v', 's', 'r', 'cpupool', 'psr-c']) expect(lookupCommand(prefix), prefix).toBeUndefined();
    expect(lookupCommand('shut')?.name).toBe('shutdown');
    expect(lookupCommand('des')?.name).toBe('destroy');
    expect(lookupCommand('vm')?.name).toBe('vm-list'); // as in real xl, where vm-list is the only vm command
    expect(lookupCommand('dmes')?.name).toBe('dmesg');
    expect(lookupCommand('list')?.name).toBe('list');
  });

  it('finds vm-genid (beyond Xen) by its whole name only, and leaves it out of the full list', () => {
    expect(lookupCommand('vm-genid')?.name).toBe('vm-genid');
    for (const prefix of ['vm-', 'vm-g', 'vm-geni']) expect(lookupCommand(prefix)?.name, prefix).not.toBe('vm-genid');
    expect(lookupCommand('vm-')?.name).toBe('vm-list');
    expect(formatFullHelp()).not.toContain('vm-genid');
    expect(formatCommandHelp(lookupCommand('vm-genid')!)).toMatch(/^Usage: xl \[-vtTf\] vm-genid \[options\] <Domain> \| --history --html=FILE \[<Domain>\]\n/);
  });

  it('parses grouped flags, values in every form, -- and refuses unknown options', () => {
    const create = lookupCommand('create')!;
    expect(parseCommandLine(create, ['-pq', 'a.cfg', '-f', 'b.cfg', 'x=1'])).toMatchObject({
      kind: 'ok',
      options: { paused: true, quiet: true, defconfig: 'b.cfg', dryrun: false },
      args: ['a.cfg', 'x=1'],
    });
    expect(parseCommandLine(create, ['-fc.cfg', '--dryrun'])).toMatchObject({ options: { defconfig: 'c.cfg', dryrun: true } });
    expect(parseCommandLine(create, ['--defconfig=d.cfg', '--', '-p'])).toMatchObject({ options: { defconfig: 'd.cfg', paused: false }, args: ['-p'] });
    expect(() => parseCommandLine(create, ['-z'])).toThrow(expect.objectContaining({ message: "option `z' not supported.", exitCode: 2 }));
    expect(parseCommandLine(create, ['-h'])).toEqual({ kind: 'help' });
  });

  it('generates help from the table in xl\'s layout', () => {
    expect(formatFullHelp(table)).toBe(
      'Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of subcommands:\n\n list                List\n list-vm             List VMs\n save                Save\n',
    );
    const help = formatCommandHelp(lookupCommand('create')!);
    expect(help.startsWith('Usage: xl [-vtTfN] create <ConfigFile> [options] [vars]\n\nCreate a domain from config file <filename>.\n\nOptions:\n\n')).toBe(true);
    expect(help).toContain('\n-n, --dryrun            Dry run - prints the resulting configuration\n');
    expect(commandTable.every((command) => command.description.length > 0)).toBe(true);
  });
});

describe('main', () => {
  it('prints the full help and exits 1 without a command', async () => {
    const { out, context } = capture();
    expect(await main([], context)).toBe(1);
    expect(out.stdout).toContain('xl full list of subcommands:');
  });

  it('answers help, unknown commands and unknown global options as xl does', async () => {
    let run = capture();
    expect(await main(['help', 'create'], run.context)).toBe(0);
    expect(run.out.stdout).toContain('Usage: xl [-vtTfN] create');
    run = capture();
    expect(await main(['help', 'nosuch'], run.context)).toBe(0);
    expect(run.out.stdout).toBe('command "nosuch" not implemented\n');
    run = capture();
    expect(await main(['frobnicate'], run.context)).toBe(1);
    expect(run.out.stderr).toBe('command not implemented\n');
    run = capture();
    expect(await main(['sh', '-a'], run.context)).toBe(1);
    expect(run.out).toEqual({ stdout: '', stderr: 'command not implemented\n' });
    run = capture();
    expect(await main(['cd-insert', 'vm', 'hdc', 'x.iso'], run.context)).toBe(1);
    expect(run.out).toEqual({ stdout: '', stderr: 'command not implemented\n' });
    run = capture();
    expect(await main(['-x', 'create'], run.context)).toBe(1);
    expect(run.out.stderr).toBe("xl: invalid option -- 'x'\nunknown global option\n");
  });

  it('runs create through its lazily loaded module with the context it is given', async () => {
    const { out, context } = capture();
    expect(await main(['-vN', 'create', 'ok.cfg', 'memory=2'], context)).toBe(0);
    expect(out.stderr).toBe('Parsing config from ok.cfg\n');
    expect(JSON.parse(out.stdout).b_info.target_memkb).toBe(2048);
  });
});
