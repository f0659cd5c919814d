/**
 * The `xl` executable itself, spawned as a user's shell runs it: arguments, exit statuses, stdout and
 * stderr as streams of a process, the host file shared by successive processes, progress on a
 * terminal (a pty from util-linux `script`) and none otherwise. Each case has its own host file.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
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
    expect(world.xl(['list', 'vm']).stdout).toMatch(/\nvm +\d+ +64 +1 {5}r----- /);
    expect(genidView(world.host('a.db'), 'vm')?.config).toMatch(/^[0-9a-f]{32}$/);
    expect(world.xl(['destroy', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(world.xl(['restore', 'missing.img']).status).toBe(3);
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

const script = findReferee('script (util-linux, for a pseudo-terminal)', ['script']);
describeWithReferee('progress of long operations', script, () => {
  const onTerminal = (world: XlWorld, args: string, host = world.host('a.db')): { status: number | null; stdout: string } => {
    const result = spawnSync(script.paths.script!, ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} ${args}`, '/dev/null'], {
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: `${world.binDir}:${process.env.PATH ?? ''}`, HOME: world.dir, XEN_GENID_HOST: host },
    });
    return { status: result.status, stdout: result.stdout };
  };

  it('save and restore draw it on a terminal, and not when stderr is a pipe; xl -t draws it on a pipe', () => {
    const world = newWorld();
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    const quiet = world.xl(['save', '-c', 'vm', 'quiet.img']);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).not.toContain('\r');
    const saved = onTerminal(world, 'save vm tty.img');
    expect(saved.status).toBe(0);
    expect(saved.stdout).toMatch(/\rSaving domain \d+: \d+\/\d+ KiB 100%\r?\n/);
    const restored = onTerminal(world, 'restore tty.img');
    expect(restored.status).toBe(0);
    expect(restored.stdout).toMatch(/\rRestoring domain: \d+\/\d+ KiB 100%\r?\n/);
    expect(world.xl(['-t', 'save', '-c', 'vm', 'dash-t.img']).stderr).toMatch(/\rSaving domain \d+: \d+\/\d+ KiB 100%\n$/);
  });

  it('a migration from a terminal: the sender passes -t and hides its own progress; the receiver draws the stream\'s', () => {
    const world = newWorld();
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    const migrated = onTerminal(world, `migrate -s env vm XEN_GENID_HOST=${world.host('b.db')}`);
    expect(migrated.status, migrated.stdout).toBe(0);
    expect(migrated.stdout).not.toContain('Migrating domain');
    expect(migrated.stdout).toMatch(/\rReceiving domain: \d+ KiB\r?\n/);
    expect(genidView(world.host('b.db'), 'vm')).toBeDefined();
  });
});
