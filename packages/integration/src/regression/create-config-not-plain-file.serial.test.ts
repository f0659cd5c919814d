/**
 * `xl create` on a config that is not a plain file (a device that never ends, a FIFO nobody
 * writes) is refused at once with libxl's and xl's messages, as `libxl_read_file_contents` does.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createXlHost } from './xl-host.ts';

const host = createXlHost('config-special');
afterAll(() => host.cleanup());

describe('xl create on a config that is not a plain file', () => {
  it('refuses /dev/zero', () => {
    const result = host.xl(['create', '/dev/zero'], { timeoutMs: 120_000 });
    expect(result.stderr).toContain('libxl_read_file_contents: /dev/zero is not a plain file');
    expect(result.stderr).toContain('Failed to read config file: /dev/zero: Inappropriate ioctl for device');
    expect(result.status).toBe(3);
  }, 240_000);

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = join(host.dir, 'config.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const result = host.xl(['create', fifo], { timeoutMs: 120_000 });
    expect(result.stderr).toContain(`${fifo} is not a plain file`);
    expect(result.status).toBe(3);
  }, 240_000);

  it('still takes /dev/null (the whole config on the command line)', () => {
    const result = host.xl(['create', '/dev/null', 'name="inline"', 'type="hvm"', 'memory=64']);
    expect(result.status).toBe(0);
  }, 240_000);
});
