/**
 * The xl commands' messages, stdout/stderr split and exit statuses, run in process
 * (`main(argv, context)`) on an in-memory machine; each case makes its own.
 */
import { describe, expect, it } from 'vitest';
import { memoryXl, type MemoryXl } from './__fixtures__/memory-xl.ts';

const VM = 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\non_poweroff = "destroy"\n';
const KEEP = 'name = "keep"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\non_poweroff = "preserve"\n';

/** A machine with `vm` created from VM (running unless `paused`). */
async function withVm(paused = false): Promise<MemoryXl & { readonly cfg: string }> {
  const world = memoryXl();
  const cfg = world.file('vm.cfg', VM);
  await world.ok(['create', ...(paused ? ['-p'] : []), cfg]);
  return { ...world, cfg };
}

describe('xl commands: messages and exit statuses as xl', () => {
  it('lists Domain-0 first on a fresh machine, and the table header exactly', async () => {
    const result = await memoryXl().xl(['list']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Name {40}ID {3}Mem VCPUs\tState\tTime\(s\)\nDomain-0 {37}0 +\d+ +\d+ {5}r----- +\d+\.\d\n$/);
  });

  it('create -p leaves the domain paused (no firmware run yet); unpause runs it', async () => {
    const world = await withVm(true);
    const paused = world.view('vm')!;
    expect(paused).toMatchObject({ paused: true, memory: null, guest: null });
    expect(paused.xenstore).toBe(paused.config);
    expect((await world.xl(['list', 'vm'])).stdout).toMatch(/\nvm +\d+ +64 +1 {5}--p--- /);
    expect(await world.xl(['unpause', 'vm'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(world.view('vm')).toMatchObject({ paused: false, memory: paused.config, guest: paused.config });
  });

  it('create says which file it parses; -q is quiet; -d prints the JSON on stderr', async () => {
    const world = memoryXl();
    const cfg = world.file('vm.cfg', VM);
    expect(await world.xl(['create', cfg])).toEqual({ status: 0, stdout: '', stderr: `Parsing config from ${cfg}\n` });
    expect(await world.xl(['create', '-q', cfg, 'name="q"'])).toEqual({ status: 0, stdout: '', stderr: '' });
    const debug = await world.xl(['create', '-d', cfg, 'name="d"']);
    expect(debug.status).toBe(0);
    expect(debug.stdout).toBe('');
    expect(debug.stderr.startsWith(`Parsing config from ${cfg}\n{\n    "c_info": {`)).toBe(true);
    expect(debug.stderr).toContain('"ms_vm_genid": [');
  });

  it('create of a missing or broken config file: xl\'s message and exit status, nothing created', async () => {
    const world = memoryXl();
    const missing = `${world.dir}/missing.cfg`;
    expect(await world.xl(['create', missing])).toEqual({ status: 3, stdout: '', stderr: `Failed to read config file: ${missing}: No such file or directory\n` });
    expect(await world.xl(['create', world.dir])).toEqual({ status: 3, stdout: '', stderr: `Failed to read config file: ${world.dir}: Is a directory\n` });
    const broken = world.file('broken.cfg', 'name = "x\n');
    const result = await world.xl(['create', broken]);
    expect(result.status).not.toBe(0);
    expect(result.stderr.startsWith(`Parsing config from ${broken}\n`)).toBe(true);
    expect(world.parts.hypervisor.listDomains().map((info) => info.domid)).toEqual([0]);
    expect(await world.xl(['create'])).toEqual({ status: 6, stdout: '', stderr: 'Config file not specified and none in save file\n' });
  });

  it('domid and domname answer on stdout, or fail with xl\'s words', async () => {
    const world = await withVm();
    const domid = await world.xl(['domid', 'vm']);
    expect(domid).toEqual({ status: 0, stdout: `${world.view('vm')!.domid}\n`, stderr: '' });
    expect(await world.xl(['domname', domid.stdout.trim()])).toEqual({ status: 0, stdout: 'vm\n', stderr: '' });
    expect((await world.xl(['domname', '0'])).stdout).toBe('Domain-0\n');
    expect(await world.xl(['domid', 'nosuch'])).toEqual({
      status: 1,
      stdout: '',
      stderr: "Can't get domid of domain name 'nosuch', maybe this domain does not exist.\n",
    });
    expect(await world.xl(['domname', '4242'])).toEqual({
      status: 1,
      stdout: '',
      stderr: "Can't get domain name of domain id '4242', maybe this domain does not exist.\n",
    });
    expect(await world.xl(['domname', 'abc'])).toEqual({ status: 1, stdout: '', stderr: 'Invalid domain id.\n\n' });
  });

  it('accepts any unique prefix of a command name', async () => {
    const world = memoryXl();
    expect((await world.xl(['domn', '0'])).stdout).toBe('Domain-0\n');
    expect((await world.xl(['li'])).stdout).toMatch(/^Name /);
  });

  it('refuses unknown domains and Domain-0 clearly, changing nothing', async () => {
    const world = await withVm();
    const before = world.parts.hypervisor.listDomains();
    expect(await world.xl(['destroy', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(await world.xl(['destroy', '0'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Not destroying domain 0; use -f to force.\nThis can only be done when using a disaggregated hardware domain and toolstack.\n\n',
    });
    // As real Xen 4.17 printed it for `xl destroy 42` (integration/src/real-xen/__fixtures__/destroy-missing-id.txt).
    expect(await world.xl(['destroy', '4242'])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain 4242:Non-existant domain\n' +
        'libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain 4242:Unable to destroy guest\n' +
        'libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain 4242:Destruction of domain failed\n' +
        'destroy failed (rc=-21)\n',
    });
    expect(await world.xl(['pause', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    // xl ignores libxl_domain_unpause's result: libxl's line, exit 0.
    expect(await world.xl(['unpause', '4242'])).toEqual({ status: 0, stdout: '', stderr: 'libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=4242\n' });
    expect(await world.xl(['-N', 'destroy', 'vm'])).toEqual({ status: 1, stdout: '', stderr: 'command does not implement -N (dryrun) option\n' });
    expect(world.parts.hypervisor.listDomains()).toEqual(before);
  });

  it('missing arguments: the message on stderr, the usage on stdout, exit 2', async () => {
    const usage = await memoryXl().xl(['save', 'vm']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("'xl save' requires at least 2 arguments.\n\n");
    expect(usage.stdout).toMatch(/^Usage: xl \[-vtTf\] save \[options\] <Domain> <CheckpointFile> \[<ConfigFile>\]\n/);
  });

  it('too many arguments print the usage on stdout, exit 1 (list, restore)', async () => {
    const world = memoryXl();
    const list = await world.xl(['list', 'a', 'b']);
    expect(list.status).toBe(1);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^Usage: xl \[-v[a-zA-Z]*\] list \[options\] \[Domain\]\n/);
    const restore = await world.xl(['restore', 'a', 'b', 'c']);
    expect(restore.status).toBe(1);
    expect(restore.stdout).toMatch(/^Usage: xl \[-v[a-zA-Z]*\] restore /);
  });

  it('restore of a missing or foreign file, and save to an unwritable place, as xl', async () => {
    const world = await withVm();
    const missing = `${world.dir}/missing.img`;
    expect(await world.xl(['restore', missing])).toEqual({ status: 1, stdout: '', stderr: "Can't open restore file: No such file or directory\n" });
    const short = world.file('short.img', 'short');
    expect(await world.xl(['restore', short])).toEqual({
      status: 1,
      stdout: '',
      stderr: `libxl: error: libxl_utils.c:505:libxl_read_exactly: file/stream truncated reading header from ${short}\nxl: fatal error: xl_vmcontrol.c:713: Protocol error: libxl_read_exactly( ctx, restore_fd, &hdr, sizeof(hdr), restore_source, "header")\n`,
    });
    const junk = world.file('junk.img', 'not a save file at all, just some text that is long enough to hold a header');
    expect(await world.xl(['restore', junk])).toEqual({ status: 1, stdout: '', stderr: 'File has wrong magic number - corrupt or for a different tool?\n' });
    const unwritable = `${world.dir}/no/such/dir/vm.img`;
    expect(await world.xl(['save', 'vm', unwritable])).toEqual({
      status: 1,
      stdout: '',
      stderr: `Failed to open temp file ${unwritable} for writing: No such file or directory\n`,
    });
    expect(world.view('vm')).toMatchObject({ paused: false });
  });

  it('shutdown -w: the guest powers off and on_poweroff destroys it', async () => {
    const world = await withVm();
    const { domid } = world.view('vm')!;
    expect(await world.xl(['shutdown', '-w', 'vm'])).toEqual({
      status: 0,
      stdout: '',
      stderr: `Shutting down domain ${domid}\nWaiting for 1 domains\nDomain ${domid} has been shut down, reason code 0\n`,
    });
    expect(world.view('vm')).toBeUndefined();
  });

  it('shutdown with on_poweroff = "preserve" keeps the domain, shut down; shutdown needs -a or a domain', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('keep.cfg', KEEP)]);
    expect((await world.ok(['shutdown', 'keep'])).stderr).toMatch(/^Shutting down domain \d+\n$/);
    expect((await world.xl(['list', 'keep'])).stdout).toMatch(/\nkeep +\d+ +64 +1 {5}---s-- /);
    expect(await world.xl(['shutdown'])).toEqual({ status: 1, stdout: '', stderr: 'You must specify -a or a domain id.\n\n' });
  });

  it('xl help lists every command of the table', async () => {
    const world = memoryXl();
    const help = await world.xl(['help']);
    expect(help.status).toBe(0);
    for (const name of ['create', 'list', 'destroy', 'shutdown', 'reboot', 'pause', 'unpause', 'save', 'migrate', 'restore', 'migrate-receive', 'domid', 'domname']) {
      expect(help.stdout).toMatch(new RegExp(`\\n ${name} +\\S`));
    }
    expect((await world.xl(['help', 'migrate'])).stdout).toMatch(/^Usage: xl \[-v[a-zA-Z]*\] migrate \[options\] <Domain> <host>\n/);
  });

  it('a failed write to stdout ends with one line on stderr and exit 1', async () => {
    const world = memoryXl();
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const throwing = await world.xl(['list'], {
      stdout: {
        write() {
          throw full;
        },
      },
    });
    expect(throwing).toEqual({ status: 1, stdout: '', stderr: 'xl: error writing stdout: No space left on device\n' });
    const late = await world.xl(['domname', '0'], { stdout: { write: () => true, flush: () => Promise.reject(Object.assign(new Error('EPIPE'), { code: 'EPIPE' })) } });
    expect(late).toEqual({ status: 1, stdout: '', stderr: 'xl: error writing stdout: Broken pipe\n' });
  });
});
