/**
 * A real Linux guest through the built `xl`, in one boot: examples/real-guest.mjs (the README's
 * scenario) boots Debian's kernel under QEMU on our firmware with an ID xl generated (the three
 * views agree with what the kernel read), shows its serial console through `xl console` (a typed
 * line reaches the guest, which answers), renews it with `xl vm-genid --new` (one reseed), saves a
 * checkpoint whose file passes `verify-stream-v2` with QEMU's state in its emulator record, restores
 * it as a clone (a new ID, the clone's kernel reseeds, the original keeps its ID), migrates the
 * original to a second host file (the same ID, no reseed; one more on a renewal there) and destroys
 * everything with no QEMU or file left; a kernel that does not exist is a clear error that leaves
 * no domain and no device model behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultRunDir, hostIdentity } from '@xen-genid/qemu-dm';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createXlWorld, type XlWorld } from './__fixtures__/xl-world.ts';

const root = new URL('../../../', import.meta.url).pathname;
const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);
const runDir = defaultRunDir();

/** What is the run's own in examples/real-guest.mjs's output: IDs, the home and temp folders, times, sizes and counts. */
const runOwn = (text: string) =>
  text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<guid>')
    .replace(/\b[0-9a-f]{32}\b/g, '<id>')
    .replace(/\/tmp\/xen-genid-real-guest-\w+/g, '<dir>')
    .replaceAll(`${homedir()}/`, '~/')
    .replace(/\d+(\.\d+)?/g, 'N');

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('real-guest');
});
afterAll(() => world.cleanup());

describeWithReferee('a real guest through xl', referee, () => {
  it('runs the README scenario: create, console, vm-genid --new, save -c, restore as a clone, migrate, destroy', () => {
    const result = spawnSync(process.execPath, [join(root, 'examples/real-guest.mjs')], { encoding: 'utf8', timeout: 540_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const lines = result.stdout.split('\n');
    const read = /vmgenid bound, read ([0-9a-f]{32}) at probe/.exec(result.stdout)?.[1];
    expect(read).toBeDefined();
    expect(result.stdout).toContain(`xl vm-genid: config ${read}, xenstore ${read}, guest ${read}`);
    expect(result.stdout).toMatch(/^xl console: exit 0, printed "GENID: ready\r?"; typed "hello from xl console", the guest answered "GENID: typed hello from xl console\r?"$/m);
    const renewed = /^guest kernel: random: crng reseeded due to virtual machine fork \(1 time\), re-read ([0-9a-f]{32})$/m.exec(result.stdout)?.[1];
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(read);
    expect(result.stdout).toMatch(/^[\d.]+ MiB; verify-stream-v2 -f xl: ok; Libxl Record: Emulator context, length \d+$/m);
    expect(lines.some((line) => /^real-guest\s+\d+\s+256\s+1\s+-b----/.test(line))).toBe(true);
    const clone = /^clone's guest kernel: random: crng reseeded due to virtual machine fork \(2 times in its log, the last after the restore\), re-read ([0-9a-f]{32})$/m.exec(result.stdout)?.[1];
    expect(clone).toBeDefined();
    expect([read, renewed]).not.toContain(clone);
    expect(result.stdout).toContain(`xl vm-genid: clone ${clone}, original ${renewed}`);
    expect(result.stdout).toContain(`migrated: xl vm-genid on the second host ${renewed}, guest kernel reseeded 1 time in all`);
    expect(result.stdout).toMatch(/^renewed on the second host: guest kernel reseeded \(2 times in all, one per renewal\), re-read [0-9a-f]{32}$/m);
    expect(result.stdout).toContain('destroyed: every QEMU ended, no device model file left');
    // The README shows this output; only IDs, paths and figures are the run's own.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const shown = [...readme.matchAll(/```text\n(kernel: [\s\S]*?)\n```/g)].map((match) => `${match[1]}\n`);
    expect(shown).toHaveLength(1);
    expect(runOwn(result.stdout)).toBe(runOwn(shown[0]!));
  }, 600_000);

  it('a kernel that does not exist: xl create fails clearly, and no domain or device model is left', () => {
    const missing = join(world.dir, 'no-such-vmlinux');
    const created = world.xl(['create', join(root, 'examples/real-guest.cfg'), `kernel="${missing}"`]);
    expect(created.status).not.toBe(0);
    expect(created.stderr).toContain(missing);
    expect(world.xl(['list']).stdout).not.toContain('real-guest');
    const prefix = `${hostIdentity(world.host('a.db'))}-`;
    expect(existsSync(runDir) ? readdirSync(runDir).filter((name) => name.startsWith(prefix)) : []).toEqual([]);
  });
});
