/**
 * `xl console`, `create -c` and `restore -c` in process: what the simulated guest printed, then
 * followed until the domain goes, stdin ends or Ctrl-] is typed; the failures as xl and xenconsole
 * print them.
 */
import { describe, expect, it } from 'vitest';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const cfg = (name: string): string => `name = "${name}"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n`;

/** Standard input that ends at once (`< /dev/null`). */
async function* noInput(): AsyncGenerator<Uint8Array> {}

/** Standard input that types `text` once `when` resolves, then stays open. */
async function* typing(when: Promise<unknown>, text: string): AsyncGenerator<Uint8Array> {
  await when;
  yield Buffer.from(text);
  await new Promise(() => undefined);
}

const BOOT = /^hvmloader: ACPI tables built, generation-id "\d+:\d+" placed at 0x[0-9a-f]+\r\nvmgenid: boot read [0-9a-f]{32} at 0x[0-9a-f]+ \(\\_SB\.PCI0\.ISA\.VGID\)\r\nxen: PV drivers up: control\/feature-poweroff, control\/feature-reboot, control\/feature-suspend\r\n$/;

describe('xl console', () => {
  it('prints what the guest printed and ends with stdin', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    for (const args of [['console', 'a'], ['console', '1'], ['console', '-t', 'pv', 'a'], ['console', '-t', 'serial', '-n', '0', 'a']]) {
      const result = await world.xl(args, { stdin: noInput() });
      expect(result, args.join(' ')).toMatchObject({ status: 0, stderr: '' });
      expect(result.stdout).toMatch(BOOT);
    }
  });

  it('follows the console: a notify printed while attached, then the domain destroyed ends it', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    let attached!: () => void;
    const chunks: string[] = [];
    const console = world.xl(['console', 'a'], {
      stdin: typing(new Promise(() => undefined), ''),
      stdout: {
        write(chunk) {
          chunks.push(Buffer.from(chunk).toString());
          attached?.();
        },
      },
    });
    await new Promise<void>((resolve) => (attached = resolve));
    await world.ok(['vm-genid', '--new', 'a']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await world.ok(['destroy', 'a']);
    expect(await console).toEqual({ status: 0, stdout: '', stderr: '' });
    const text = chunks.join('');
    expect(text).toMatch(/\r\nACPI: GPE 0x[0-9a-f]{2}: \\_GPE\._E[0-9A-F]{2} -> Notify\(\\_SB\.PCI0\.ISA\.VGID, 0x80\)\r\nvmgenid: notify read [0-9a-f]{32} at 0x[0-9a-f]+ \(\\_SB\.PCI0\.ISA\.VGID, changed\)\r\n$/);
  });

  it('ends at Ctrl-], passing what was typed before it to the console', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    const result = await world.xl(['console', 'a'], { stdin: typing(Promise.resolve(), 'ls\r\x1dmore') });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(BOOT);
  });

  it('fails as xl and xenconsole do', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    const run = (args: string[]) => world.xl(args, { stdin: noInput() });
    expect(await run(['console', '-t', 'hvc', 'a'])).toEqual({ status: 1, stdout: '', stderr: 'console type supported are: pv, serial, vuart\n' });
    expect(await run(['console', '7'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=7\nUnable to attach console\n',
    });
    expect(await run(['console', 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(await run(['console', '0'])).toEqual({ status: 22, stdout: '', stderr: "Can't specify Domain-0\n" });
    expect(await run(['console', '-t', 'pv', '0'])).toEqual({ status: 22, stdout: '', stderr: "Can't specify Domain-0\n" });
    const noTty = { status: 2, stdout: '', stderr: 'xenconsole: Could not read tty from store: No such file or directory\n' };
    expect(await run(['console', '-t', 'serial', '-n', '1', 'a'])).toEqual(noTty);
    expect(await run(['console', '-t', 'vuart', 'a'])).toEqual(noTty);
    expect(await run(['console', '-t', 'pv', '7'])).toEqual(noTty);
    expect((await run(['console'])).status).toBe(2);
  });
});

describe('create -c and restore -c', () => {
  it('attach to the new domain\'s console', async () => {
    const world = memoryXl();
    const created = await world.xl(['create', '-c', world.file('a.cfg', cfg('a'))], { stdin: noInput() });
    expect(created).toMatchObject({ status: 0 });
    expect(created.stdout).toMatch(BOOT);
    const image = `${world.dir}/a.save`;
    await world.ok(['save', 'a', image]);
    const restored = await world.xl(['restore', '-c', image], { stdin: noInput() });
    expect(restored.status).toBe(0);
    // The restored domain's own console: its guest resumed (no firmware ran) and read the ID.
    expect(restored.stdout).toMatch(/^vmgenid: resume read [0-9a-f]{32} at 0x[0-9a-f]+ \(\\_SB\.PCI0\.ISA\.VGID, (un)?changed\)\r\n/);
    expect(restored.stdout).not.toContain('hvmloader');
  });
});
