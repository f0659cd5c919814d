/**
 * `xl save` killed once its whole image is in the hidden temporary file, before the rename: the
 * target is untouched, the next `xl` resumes the guest (its ID as it was), and the next save to the
 * same target removes the dead save's temporary file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createXlHost, domainViews, viewProblems, type XlHost } from './xl-host.ts';

let host: XlHost | undefined;
afterEach(() => host?.cleanup());

const temporaries = (world: XlHost): string[] => readdirSync(world.dir).filter((name) => name.startsWith('.guest.save.'));

describe('a save killed before its rename', () => {
  it.each([[[]], [['-c']]])('xl save %j: the guest runs on, and the next save clears the temporary file', (flags) => {
    host = createXlHost('save-rename');
    const world = host;
    expect(world.xl(['create', world.config('guest')]).status).toBe(0);
    world.file('guest.save', 'the old contents\n');
    const before = domainViews(world.path);
    const killed = world.xl(['save', ...flags, 'guest', 'guest.save'], { crashAt: 'xl.save.written' });
    expect(killed.signal).toBe('SIGKILL');
    expect(readFileSync(join(world.dir, 'guest.save'), 'utf8')).toBe('the old contents\n');
    expect(temporaries(world)).toHaveLength(1);
    expect(world.xl(['list']).status).toBe(0);
    const after = domainViews(world.path);
    expect(after.map(({ name, paused, config }) => ({ name, paused, config }))).toEqual(before.map(({ name, config }) => ({ name, paused: false, config })));
    expect(after.flatMap(viewProblems)).toEqual([]);
    const again = world.xl(['save', '-c', 'guest', 'guest.save']);
    expect(again.status, again.stderr).toBe(0);
    expect(temporaries(world)).toEqual([]);
    expect(world.xl(['destroy', 'guest']).status).toBe(0);
    expect(world.xl(['restore', 'guest.save']).status).toBe(0);
    expect(domainViews(world.path).flatMap(viewProblems)).toEqual([]);
  }, 240_000);
});
