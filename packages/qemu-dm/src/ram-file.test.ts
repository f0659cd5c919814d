import { existsSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestMemory } from '@xen-genid/xc-params';
import { afterAll, describe, expect, it } from 'vitest';
import { QemuDmError } from './errors.ts';
import { RamFile } from './ram-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'qemu-dm-ram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RamFile', () => {
  it('is a new file of zeros of the guest RAM size, never one that exists', () => {
    const path = join(dir, 'a.ram');
    using ram = RamFile.create(path, 1 << 20);
    expect(statSync(path).size).toBe(1 << 20);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ram.read(0x1000n, 8)).toEqual(new Uint8Array(8));
    expect(() => RamFile.create(path, 1 << 20)).toThrow(/EEXIST/);
  });

  it('lists the frames holding anything but zeros, across its read chunks', () => {
    using ram = RamFile.create(join(dir, 'pages.ram'), 2 * 1024 * 1024);
    expect(ram.nonZeroPages()).toEqual([]);
    ram.write(0x0n, Uint8Array.of(1));
    ram.write(0x2fffn, Uint8Array.of(1));
    ram.write(0x100ff8n, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x80));
    ram.write(0x1ff000n, Uint8Array.of(0, 7));
    expect(ram.nonZeroPages()).toEqual([0, 2, 0x100, 0x1ff]);
  });

  it('reads and writes at the guest-physical address as file offset, across pages', () => {
    const path = join(dir, 'b.ram');
    const bytes = Uint8Array.from({ length: 6000 }, (_, index) => index & 0xff);
    {
      using ram = RamFile.create(path, 64 * 1024);
      ram.write(0xff0n, bytes);
      expect(ram.read(0xff0n, bytes.length)).toEqual(bytes);
    }
    using again = RamFile.open(path);
    expect(again.size).toBe(64 * 1024);
    expect(again.read(0x1000n, 4)).toEqual(bytes.subarray(16, 20));
    const memory: GuestMemory = again;
    memory.write(0n, Uint8Array.of(1, 2, 3));
    expect(again.read(0n, 3)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('refuses ranges outside the RAM and bad sizes, writing nothing', () => {
    const path = join(dir, 'c.ram');
    using ram = RamFile.create(path, 8192);
    expect(() => ram.write(8190n, Uint8Array.of(1, 2, 3))).toThrow(QemuDmError);
    expect(() => ram.read(-1n, 1)).toThrow(/outside 8192 bytes/);
    expect(ram.read(8190n, 2)).toEqual(new Uint8Array(2));
    for (const size of [0, 4095, 1.5, 3 * 1024 * 1024 * 1024]) {
      expect(() => RamFile.create(join(dir, `bad-${size}.ram`), size)).toThrow(/whole pages/);
      expect(existsSync(join(dir, `bad-${size}.ram`))).toBe(false);
    }
  });

  it('reads zeros past the end of a file cut short, and nothing once closed', () => {
    const path = join(dir, 'd.ram');
    const ram = RamFile.create(path, 8192);
    ram.write(4000n, Uint8Array.of(9, 9));
    truncateSync(path, 4001);
    expect(ram.read(4000n, 4)).toEqual(Uint8Array.of(9, 0, 0, 0));
    ram.close();
    expect(() => ram.read(0n, 1)).toThrow(/closed/);
  });
});
