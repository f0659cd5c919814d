/**
 * What `xl save` writes is a real xl save file: Debian's `verify-stream-v2 -f xl` (xen-utils-4.17)
 * accepts the files `xl` writes for `save` and `save -c`.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { readSaveFile } from '@xen-genid/xl-lib';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const VERIFY_STREAM = '/usr/lib/xen-4.17/bin/verify-stream-v2';
const verifier = findReferee('verify-stream-v2 (xen-utils-4.17)', [VERIFY_STREAM, 'python3']);


describeWithReferee("xl save files and Debian's verify-stream-v2", verifier, () => {
  it('accepts the checkpoint and the final save of a guest with a generation ID', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('vm.cfg', 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n')]);
    await world.ok(['save', '-c', 'vm', `${world.dir}/ckpt.img`]);
    await world.ok(['save', 'vm', `${world.dir}/final.img`]);
    for (const file of ['ckpt.img', 'final.img']) {
      const result = spawnSync(verifier.paths.python3!, [VERIFY_STREAM, '-f', 'xl', '-v', '-i', `${world.dir}/${file}`], {
        env: { PATH: process.env.PATH ?? '', PYTHONPATH: '/usr/lib/xen-4.17/lib/python' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
      // The ID's timeline rides in the optional data, where the verifier (as xl) skips it.
      expect((await readSaveFile(`${world.dir}/${file}`)).xl.extras?.genidHistory?.length).toBeGreaterThan(1);
      expect(`${result.stdout}${result.stderr}`).toMatch(/Libxc Record: HVM params, length \d+\n[\s\S]*Libxl Record: End/);
    }
  }, 60_000);
});
