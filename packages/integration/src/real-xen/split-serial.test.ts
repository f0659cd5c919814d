import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REAL_XEN_DIR } from './scenarios.ts';

const dir = mkdtempSync(join(tmpdir(), 'split-serial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** record.sh's cut of `log` (scenarios `name command` a line): each scenario file's text. */
function split(scenarios: string, log: string): Map<string, string> {
  const out = join(dir, `out-${readdirSync(dir).length}`);
  writeFileSync(join(dir, 'scenarios'), scenarios);
  writeFileSync(join(dir, 'serial.log'), log);
  const run = spawnSync('awk', ['-v', `o=${out}`, '-v', 'sha=abc', '-v', `list=${join(dir, 'scenarios')}`, '-f', join(REAL_XEN_DIR, 'split-serial.awk'), join(dir, 'serial.log')], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return new Map(readdirSync(out).map((name) => [name, readFileSync(join(out, name), 'utf8')]));
}

describe("record.sh's cut of the serial log (split-serial.awk)", () => {
  it("keeps dom0's lines of each scenario, without Xen's, guests' and the kernel's", () => {
    const files = split(
      'first xl list\nsecond echo hi\n',
      ['(XEN) before', '### CMD[1]: xl list', 'Name ID', '(XEN) Xen line', '(d3) guest line', '[   12.345678] kernel line', 'Domain-0 0', '### RC[1]=0 uptime=1s', '### CMD[2]: echo hi', 'hi### RC[2]=0 uptime=2s', ''].join('\n'),
    );
    expect([...files.keys()].sort()).toEqual(['first.txt', 'second.txt']);
    expect(files.get('first.txt')).toBe('# scenario: first\n# command: xl list\n# rc: 0\n# serial-sha256: abc\nName ID\nDomain-0 0\n');
    // output without a final newline, the marker on its line
    expect(files.get('second.txt')).toBe('# scenario: second\n# command: echo hi\n# rc: 0\n# serial-sha256: abc\nhi\n');
  });

  it('joins a dom0 line that a Xen, guest or kernel line came into the middle of', () => {
    const files = split(
      'name-in-use xl create /etc/xen/hvm1.cfg\n',
      [
        '### CMD[1]: xl create /etc/xen/hvm1.cfg',
        'libxl: [   45.123456] xen-blkback: backend/vbd/3/51712: prepare for reconnect',
        'error: libxl_domain.c:81:libxl__domain_rename: Domain 3:Domain with name "hvm1" already exists.',
        'libxl: error: (XEN) d3: one',
        '(d3) two',
        'libxl_create.c:1296:initiate_domain_create: Domain 3:cannot make domain: -6',
        '### RC[1]=3 uptime=3s',
        '',
      ].join('\n'),
    );
    expect(files.get('name-in-use.txt')!.split('\n').slice(4)).toEqual([
      'libxl: error: libxl_domain.c:81:libxl__domain_rename: Domain 3:Domain with name "hvm1" already exists.',
      'libxl: error: libxl_create.c:1296:initiate_domain_create: Domain 3:cannot make domain: -6',
      '',
    ]);
  });
});
