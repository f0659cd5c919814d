/**
 * `xl -N create` and `xl create -n`, run as a user runs them: the built bin, spawned by absolute
 * path, against the samples real xl 4.17 printed (byte for byte, apart from the random uuid and
 * generation ID).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const XL = new URL('../../dist/bin/xl.js', import.meta.url).pathname;
const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

let dir = '';
beforeAll(() => {
  if (!existsSync(XL)) throw new Error(`${XL} is missing: build first (pnpm turbo run build --filter=@xen-genid/xl-cli...)`);
  dir = mkdtempSync(join(tmpdir(), 'xl-cli-create-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function xl(args: string[], cfg?: { name: string; text: string }): { stdout: string; stderr: string; status: number | null } {
  if (cfg) writeFileSync(join(dir, cfg.name), cfg.text);
  // A host file of our own in the temp dir, so nothing here can reach the user's default host.
  const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: join(dir, 'state'), XEN_GENID_HOST: join(dir, 'host.db') };
  const result = spawnSync(process.execPath, [XL, ...args], { cwd: dir, encoding: 'utf8', env });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Replaces what is random in every run: the uuid and the 16 generation-ID bytes. */
function normalise(json: string): string {
  return json
    .replace(/"uuid": "[0-9a-f-]{36}"/, '"uuid": "<uuid>"')
    .replace(/"ms_vm_genid": \[[\s\d,]*\]/, '"ms_vm_genid": <genid>');
}

describe('xl create dry runs', () => {
  for (const [sample, args] of [
    ['vgid-test', ['-N', 'create', 'vgid-test.cfg']],
    ['vgid-test', ['create', '-n', 'vgid-test.cfg']],
    ['d4', ['-N', 'create', 'd4.cfg']],
    ['d4', ['create', 'd4.cfg', '--dryrun']],
  ] as const) {
    it(`xl ${args.join(' ')} prints what real xl 4.17 printed`, () => {
      const result = xl([...args], { name: `${sample}.cfg`, text: fixture(`${sample}.cfg`) });
      expect(result.stderr).toBe(`Parsing config from ${sample}.cfg\n`);
      expect(result.status).toBe(0);
      expect(normalise(result.stdout)).toBe(normalise(fixture(`${sample}.json`)));
      expect(result.stdout).toMatch(/"uuid": "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"/);
    });
  }

  it('prints 16 random bytes for ms_vm_genid = "generate", different every run', () => {
    const cfg = { name: 'g.cfg', text: fixture('vgid-test.cfg') };
    const genids = [xl(['-N', 'create', 'g.cfg'], cfg), xl(['-N', 'create', 'g.cfg'])].map((run) => {
      const match = /"ms_vm_genid": \[([\s\d,]*)\]/.exec(run.stdout);
      return match![1]!.split(',').map((byte) => Number(byte.trim()));
    });
    for (const bytes of genids) {
      expect(bytes).toHaveLength(16);
      for (const byte of bytes) expect(byte >= 0 && byte <= 255).toBe(true);
    }
    expect(genids[0]).not.toEqual(genids[1]);
  });

  it('leaves ms_vm_genid out for "none", and fails with xl\'s message for anything else', () => {
    const none = xl(['-N', 'create', 'n.cfg'], { name: 'n.cfg', text: 'name = "x"\ntype = "hvm"\nms_vm_genid = "none"\n' });
    expect(none.status).toBe(0);
    expect(none.stdout).not.toContain('ms_vm_genid');
    const bad = xl(['-N', 'create', 'b.cfg'], { name: 'b.cfg', text: 'name = "x"\ntype = "hvm"\nms_vm_genid = "Generate"\n' });
    expect(bad).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Parsing config from b.cfg\nERROR: "ms_vm_genid" option must be "generate" or "none"\n',
    });
  });

  it('appends KEY=VALUE arguments after the file, last one winning', () => {
    const result = xl(['-N', 'create', 'e.cfg', 'name="other"', 'memory=64'], { name: 'e.cfg', text: 'name = "x"\nkernel = "/boot/k"\nmemory = 32' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('"name": "other"');
    expect(result.stdout).toContain('"target_memkb": 65536');
  });

  it('reports a config syntax error as libxlutil and xl do, exit 1', () => {
    const result = xl(['create', '-n', 's.cfg'], { name: 's.cfg', text: 'name = "x"\nmemory =\n' });
    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'Parsing config from s.cfg\n' +
        "s.cfg:1: config parsing error near <newline>: syntax error, unexpected NEWLINE, expecting STRING or NUMBER or '['\n" +
        'Failed to parse config: Invalid argument\n',
    });
  });

  it('fails clearly on a missing file and without a file', () => {
    expect(xl(['-N', 'create', 'missing.cfg'])).toEqual({
      status: 3,
      stdout: '',
      stderr: 'Failed to read config file: missing.cfg: No such file or directory\n',
    });
    expect(xl(['-N', 'create'])).toEqual({ status: 6, stdout: '', stderr: 'Config file not specified and none in save file\n' });
  });

  it('is quiet with -q', () => {
    const result = xl(['-N', 'create', '-q', 'q.cfg'], { name: 'q.cfg', text: 'name = "x"\nkernel = "/boot/k"\n' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
