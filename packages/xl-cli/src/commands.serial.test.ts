/**
 * The xl commands' messages, stdout/stderr split and exit statuses, through the built `xl` on a
 * temp host file; progress of long operations on a terminal (a pty from util-linux `script`) and
 * none otherwise.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { XL, createXlWorld, genidView, type XlWorld } from './__fixtures__/xl-world.ts';

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('commands');
  world.file('vm.cfg', 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\non_poweroff = "destroy"\n');
  world.file('keep.cfg', 'name = "keep"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\non_poweroff = "preserve"\n');
});
afterAll(() => world.cleanup());

describe('xl commands: messages and exit statuses as xl', () => {
  it('lists Domain-0 first on a fresh host, and the table header exactly', () => {
    const result = world.xl(['list']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Name {40}ID {3}Mem VCPUs\tState\tTime\(s\)\nDomain-0 {37}0 +\d+ +\d+ {5}r----- +\d+\.\d\n$/);
  });

  it('create -p leaves the domain paused (no firmware run yet); unpause runs it', () => {
    expect(world.xl(['create', '-p', 'vm.cfg']).status).toBe(0);
    const paused = genidView(world.host('a.db'), 'vm')!;
    expect(paused).toMatchObject({ paused: true, memory: null, guest: null });
    expect(paused.xenstore).toBe(paused.config);
    expect(world.xl(['list', 'vm']).stdout).toMatch(/\n {0}vm +\d+ +64 +1 {5}--p--- /);
    expect(world.xl(['unpause', 'vm']).status).toBe(0);
    const running = genidView(world.host('a.db'), 'vm')!;
    expect(running).toMatchObject({ paused: false, memory: paused.config, guest: paused.config });
  });

  it('create -q is quiet; create -d prints the JSON on stderr', () => {
    const quiet = world.xl(['create', '-q', 'vm.cfg', 'name="q"']);
    expect(quiet).toEqual({ status: 0, stdout: '', stderr: '' });
    const debug = world.xl(['create', '-d', 'vm.cfg', 'name="d"']);
    expect(debug.status).toBe(0);
    expect(debug.stdout).toBe('');
    expect(debug.stderr).toMatch(/^Parsing config from vm\.cfg\n\{\n {4}"c_info": \{/);
    expect(debug.stderr).toContain('"ms_vm_genid": [');
    for (const name of ['q', 'd']) expect(world.xl(['destroy', name]).status).toBe(0);
  });

  it('domid and domname answer on stdout, or fail with xl\'s words', () => {
    const domid = world.xl(['domid', 'vm']);
    expect(domid.status).toBe(0);
    expect(domid.stdout).toMatch(/^\d+\n$/);
    expect(world.xl(['domname', domid.stdout.trim()])).toEqual({ status: 0, stdout: 'vm\n', stderr: '' });
    expect(world.xl(['domname', '0']).stdout).toBe('Domain-0\n');
    expect(world.xl(['domid', 'nosuch'])).toEqual({
      status: 1,
      stdout: '',
      stderr: "Can't get domid of domain name 'nosuch', maybe this domain does not exist.\n",
    });
    expect(world.xl(['domname', '4242'])).toEqual({
      status: 1,
      stdout: '',
      stderr: "Can't get domain name of domain id '4242', maybe this domain does not exist.\n",
    });
    expect(world.xl(['domname', 'abc'])).toEqual({ status: 1, stdout: '', stderr: 'Invalid domain id.\n\n' });
  });

  it('accepts any unique prefix of a command name', () => {
    expect(world.xl(['domn', '0']).stdout).toBe('Domain-0\n');
    expect(world.xl(['li']).stdout).toMatch(/^Name /);
  });

  it('refuses unknown domains, Domain-0 and missing arguments clearly, changing nothing', () => {
    const before = world.xl(['list']).stdout.replace(/ +\d+\.\d\n/g, '\n');
    expect(world.xl(['destroy', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(world.xl(['destroy', '0'])).toEqual({ status: 1, stdout: '', stderr: 'Not destroying domain 0; use -f to force.\n' });
    expect(world.xl(['destroy', '4242'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'libxl: error: Domain 4242:Non-existant domain\ndestroy failed (rc=-21)\n',
    });
    expect(world.xl(['pause', 'nosuch']).status).toBe(1);
    const usage = world.xl(['save', 'vm']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^'xl save' requires at least 2 arguments\.\n\nUsage: xl \[-v[a-zA-Z]*\] save \[options\] <Domain> <CheckpointFile> \[<ConfigFile>\]\n/);
    expect(world.xl(['-N', 'destroy', 'vm'])).toEqual({ status: 1, stdout: '', stderr: 'command does not implement -N (dryrun) option\n' });
    expect(world.xl(['restore', 'missing.img'])).toEqual({
      status: 3,
      stdout: '',
      stderr: "Can't open restore file: missing.img: No such file or directory\n",
    });
    world.file('junk.img', 'not a save file at all, just some text that is long enough to hold a header');
    expect(world.xl(['restore', 'junk.img'])).toEqual({
      status: 6,
      stdout: '',
      stderr: 'File has wrong magic number - corrupt or for a different tool?\n',
    });
    const unwritable = world.xl(['save', 'vm', 'no/such/dir/vm.img']);
    expect(unwritable).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Failed to open temp file no/such/dir/vm.img for writing: No such file or directory\n',
    });
    expect(world.xl(['list']).stdout.replace(/ +\d+\.\d\n/g, '\n')).toBe(before);
  });

  it('shutdown -w: the guest powers off and on_poweroff decides (destroy, or preserve as shut down)', () => {
    const { domid } = genidView(world.host('a.db'), 'vm')!;
    expect(world.xl(['shutdown', '-w', 'vm'])).toEqual({
      status: 0,
      stdout: '',
      stderr: `Waiting for 1 domains\nShutting down domain ${domid}\nDomain ${domid} has been shut down, reason code 0\nDomain ${domid} has been destroyed.\n`,
    });
    expect(genidView(world.host('a.db'), 'vm')).toBeUndefined();
    expect(world.xl(['create', 'keep.cfg']).status).toBe(0);
    expect(world.xl(['shutdown', 'keep']).status).toBe(0);
    expect(world.xl(['list', 'keep']).stdout).toMatch(/\nkeep +\d+ +64 +1 {5}---s-- /);
    expect(world.xl(['shutdown']).stderr).toBe('You must specify -a or a domain id.\n');
    expect(world.xl(['destroy', 'keep']).status).toBe(0);
  });

  it('xl help lists every command of the table', () => {
    const help = world.xl(['help']);
    expect(help.status).toBe(0);
    for (const name of ['create', 'list', 'destroy', 'shutdown', 'reboot', 'pause', 'unpause', 'save', 'migrate', 'restore', 'migrate-receive', 'domid', 'domname']) {
      expect(help.stdout).toMatch(new RegExp(`\\n ${name} +\\S`));
    }
    expect(world.xl(['help', 'migrate']).stdout).toMatch(/^Usage: xl \[-v[a-zA-Z]*\] migrate \[options\] <Domain> <host>\n/);
  });

  it('a bad host file is refused with its reason, exit 1', () => {
    world.file('bad.db', 'this is not a database');
    const result = world.xl(['list'], { host: world.host('bad.db') });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^xl: .*bad\.db/);
  });
});

const script = findReferee('script (util-linux, for a pseudo-terminal)', ['script']);
describeWithReferee('progress of long operations', script, () => {
  it('is drawn on a terminal, and absent when stderr is a pipe', () => {
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    const quiet = world.xl(['save', '-c', 'vm', 'quiet.img']);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).not.toContain('\r');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} save -c vm tty.img`;
    const onTerminal = spawnSync(script.paths.script!, ['-qec', command, '/dev/null'], {
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: world.dir, XEN_GENID_HOST: world.host('a.db') },
    });
    expect(onTerminal.status).toBe(0);
    expect(onTerminal.stdout).toMatch(/\rSaving domain \d+: \d+\/\d+ KiB 100%\r?\n/);
    expect(world.xl(['destroy', 'vm']).status).toBe(0);
    const restoreCommand = `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} restore tty.img`;
    const restored = spawnSync(script.paths.script!, ['-qec', restoreCommand, '/dev/null'], {
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: world.dir, XEN_GENID_HOST: world.host('a.db') },
    });
    expect(restored.status).toBe(0);
    expect(restored.stdout).toMatch(/\rRestoring domain: \d+\/\d+ KiB 100%\r?\n/);
    expect(world.xl(['destroy', 'vm']).status).toBe(0);
    const quietRestore = world.xl(['restore', 'quiet.img']);
    expect(quietRestore.status).toBe(0);
    expect(quietRestore.stderr).not.toContain('\r');
    // xl -t: progress with carriage returns on a pipe too.
    expect(world.xl(['-t', 'save', '-c', 'vm', 'dash-t.img']).stderr).toMatch(/\rSaving domain \d+: \d+\/\d+ KiB 100%\n$/);
    // A migration from a terminal: the sender passes -t and hides its own progress; the receiver draws the stream's.
    const migrateCommand = `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} migrate -s env vm XEN_GENID_HOST=${world.host('b.db')}`;
    const migrated = spawnSync(script.paths.script!, ['-qec', migrateCommand, '/dev/null'], {
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: `${world.binDir}:${process.env.PATH ?? ''}`, HOME: world.dir, XEN_GENID_HOST: world.host('a.db') },
    });
    expect(migrated.status, migrated.stdout).toBe(0);
    expect(migrated.stdout).not.toContain('Migrating domain');
    expect(migrated.stdout).toMatch(/\rReceiving domain: \d+ KiB\r?\n/);
    expect(world.xl(['destroy', 'vm'], { host: world.host('b.db') }).status).toBe(0);
  });
});
