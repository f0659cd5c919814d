/**
 * A save image real Xen 4.17's `xl save` wrote of a real HVM guest with a generation ID (64 MiB,
 * hvmloader and SeaBIOS having run; recorded by real-xen/record.sh as `hvm1.chk.xz`) restores on our
 * host: our reader's checks accept it, `xl restore` brings back the same config with the ID our
 * policy gives on restore (a new one), and HVM param 34 points at that ID in guest memory.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { MsVmGenid, checkSaveImage, domainConfigFromJsonText, genidOfConfig, readSaveFile } from '@xen-genid/xl-lib';
import { afterAll, expect, it } from 'vitest';
import { createXlHost, domainViews, viewProblems } from '../regression/xl-host.ts';
import { FIXTURES_DIR } from './scenarios.ts';

const referee = findReferee('xz-utils', ['xz']);

describeWithReferee('a save image written by real Xen 4.17 restores on our host', referee, () => {
  const host = createXlHost('real-save-image');
  afterAll(() => host.cleanup());
  const image = join(host.dir, 'real.img');
  const unpacked = spawnSync(referee.paths.xz!, ['-dc', join(FIXTURES_DIR, 'hvm1.chk.xz')], { maxBuffer: 256 << 20 });
  if (unpacked.status !== 0) throw new Error(`xz -dc hvm1.chk.xz failed: ${unpacked.stderr.toString()}`);
  writeFileSync(image, unpacked.stdout);

  it('passes our save-image reader and every one of its checks', async () => {
    const saved = await readSaveFile(image);
    expect(saved.xl.configIsJson).toBe(true);
    expect(checkSaveImage(saved)).toEqual([]);
  });

  it('restores with the same config, a new generation ID (our policy) and param 34 pointing at it', async () => {
    const saved = await readSaveFile(image);
    const config = domainConfigFromJsonText(saved.xl.config!);
    const savedId = genidOfConfig(config);
    expect(savedId.isZero()).toBe(false);

    const restore = host.xl(['restore', image]);
    expect(restore.stderr).not.toMatch(/error/i);
    expect(restore.status).toBe(0);

    const [domain] = domainViews(host.path);
    expect(domain).toBeDefined();
    expect(viewProblems(domain!)).toEqual([]);
    expect(domain!.name).toBe(config.createInfo.name);
    expect(domain!.uuid).toBe(config.createInfo.uuid);
    expect(domain!.memory).not.toBeNull();
    expect(domain!.config).not.toBe(savedId.toHex());
    expect(MsVmGenid.fromHex(domain!.config!).isZero()).toBe(false);

    const listed = JSON.parse(host.xl(['list', '-l', 'hvm1']).stdout) as { config: { b_info: { max_memkb: number } } }[];
    expect(BigInt(listed[0]!.config.b_info.max_memkb)).toBe(config.buildInfo.maxMemkb);
  });
});
