import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { describe, expect, it } from 'vitest';
import { writeCpio } from './cpio.ts';

const sample = writeCpio([
  { kind: 'directory', path: 'kernel' },
  { kind: 'file', path: 'kernel/table.aml', data: Uint8Array.of(1, 2, 3, 4, 5) },
  { kind: 'file', path: 'init', data: new TextEncoder().encode('#!/bin/sh\n'), mode: 0o755 },
  { kind: 'symlink', path: 'sh', target: 'busybox' },
]);

describe('writeCpio', () => {
  it('writes newc headers on 4-byte boundaries and ends with the trailer', () => {
    const text = new TextDecoder('latin1').decode(sample);
    expect(text.startsWith('070701')).toBe(true);
    expect(text).toContain('TRAILER!!!');
    expect(sample.length % 4).toBe(0);
    const headers = [...text.matchAll(/070701/g)].map((match) => match.index);
    expect(headers.every((offset) => offset % 4 === 0)).toBe(true);
  });

  it('refuses absolute or escaping member paths', () => {
    expect(() => writeCpio([{ kind: 'directory', path: '/etc' }])).toThrow(/relative/);
    expect(() => writeCpio([{ kind: 'directory', path: 'a/../b' }])).toThrow(/relative/);
  });
});

describeWithReferee('writeCpio read by GNU cpio', findReferee('cpio', ['cpio']), () => {
  it('lists and extracts every member with its mode, data and link target', () => {
    const listing = execFileSync('cpio', ['-t', '--quiet'], { input: sample, encoding: 'utf8' });
    expect(listing.trim().split('\n')).toEqual(['kernel', 'kernel/table.aml', 'init', 'sh']);
    const dir = mkdtempSync(join(tmpdir(), 'xen-genid-cpio-'));
    try {
      execFileSync('cpio', ['-i', '--quiet', '-d', '--no-absolute-filenames'], { input: sample, cwd: dir });
      expect([...readFileSync(join(dir, 'kernel/table.aml'))]).toEqual([1, 2, 3, 4, 5]);
      expect(statSync(join(dir, 'init')).mode & 0o777).toBe(0o755);
      expect(readlinkSync(join(dir, 'sh'))).toBe('busybox');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
