/**
 * The live tier: real-xen/record.sh boots real Xen 4.17 under QEMU once, runs every scenario into a
 * temp directory (never the fixtures), and each comparison must equal the committed fixtures'. Real
 * Xen against real Xen: no divergence is allowed here. record.sh retries a boot only when a dom0
 * program crashed (exit status 134 or 139). A boot downloads about 600 MB of Debian packages once and
 * takes minutes, so it runs only with `XEN_GENID_REAL_XEN_LIVE=1` (`.ci/run` sets it); elsewhere the
 * suite is skipped with that reason, and under `XEN_GENID_REQUIRE_REFEREES=1` it fails instead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee, type Referee } from '@xen-genid/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { comparisonTexts } from './compare.ts';
import { REAL_XEN_DIR, readRecorded, type RecordedResult } from './scenarios.ts';

const tools = findReferee('qemu-system-x86 and the tools record.sh needs', [
  'qemu-system-x86_64',
  'apt-get',
  'dpkg-deb',
  'cpio',
  'file',
  'ldd',
  'bunzip2',
  'xz',
]);
const referee: Referee = {
  ...tools,
  missing:
    tools.missing ??
    (process.env.XEN_GENID_REAL_XEN_LIVE === '1' ? undefined : 'a live boot of real Xen 4.17 not asked for (set XEN_GENID_REAL_XEN_LIVE=1)'),
};
const recorded = comparisonTexts(readRecorded());

describeWithReferee('real Xen 4.17, live: a new boot prints what the fixtures recorded', referee, () => {
  const out = mkdtempSync(join(tmpdir(), 'real-xen-live-'));
  let live = new Map<string, RecordedResult>();

  beforeAll(async () => {
    // The tier's budget: one boot of at most 10 minutes, three more only after a dom0 program crashed
    // (on a loaded machine they do: real-xen/README.md).
    const child = spawn('bash', [join(REAL_XEN_DIR, 'record.sh'), '--out', out], {
      env: { ...process.env, QTIMEOUT: '600', RETRIES: '3' },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (status !== 0) throw new Error(`record.sh failed (${status}): ${stderr.slice(-2000)}`);
    process.stderr.write(`real-xen live run:\n${readFileSync(join(out, 'run.txt'), 'utf8')}`);
    live = readRecorded(out);
  }, 1_800_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each([...recorded.keys()])('%s', (name) => {
    expect(comparisonTexts(live).get(name)).toBe(recorded.get(name));
  });

  it('keeps the generation ID across xl save and xl restore', () => {
    const before = live.get('hvm-genid-before')!.output.trim();
    expect(before).toMatch(/^\d+:\d+$/);
    expect(live.get('hvm-genid-restored')!.output.trim()).toBe(before);
  });
});
