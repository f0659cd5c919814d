/**
 * `xl migrate` as xl does it: the sender runs `sh -c "<rune>"`, talks xl's handshake over the
 * child's stdin/stdout and streams the save image through a real pipe into a separate
 * `xl migrate-receive` process on another host file (our xl first on PATH, as Debian's
 * /usr/sbin/xl needs a hypervisor). A migration keeps the ID; a failure before the receiver is
 * cleared leaves the source running with its ID and memory untouched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XL, createXlWorld, genidView, type GenidView, type XlWorld } from './__fixtures__/xl-world.ts';
import { MIGRATE_RECEIVER_BANNER } from './toolstack/migration-protocol.ts';

const CFG = 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n';

let world: XlWorld;
let source = '';
let target = '';
let round = 0;
beforeAll(() => {
  world = createXlWorld('migrate');
  world.file('vm.cfg', CFG);
});
afterAll(() => world.cleanup());
beforeEach(() => {
  round += 1;
  source = world.host(`source-${round}.db`);
  target = world.host(`target-${round}.db`);
  const created = world.xl(['create', 'vm.cfg'], { host: source });
  expect(created.status, created.stderr).toBe(0);
});

function view(host: string): GenidView | undefined {
  return genidView(host, 'vm');
}

function agreedId(host: string): string {
  const found = view(host)!;
  expect(found.config).toMatch(/^[0-9a-f]{32}$/);
  expect({ xenstore: found.xenstore, memory: found.memory, guest: found.guest }).toEqual({
    xenstore: found.config,
    memory: found.config,
    guest: found.config,
  });
  return found.config!;
}

/** After a failed migration: the source runs on, ID, memory and the guest's view unchanged. */
function expectSourceUntouched(before: GenidView): void {
  const after = view(source)!;
  expect(after).toMatchObject({
    domid: before.domid,
    paused: false,
    config: before.config,
    xenstore: before.xenstore,
    memory: before.memory,
    guest: before.guest,
    reads: before.reads,
    events: before.events,
    memoryDigest: before.memoryDigest,
  });
  expect(view(target)).toBeUndefined();
}

describe('xl migrate between two host files', () => {
  it('with the default rune (`exec <ssh> <host> xl migrate-receive`): the same ID arrives, the source is gone', () => {
    const before = view(source)!;
    const id = agreedId(source);
    const result = world.xl(['migrate', '-s', 'env', 'vm', `XEN_GENID_HOST=${target}`], { host: source });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('migration target: Ready to receive domain.\n');
    expect(result.stderr).toContain('migration sender: Target has acknowledged transfer.\n');
    expect(result.stderr).toContain('migration target: Domain started successsfully.\n');
    expect(result.stderr.endsWith('Migration successful.\n')).toBe(true);
    expect(view(source)).toBeUndefined();
    const arrived = view(target)!;
    expect(agreedId(target)).toBe(id);
    expect(arrived).toMatchObject({ paused: false, events: 0, memoryDigest: before.memoryDigest });
    expect(arrived.reads).toEqual(['resume']);
  });

  it("gives the guest memory's disk space back to the source host file", () => {
    const host = openHost(source);
    const { domid } = view(source)!;
    const page = new Uint8Array(4096).fill(0x5a);
    host.hypervisor.writePages(domid, Array.from({ length: 2048 }, (_, pfn) => [0x10000 + pfn, page] as const)); // 8 MiB
    host.close();
    const before = hostBytes(source);
    const result = world.xl(['migrate', '-s', 'env', 'vm', `XEN_GENID_HOST=${target}`], { host: source });
    expect(result.status, result.stderr).toBe(0);
    expect(before - hostBytes(source)).toBeGreaterThan(2048 * 4096);
    expect(hostBytes(target)).toBeGreaterThan(2048 * 4096);
  });

  it("with -s '': the host argument is the whole receiver command", () => {
    const id = agreedId(source);
    const result = world.xl(['migrate', '-s', '', 'vm', `XEN_GENID_HOST=${target} xl migrate-receive`], { host: source });
    expect(result.status, result.stderr).toBe(0);
    expect(view(source)).toBeUndefined();
    expect(agreedId(target)).toBe(id);
  });

  it('to the same host file: received as vm--incoming, the sender parked as vm--migratedaway, then one vm with the same ID', () => {
    const before = view(source)!;
    const result = world.xl(['migrate', '-s', '', 'vm', 'xl migrate-receive'], { host: source });
    expect(result.status, result.stderr).toBe(0);
    const after = view(source)!;
    expect(after.domid).not.toBe(before.domid);
    expect(agreedId(source)).toBe(before.config);
    expect(after.memoryDigest).toBe(before.memoryDigest);
    const names = world.xl(['list'], { host: source }).stdout.split('\n').map((line) => line.split(' ')[0]);
    expect(names.filter((name) => name?.startsWith('vm'))).toEqual(['vm']);
  });

  it('with -C cfg: the ID is kept all the same (real xl 4.17 would generate a new one)', () => {
    const id = agreedId(source);
    const result = world.xl(['migrate', '-C', 'vm.cfg', '-s', 'env', 'vm', `XEN_GENID_HOST=${target}`], { host: source });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.startsWith('Parsing config from vm.cfg\n')).toBe(true);
    expect(agreedId(target)).toBe(id);
  });

  it('with -p: the domain arrives paused, its ID already in place', () => {
    const id = agreedId(source);
    const result = world.xl(['migrate', '-p', '-s', 'env', 'vm', `XEN_GENID_HOST=${target}`], { host: source });
    expect(result.status, result.stderr).toBe(0);
    const arrived = view(target)!;
    expect(arrived).toMatchObject({ paused: true, config: id, xenstore: id, memory: id });
    expect(world.xl(['unpause', 'vm'], { host: target }).status).toBe(0);
    expect(agreedId(target)).toBe(id);
  });
});

describe('xl migrate of a domain without an ID', () => {
  it('ms_vm_genid = "none": no ID on either side, no VGID device for the guest', () => {
    world.file('plain.cfg', 'name = "plain"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "none"\n');
    expect(world.xl(['create', 'plain.cfg'], { host: source }).status).toBe(0);
    const result = world.xl(['migrate', '-s', 'env', 'plain', `XEN_GENID_HOST=${target}`], { host: source });
    expect(result.status, result.stderr).toBe(0);
    expect(genidView(source, 'plain')).toBeUndefined();
    expect(genidView(target, 'plain')).toMatchObject({ config: null, xenstore: null, memory: null, guest: null, paused: false });
  });
});

describe('xl migrate that fails before the receiver is cleared', () => {
  it('a receiver that dies mid-stream: the source resumes with its ID and memory unchanged', () => {
    const before = view(source)!;
    const result = world.xl(['migrate', '-s', '', 'vm', `head -c 6000 | XEN_GENID_HOST=${target} xl migrate-receive`], { host: source });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Migration failed, resuming at sender.\n');
    expect(result.stderr).toContain('migration target: Domain creation failed');
    expectSourceUntouched(before);
  });

  it('a receiver killed while it builds the domain: the source resumes unchanged, the target keeps nothing', () => {
    const before = view(source)!;
    const result = world.xl(
      ['migrate', '-s', '', 'vm', `XEN_GENID_HOST_CRASH_AT=hypervisor.createDomain XEN_GENID_HOST=${target} xl migrate-receive`],
      { host: source },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Migration failed, resuming at sender.\n');
    expectSourceUntouched(before);
    // The next xl on the target host recovers what the killed receiver left.
    expect(world.xl(['list'], { host: target }).stdout).not.toMatch(/^vm /m);
  });

  it('a sender that can no longer be told (its pipe broken) after the transfer: the receiver destroys its copy', () => {
    expect(world.xl(['save', 'vm', 'vm.img'], { host: source }).status).toBe(0);
    // The receiver's stdout closes after the banner, and no GO message follows the image.
    const receiver = spawnSync('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} migrate-receive < vm.img | head -c ${MIGRATE_RECEIVER_BANNER.length} > /dev/null`], {
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: world.dir, XEN_GENID_HOST: target },
    });
    expect(receiver.stderr).toContain('migration target: Transfer complete, requesting permission to start domain.\n');
    expect(receiver.stderr).toContain('xl: error writing stdout: Broken pipe\n');
    expect(world.xl(['list'], { host: target }).stdout).not.toMatch(/^vm/m);
  });

  it('a receiver that refuses the domain (its name is taken there): the source resumes unchanged', () => {
    expect(world.xl(['create', 'vm.cfg'], { host: target }).status).toBe(0);
    const already = view(target)!;
    const before = view(source)!;
    const result = world.xl(['migrate', '-s', 'env', 'vm', `XEN_GENID_HOST=${target}`], { host: source });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Domain with name "vm" already exists.');
    expect(result.stderr).toContain('migration target: Domain creation failed (code -6).\n');
    expect(result.stderr).toContain('Migration failed, resuming at sender.\n');
    const after = view(source)!;
    expect(after).toMatchObject({ paused: false, config: before.config, memory: before.memory, memoryDigest: before.memoryDigest });
    expect(view(target)).toMatchObject({ domid: already.domid, config: already.config });
  });

  it('a receiver that is not xl at all: no banner, the domain is never paused', () => {
    const before = view(source)!;
    const result = world.xl(['migrate', '-s', '', 'vm', "echo 'xl: cannot reach the hypervisor' >&2; exit 1"], { host: source });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('xl: cannot reach the hypervisor\n');
    expect(result.stderr).toContain('libxl: error: file/stream truncated reading banner from migration receiver stream\n');
    expectSourceUntouched(before);
  });

  it('a receiver that answers garbage: xl names what it expected and the rune it ran', () => {
    const before = view(source)!;
    const rune = "printf 'hello, this is not the banner you are looking for, sorry.\\n'; cat >/dev/null";
    const result = world.xl(['migrate', '-s', '', 'vm', rune], { host: source });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`migration receiver stream contained unexpected data instead of banner\n(command run was: ${rune} )\n`);
    expectSourceUntouched(before);
  });
});

/** A host file's bytes with its memory files' (`<host file>.memory/`). */
function hostBytes(path: string): number {
  const memory = `${path}.memory`;
  const files = existsSync(memory) ? readdirSync(memory).map((name) => join(memory, name)) : [];
  return [path, ...files].reduce((sum, file) => sum + statSync(file).size, 0);
}
