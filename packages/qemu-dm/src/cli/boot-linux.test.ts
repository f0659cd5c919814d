import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { describe, expect, it } from 'vitest';
import { run } from './boot-linux.ts';

async function runCommand(args: string[], tools?: { qemu?: string; busybox?: string }) {
  let stdout = '';
  let stderr = '';
  const status = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    tools,
  });
  return { status, stdout, stderr };
}

describe('qemu-dm boot-linux', () => {
  it('prints its usage with --help', async () => {
    const result = await runCommand(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: qemu-dm boot-linux --generation-id <lo:hi>');
  });

  it.each([
    [[], /--generation-id is required/],
    [['--generation-id', '1:2', '--machine', 'isapc'], /--machine must be pc or q35/],
    [['--generation-id', 'abc'], /two unsigned decimal 64-bit words, not "abc"/],
    [['--generation-id', '1:2', '--renew', '1:2'], /--renew must differ/],
    [['--generation-id', '1:2', '--bogus'], /Unknown option '--bogus'/],
    [['--renew', '1:2', '--generation-id', '0:0'], /a renewal needs a first ID other than 0:0/],
  ])('exits 2 on bad usage %j', async (args, message) => {
    const result = await runCommand(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('exits 2 naming what is missing when QEMU, busybox or the kernel is not there', async () => {
    const result = await runCommand(['--generation-id', '1:2', '--kernel', '/nonexistent/vmlinuz'], {
      qemu: '/nonexistent/qemu-system-x86_64',
      busybox: '/nonexistent/busybox',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'boot-linux: cannot boot a Linux guest:\n' +
        '  /nonexistent/qemu-system-x86_64 not found (Debian package qemu-system-x86)\n' +
        '  /nonexistent/busybox not found (Debian package busybox-static)\n' +
        '  kernel /nonexistent/vmlinuz not found or unreadable\n',
    );
  });
});

describeWithReferee('qemu-dm boot-linux with an emulator that fails', findReferee('busybox-static', ['/bin/busybox']), () => {
  it('reports an incomplete guest with what QEMU said, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xen-genid-cli-'));
    try {
      const qemu = join(dir, 'qemu');
      writeFileSync(qemu, '#!/bin/sh\necho "qemu-system-x86_64: -accel tcg: no such accelerator" >&2\nexit 1\n');
      chmodSync(qemu, 0o755);
      writeFileSync(join(dir, 'vmlinuz'), 'not a kernel');
      const result = await runCommand(['--generation-id', '1:2', '--kernel', join(dir, 'vmlinuz')], { qemu });
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/guest did not finish \(QEMU exit 1\)/);
      expect(result.stdout).toMatch(/QEMU said:\n {2}! qemu-system-x86_64: -accel tcg: no such accelerator\n/);
      expect(result.stdout).toMatch(/result: {3}incomplete\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
