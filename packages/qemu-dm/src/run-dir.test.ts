import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceModelFiles } from './device-model.ts';
import { deviceModelDomids, hostIdentity } from './run-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'qemu-dm-run-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deviceModelDomids', () => {
  it("finds the domains with any of one host file's device model files, and no other host's", () => {
    const host = hostIdentity(dir);
    const other = `${host}-7`; // a host id that starts with this one's
    writeFileSync(deviceModelFiles(dir, host, 3).ram, '');
    writeFileSync(deviceModelFiles(dir, host, 3).pid, '');
    writeFileSync(deviceModelFiles(dir, host, 12).stopped, '');
    writeFileSync(deviceModelFiles(dir, other, 4).ram, '');
    writeFileSync(join(dir, `${host}-x.ram`), '');
    expect([...deviceModelDomids(dir, host)].sort((a, b) => a - b)).toEqual([3, 12]);
    expect([...deviceModelDomids(dir, other)]).toEqual([4]);
    expect(deviceModelDomids(dir, 'h0-0-0').size).toBe(0);
  });

  it('finds none where the run directory does not exist', () => {
    expect(deviceModelDomids(join(dir, 'missing'), hostIdentity(dir)).size).toBe(0);
  });
});
