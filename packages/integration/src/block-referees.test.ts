import { describe, expect, it } from 'vitest';
import { missingReferee } from './block-referees.ts';

describe('missingReferee', () => {
  it('names what a block calls and this machine lacks, and nothing for plain commands', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(missingReferee('xl list')).toBeUndefined();
      expect(missingReferee('npx qemu-dm boot-linux --help')).toBeUndefined();
      expect(missingReferee('XENSTORED_PATH=s xenstore-ls /local\nxenstore-read /vm')).toBe(
        'xenstore-utils not installed (missing: xenstore-ls, xenstore-read)',
      );
      expect(missingReferee('qemu-dm boot-linux --generation-id 1:2')).toMatch(/^qemu-system-x86, busybox-static and apt \(for the kernel\) not installed \(missing: qemu-system-x86_64/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
