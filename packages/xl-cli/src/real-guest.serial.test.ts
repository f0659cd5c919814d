/**
 * A real Linux guest through the built `xl`: examples/real-guest.mjs (the README's scenario) boots
 * Debian's kernel under QEMU on our firmware with an ID xl generated, renews it with `xl vm-genid
 * --new` and sees the kernel reseed, pauses, unpauses and destroys it with nothing left behind; a
 * kernel that does not exist is a clear error that leaves no domain and no device model behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostIdentity } from '@xen-genid/qemu-dm';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createXlWorld, type XlWorld } from './__fixtures__/xl-world.ts';

const root = new URL('../../../', import.meta.url).pathname;
const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);
const runDir = join(tmpdir(), 'xen-genid-dm');

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('real-guest');
});
afterAll(() => world.cleanup());

describeWithReferee('a real guest through xl', referee, () => {
  it('runs the README scenario: the kernel reads the ID, reseeds on --new, and destroy leaves nothing', () => {
    const result = spawnSync(process.execPath, [join(root, 'examples/real-guest.mjs')], { encoding: 'utf8', timeout: 540_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const lines = result.stdout.split('\n');
    const read = /vmgenid bound, read ([0-9a-f]{32}) at probe/.exec(result.stdout)?.[1];
    expect(read).toBeDefined();
    expect(result.stdout).toContain(`xl vm-genid: config ${read}, xenstore ${read}, guest ${read}`);
    const reseed = lines.find((line) => line.startsWith('guest kernel: random: crng reseeded due to virtual machine fork (1 time), re-read '));
    expect(reseed).toBeDefined();
    expect(reseed).not.toContain(read);
    expect(lines.some((line) => /^real-guest\s+\d+\s+256\s+1\s+--p---/.test(line))).toBe(true);
    expect(lines.some((line) => /^real-guest\s+\d+\s+256\s+1\s+-b----/.test(line))).toBe(true);
    expect(result.stdout).toContain('destroyed: QEMU ended, no device model file left');
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
