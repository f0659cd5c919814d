import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qemuArguments, runQemu } from './qemu.ts';

const base = { machine: 'q35' as const, kernel: '/k', initrd: '/i', append: 'console=ttyS0 memmap=0x100000$0x7000000' };

describe('qemuArguments', () => {
  it('boots TCG with the serial console on stdout and loads each image raw at its address', () => {
    const args = qemuArguments({ ...base, loads: [{ address: 0x7000000n, file: '/tmp/m0.bin' }] });
    expect(args.join(' ')).toContain('-machine q35 -accel tcg -cpu max -m 256 -smp 1 -nodefaults');
    expect(args.join(' ')).toContain('-serial stdio -monitor none -no-reboot');
    expect(args).toContain('console=ttyS0 memmap=0x100000$0x7000000');
    expect(args.slice(-2)).toEqual(['-device', 'loader,file=/tmp/m0.bin,addr=0x7000000,force-raw=on']);
  });

  it('refuses a file name QEMU would split at its comma', () => {
    expect(() => qemuArguments({ ...base, loads: [{ address: 0n, file: '/tmp/a,b' }] })).toThrow(/comma/);
  });
});

describe('runQemu with a stand-in emulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xen-genid-qemu-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  it('collects the console and the exit status of a guest that powers off', async () => {
    const run = await runQemu({ ...base, loads: [], qemu: script('off', 'echo "GENID: end"; echo oops >&2; exit 0') });
    expect(run).toMatchObject({ console: 'GENID: end\n', stderr: 'oops\n', exitCode: 0, timedOut: false, killedAfterEnd: false });
  });

  it('kills a guest that finished but cannot power off, after the grace time', async () => {
    const run = await runQemu({ ...base, loads: [], qemu: script('halt', 'echo "GENID: end"; exec sleep 30'), endMarker: 'GENID: end', endGraceMs: 100 });
    expect(run.killedAfterEnd).toBe(true);
    expect(run.timedOut).toBe(false);
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it('kills a guest that never finishes at the timeout', async () => {
    const run = await runQemu({ ...base, loads: [], qemu: script('hang', 'exec sleep 30'), timeoutMs: 100 });
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).toBeNull();
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    const pending = runQemu({ ...base, loads: [], qemu: script('abort', 'exec sleep 30'), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).resolves.toMatchObject({ exitCode: null, timedOut: false });
  });

  it('rejects when the emulator cannot be started', async () => {
    await expect(runQemu({ ...base, loads: [], qemu: join(dir, 'absent') })).rejects.toThrow(/ENOENT/);
  });
});
