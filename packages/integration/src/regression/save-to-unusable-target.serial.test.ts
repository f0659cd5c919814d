/**
 * `xl save` to a path that cannot take the image (a directory, `""`, a trailing slash) fails
 * before the domain is touched, with xl's message and no stack trace, with and without `-c`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHostWithGuest, domainViews, viewProblems, type XlHost } from './xl-host.ts';

let world: XlHost | undefined;
afterEach(() => world?.cleanup());

describe('xl save to an unusable target', () => {
  it.each([
    ['a directory', 'images', []],
    ['a directory, with -c', 'images', ['-c']],
    ['""', '', []],
    ['a path with a trailing slash', 'guest.save/', []],
    ['a file in a missing directory', 'missing/guest.save', []],
  ])('%s: fails first and the guest runs on', (_what, target, flags) => {
    const host = (world = createXlHostWithGuest('save-target'));
    mkdirSync(join(host.dir, 'images'));
    const before = domainViews(host.path);
    const result = host.xl(['save', ...flags, 'guest', target]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Failed to open temp file ${target} for writing`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const after = domainViews(host.path);
    expect(after).toEqual(before);
    expect(after.map((domain) => domain.paused)).toEqual([false]);
    expect(after.flatMap(viewProblems)).toEqual([]);
  }, 240_000);
});
