/**
 * `xl save` writes into what the target path names, as xl's `open(O_WRONLY|O_CREAT|O_TRUNC)` does:
 * a FIFO stays a FIFO and its reader gets the image, a symlink stays a symlink and the file it
 * points at holds the image. A regular file is replaced whole, never left half-written.
 */
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XL_SAVEFILE_MAGIC } from '@xen-genid/xl-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHostWithGuest, type XlHost } from './xl-host.ts';

let world: XlHost | undefined;
afterEach(() => world?.cleanup());

const magicOf = (bytes: Buffer): string => bytes.subarray(0, 32).toString('latin1');

describe('xl save -c into special files', () => {
  it('a FIFO is written through to its reader, not replaced', async () => {
    const host = (world = createXlHostWithGuest('save-special'));
    const fifo = join(host.dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise((resolve) => reader.on('close', resolve));
    const save = await host.xlKilledAfter(['save', '-c', 'guest', fifo], 200_000);
    await closed;
    expect(save.stderr).not.toMatch(/^\s+at /m);
    expect(save.status).toBe(0);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(magicOf(Buffer.concat(chunks))).toBe(XL_SAVEFILE_MAGIC);
  }, 240_000);

  it('a symlink stays, and the file it points at gets the image', () => {
    const host = (world = createXlHostWithGuest('save-special'));
    const real = join(host.dir, 'real.save');
    const link = join(host.dir, 'link.save');
    writeFileSync(real, 'old contents');
    symlinkSync('real.save', link);
    const save = host.xl(['save', '-c', 'guest', link]);
    expect(save.status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.save');
    expect(magicOf(readFileSync(real))).toBe(XL_SAVEFILE_MAGIC);
  }, 240_000);
});
