/**
 * The commands a generation-ID workflow reaches for besides create/save/restore: vm-list, rename,
 * uptime, and shutdown's two levels of waiting; in process on an in-memory machine.
 */
import { describe, expect, it } from 'vitest';
import { MemoryHypervisor } from '@xen-genid/xc-params';
import { memoryXl } from './__fixtures__/memory-xl.ts';
import { formatUptime } from './commands/uptime.ts';

const cfg = (name: string, extra = ''): string => `name = "${name}"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n${extra}`;

describe('xl vm-list', () => {
  it('lists uuid, id and name of every domain, Domain-0 included (as libxl_list_vm)', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    const { uuid } = world.parts.hypervisor.getDomain(1)!;
    expect(await world.xl(['vm-list'])).toEqual({
      status: 0,
      stderr: '',
      stdout: `UUID                                  ID    name\n00000000-0000-0000-0000-000000000000  0    Domain-0                      \n${uuid}  1    a                             \n`,
    });
  });
});

describe('a name in UTF-8', () => {
  it("pads to its bytes, as C's %-Ns does: xl list (40), vm-list (30), uptime (33)", async () => {
    const world = memoryXl();
    // 'café-Ω': 6 characters, 8 bytes.
    await world.ok(['create', world.file('a.cfg', cfg('café-Ω'))]);
    expect((await world.xl(['list'])).stdout.split('\n')[2]).toMatch(/^café-Ω {32} {5}1 /);
    expect((await world.xl(['vm-list'])).stdout.split('\n')[2]).toMatch(/ {2}1 {4}café-Ω {22}$/);
    expect((await world.xl(['uptime'])).stdout.split('\n')[2]).toMatch(/^café-Ω {25} {4}1 /);
  });
});

describe('xl rename', () => {
  it('renames in xenstore and the stored config, keeps the ID, and refuses a name in use', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    await world.ok(['create', world.file('b.cfg', cfg('b'))]);
    const before = world.view('a')!;
    expect(await world.xl(['rename', 'a', 'clone'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(world.view('a')).toBeUndefined();
    expect(world.view('clone')).toMatchObject({ domid: before.domid, config: before.config, xenstore: before.xenstore });
    expect((await world.xl(['list', '-l', 'clone'])).stdout).toContain('"name": "clone"');
    expect(await world.xl(['rename', 'clone', 'b'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'libxl: error: Domain with name "b" already exists.\nCan\'t rename domain \'clone\'.\n',
    });
    expect(await world.xl(['rename', 'nosuch', 'x'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect((await world.xl(['rename', 'clone'])).status).toBe(2);
  });
});

describe('xl uptime', () => {
  it('formats as uptime_to_string: days, then H:MM:SS (short: H:MM)', () => {
    expect(formatUptime(59, false)).toBe(' 0:00:59');
    expect(formatUptime(3 * 3600 + 7 * 60 + 5, false)).toBe(' 3:07:05');
    expect(formatUptime(86400 + 61, false)).toBe('1 day,  0:01:01');
    expect(formatUptime(3 * 86400 + 13 * 3600, true)).toBe('3 days, 13:00');
  });

  it('counts from each domain\'s start, Domain-0 from the machine\'s', async () => {
    let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
    const world = memoryXl(1, (options) => new MemoryHypervisor({ ...options, now: () => clock }));
    const run = (args: string[]) => world.xl(args, { now: () => clock });
    clock += 90_000;
    expect((await run(['create', world.file('a.cfg', cfg('a'))])).status).toBe(0);
    clock += 3_725_000;
    expect(await run(['uptime'])).toEqual({
      status: 0,
      stderr: '',
      stdout: `${'Name'.padEnd(33)}   ID Uptime\n${'Domain-0'.padEnd(33)}    0  1:03:35\n${'a'.padEnd(33)}    1  1:02:05\n`,
    });
    const short = await run(['uptime', '-s', 'a']);
    expect(short.stdout).toMatch(/^ \d\d:\d\d:\d\d up {2}1:02, a \(1\)\n$/);
    expect((await run(['uptime', 'nosuch'])).status).toBe(1);
  });

  it("counts a guest's uptime from the start_time libxl wrote, and leaves out a guest without one", async () => {
    const clock = Date.UTC(2026, 0, 1, 12, 0, 0);
    const world = memoryXl(1, (options) => new MemoryHypervisor({ ...options, now: () => clock }));
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    await world.ok(['create', world.file('b.cfg', cfg('b'))]);
    const xs = world.parts.xenstore.connect(0);
    const vm = (domid: number): string => Buffer.from(xs.read(`/local/domain/${domid}/vm`)).toString('utf8');
    // libxl_vm_get_start_time reads the whole seconds of `<vm>/start_time`, whatever the hypervisor says.
    xs.write(`${vm(1)}/start_time`, `${clock / 1000 - 7200}.50`);
    xs.rm(`${vm(2)}/start_time`);
    xs.close();
    expect(await world.xl(['uptime', 'a', 'b'], { now: () => clock })).toEqual({
      status: 0,
      stdout: `${'Name'.padEnd(33)}   ID Uptime\n${'a'.padEnd(33)}    1  2:00:00\n`,
      stderr: "libxl: error: libxl_domain.c:2231:libxl_vm_get_start_time: Domain 2:Can't get start time of domain\n",
    });
  });
});

describe('xl shutdown -w and -ww', () => {
  it('-w stops at the shutdown; -ww waits on for the death on_poweroff brings', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a', 'on_poweroff = "destroy"\n'))]);
    expect(await world.xl(['shutdown', '-ww', 'a'])).toEqual({
      status: 0,
      stdout: '',
      stderr: 'Shutting down domain 1\nWaiting for 1 domains\nDomain 1 has been shut down, reason code 0\nDomain 1 continue waiting for death\nDomain 1 has been destroyed\n',
    });
  });
});
