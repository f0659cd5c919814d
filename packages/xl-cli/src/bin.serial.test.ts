/**
 * The `xl` executable itself, spawned as a user's shell runs it: arguments, exit statuses, stdout and
 * stderr as streams of a process, the host file shared by successive processes, progress on a
 * terminal (a pty from util-linux `script`) and none otherwise. Each case has its own host file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { openHost } from '@xen-genid/host';
import { XL, createXlWorld, genidView, type XlWorld } from './__fixtures__/xl-world.ts';

const CFG = 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n';

let worlds: XlWorld[] = [];
afterEach(() => {
  for (const world of worlds) world.cleanup();
  worlds = [];
});

function newWorld(): XlWorld {
  const world = createXlWorld('bin');
  worlds.push(world);
  world.file('vm.cfg', CFG);
  return world;
}

describe('the xl executable', () => {
  it('keeps the machine in the host file between processes; exit statuses are the process\'s', () => {
    const world = newWorld();
    expect(world.xl(['create', 'vm.cfg'])).toEqual({ status: 0, stdout: '', stderr: 'Parsing config from vm.cfg\n' });
    expect(world.xl(['list', 'vm']).stdout).toMatch(/\nvm +\d+ +64 +1 {5}-b---- /);
    expect(genidView(world.host('a.db'), 'vm')?.config).toMatch(/^[0-9a-f]{32}$/);
    expect(world.xl(['destroy', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(world.xl(['restore', 'missing.img']).status).toBe(1);
    expect(world.xl(['destroy', 'vm']).status).toBe(0);
    expect(genidView(world.host('a.db'), 'vm')).toBeUndefined();
  });

  it('a bad host file is refused with its reason, exit 1', () => {
    const world = newWorld();
    world.file('bad.db', 'this is not a database');
    const result = world.xl(['list'], { host: world.host('bad.db') });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^xl: .*bad\.db/);
  });

  it("compiles with V8's code cache in the user's cache directory, one per command: written by a first run that succeeds, rewritten when refused", () => {
    const world = newWorld();
    const env = { XDG_CACHE_HOME: join(world.dir, 'cache') };
    const cacheDir = join(world.dir, 'cache', 'xen-genid', 'code-cache');
    // Another build's caches go when this one writes its first.
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, `xl-0000000000000000-${process.version}-${process.arch}-help.bin`), 'old');
    const help = world.xl(['help'], { env });
    expect(help.status).toBe(0);
    const [cache, ...others] = readdirSync(cacheDir);
    expect(others).toEqual([]);
    const build = new RegExp(`^(xl-[0-9a-f]{16}-)${process.version}-${process.arch}-help\\.bin$`).exec(cache!)?.[1];
    expect(build).toBeDefined();
    const written = readFileSync(join(cacheDir, cache!));
    expect(written.length).toBeGreaterThan(1024);
    // Used as it is: the same output, the cache left alone.
    expect(world.xl(['help'], { env })).toEqual(help);
    expect(readFileSync(join(cacheDir, cache!)).equals(written)).toBe(true);
    // A run that fails writes none; another command writes its own.
    expect(world.xl(['lsit'], { env }).status).not.toBe(0);
    expect(world.xl(['-v', 'create', 'vm.cfg'], { env }).status).toBe(0);
    const create = `${build}${process.version}-${process.arch}-create.bin`;
    expect(readdirSync(cacheDir).sort()).toEqual([create, cache].sort());
    // A cache V8 refuses (damaged): the program still runs, and a good cache replaces it.
    writeFileSync(join(cacheDir, cache!), Buffer.alloc(4096, 0x5a));
    expect(world.xl(['help'], { env })).toEqual(help);
    expect(readFileSync(join(cacheDir, cache!)).subarray(0, 64).equals(Buffer.alloc(64, 0x5a))).toBe(false);
    expect(readdirSync(cacheDir).sort()).toEqual([create, cache].sort());
    // A cache directory that cannot be made: the program runs without one.
    world.file('not-a-dir', '');
    expect(world.xl(['list', 'vm'], { env: { XDG_CACHE_HOME: join(world.dir, 'not-a-dir') } }).status).toBe(0);
  });

  it('a full stdout ends with one line on stderr and exit 1, never a stack trace', () => {
    const world = newWorld();
    for (const args of [['list'], ['help']]) {
      const result = spawnSync('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} ${args.join(' ')} > /dev/full`], {
        cwd: world.dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: world.dir, XEN_GENID_HOST: world.host('a.db') },
      });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 1, stderr: 'xl: error writing stdout: No space left on device\n' });
    }
  });
});

/** Gives domain `name` of a host file `pages` written 4 KiB pages (as a guest that used its memory). */
function fillMemory(hostPath: string, name: string, pages: number): void {
  const { domid } = genidView(hostPath, name)!;
  const host = openHost(hostPath);
  try {
    const page = new Uint8Array(4096).fill(0xa5);
    host.hypervisor.writePages(domid, Array.from({ length: pages }, (_, index) => [0x100 + index, page] as [number, Uint8Array]));
  } finally {
    host.close();
  }
}

/** The percentages of the progress lines of `doing` in `text` (lines or redraws). */
function percents(text: string, doing: string): number[] {
  return [...text.matchAll(new RegExp(`xc: (?:progress: )?${doing}: (\\d+)/(\\d+) +(\\d+)%`, 'g'))].map((match) => Number(match[3]));
}

describe('progress of long operations into a pipe or a log', () => {
  it('save, restore and a migration print a line at least every 5% of their frames, with the total, sender and receiver', () => {
    const world = newWorld();
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    fillMemory(world.host('a.db'), 'vm', 8 * 1024); // 32 MiB: 8 batches of 1,024 frames
    const saved = world.xl(['save', '-c', 'vm', 'vm.img']);
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.stderr).not.toContain('\r');
    const frames = Number(/xc: progress: Frames: \d+\/(\d+)/.exec(saved.stderr)![1]);
    expect(frames).toBeGreaterThan(8 * 1024);
    expect(percents(saved.stderr, 'Frames')).toEqual([12, 24, 37, 49, 62, 74, 87, 99, 100]);
    expect(saved.stderr).toMatch(new RegExp(`\\nxc: progress: Frames: ${frames}/${frames}  100%\\nxc: progress: End of stream: 0/0    0%\\n$`));

    const restored = world.xl(['restore', 'vm.img'], { host: world.host('c.db') });
    expect(restored.status, restored.stderr).toBe(0);
    expect(percents(restored.stderr, 'Frames restored')).toEqual([12, 24, 37, 49, 62, 74, 87, 99, 100]);
    expect(restored.stderr).toContain(`xc: progress: Frames restored: ${frames}/${frames}  100%\n`);

    const migrated = world.xl(['migrate', '-s', 'env', 'vm', `XEN_GENID_HOST=${world.host('b.db')}`]);
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(percents(migrated.stderr, 'Frames').at(-1)).toBe(100);
    expect(percents(migrated.stderr, 'Frames restored').at(-1)).toBe(100);
    expect(migrated.stderr).toContain(`xc: progress: Frames restored: ${frames}/${frames}  100%\n`);
  });
});

const script = findReferee('script (util-linux, for a pseudo-terminal)', ['script']);
describeWithReferee('progress of long operations on a terminal', script, () => {
  const onTerminal = (world: XlWorld, args: string, host = world.host('a.db')): { status: number | null; stdout: string } => {
    const result = spawnSync(script.paths.script!, ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} ${args}`, '/dev/null'], {
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: `${world.binDir}:${process.env.PATH ?? ''}`, HOME: world.dir, XEN_GENID_HOST: host },
    });
    return { status: result.status, stdout: result.stdout };
  };

  it('save and restore redraw one line on a terminal, ended at 100%; xl -t redraws it on a pipe', () => {
    const world = newWorld();
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    fillMemory(world.host('a.db'), 'vm', 4 * 1024);
    const saved = onTerminal(world, 'save vm tty.img');
    expect(saved.status).toBe(0);
    expect(saved.stdout).toMatch(/xc: Frames: (\d+)\/(\d+)  +\d+%\rxc: Frames: (\d+)\/\3 {2}100%\r?\n/);
    expect(saved.stdout).not.toContain('progress:');
    const restored = onTerminal(world, 'restore tty.img');
    expect(restored.status).toBe(0);
    expect(restored.stdout).toMatch(/\rxc: Frames restored: (\d+)\/\1 {2}100%\r?\n/);
    expect(world.xl(['-t', 'save', '-c', 'vm', 'dash-t.img']).stderr).toMatch(/\rxc: Frames: (\d+)\/\1 {2}100%\nxc: End of stream: 0\/0 {4}0%\n$/);
  });

  it('a migration from a terminal: the sender draws the frames it sends, the receiver (given -t) those it restored', () => {
    const world = newWorld();
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    const migrated = onTerminal(world, `migrate -s env vm XEN_GENID_HOST=${world.host('b.db')}`);
    expect(migrated.status, migrated.stdout).toBe(0);
    expect(migrated.stdout).toMatch(/xc: Frames: (\d+)\/\1 {2}100%\r?\n/);
    expect(migrated.stdout).toMatch(/xc: Frames restored: (\d+)\/\1 {2}100%\r?\n/);
    expect(migrated.stdout).not.toContain('progress:');
    expect(genidView(world.host('b.db'), 'vm')).toBeDefined();
  });
});
