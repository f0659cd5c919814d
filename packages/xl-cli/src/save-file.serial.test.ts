/**
 * What `xl save` writes is a real xl save file: Debian's `verify-stream-v2 -f xl` (xen-utils-4.17)
 * accepts the files the built `xl` writes for `save` and `save -c`.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { createXlWorld, type XlWorld } from './__fixtures__/xl-world.ts';

const VERIFY_STREAM = '/usr/lib/xen-4.17/bin/verify-stream-v2';
const verifier = findReferee('verify-stream-v2 (xen-utils-4.17)', [VERIFY_STREAM, 'python3']);

let world: XlWorld;
beforeAll(() => {
  world = createXlWorld('save-file');
  world.file('vm.cfg', 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n');
});
afterAll(() => world.cleanup());

describeWithReferee("xl save files and Debian's verify-stream-v2", verifier, () => {
  it('accepts the checkpoint and the final save of a guest with a generation ID', () => {
    expect(world.xl(['create', 'vm.cfg']).status).toBe(0);
    expect(world.xl(['save', '-c', 'vm', 'ckpt.img']).status).toBe(0);
    expect(world.xl(['save', 'vm', 'final.img']).status).toBe(0);
    for (const file of ['ckpt.img', 'final.img']) {
      const result = spawnSync(verifier.paths.python3!, [VERIFY_STREAM, '-f', 'xl', '-v', '-i', world.host(file)], {
        env: { PATH: process.env.PATH ?? '', PYTHONPATH: '/usr/lib/xen-4.17/lib/python' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/Libxc Record: HVM params, length \d+\n[\s\S]*Libxl Record: End/);
    }
  });
});
