/** `xl restore /dev/stdin` reads a save image from a pipe, as xl does (no seeking). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHostWithGuest, domainViews, viewProblems, type XlHost } from './xl-host.ts';

let world: XlHost | undefined;
afterEach(() => world?.cleanup());

describe('xl restore from a pipe', () => {
  it('restores the guest from /dev/stdin', () => {
    const host = (world = createXlHostWithGuest('restore-pipe'));
    const file = join(host.dir, 'guest.save');
    expect(host.xl(['save', 'guest', file]).status).toBe(0);
    const restore = host.xlFromPipe(file, ['restore', '/dev/stdin']);
    expect(restore.stderr).not.toMatch(/^\s+at /m);
    expect(restore.stderr).toContain('Loading new save file /dev/stdin');
    expect(restore.status).toBe(0);
    const after = domainViews(host.path);
    expect(after.map((domain) => domain.name)).toEqual(['guest']);
    expect(after.flatMap(viewProblems)).toEqual([]);
  }, 240_000);

  it('reports bytes after the image read from a pipe', () => {
    const host = (world = createXlHostWithGuest('restore-pipe'));
    const file = join(host.dir, 'guest.save');
    expect(host.xl(['save', 'guest', file]).status).toBe(0);
    const longer = join(host.dir, 'longer.save');
    writeFileSync(longer, Buffer.concat([readFileSync(file), Buffer.from('extra')]));
    const restore = host.xlFromPipe(longer, ['restore', '/dev/stdin']);
    expect(restore.stderr).toContain('5 unexpected bytes after the end of the save image');
    expect(restore.status).not.toBe(0);
    expect(domainViews(host.path)).toEqual([]);
  }, 240_000);
});
