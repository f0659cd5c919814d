/**
 * Our commands, not Debian's: `bin/` at the repository root holds launchers for `xl`, `xenstored`,
 * `hvmloader-sim` and `qemu-dm` (`export PATH="$PWD/bin:$PATH"`), and `pnpm --silent xl` runs our xl from any
 * folder of the repository, in that folder, with nothing but xl's own output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './workspace-packages.ts';

const scratch = mkdtempSync(join(tmpdir(), 'xen-genid-launchers-'));
const env = {
  ...process.env,
  PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}`,
  XEN_GENID_HOST: join(scratch, 'host.db'),
};
const run = (command: string, args: readonly string[], cwd: string, extra: Record<string, string> = {}) =>
  spawnSync(command, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });

describe('bin/ launchers', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('are what the shell finds first for xl, xenstored, hvmloader-sim and qemu-dm', () => {
    const found = run('sh', ['-c', 'for name in xl xenstored hvmloader-sim qemu-dm; do command -v "$name"; done'], scratch);
    expect(found.stdout.split('\n').filter(Boolean)).toEqual(['xl', 'xenstored', 'hvmloader-sim', 'qemu-dm'].map((name) => join(root, 'bin', name)));
  });

  it('run our xl from any folder, with config paths relative to that folder', () => {
    const created = run('xl', ['-N', 'create', 'genid.cfg'], join(root, 'examples'));
    expect(created.stderr).toBe('Parsing config from genid.cfg\n');
    expect(JSON.parse(created.stdout).c_info.name).toBe('genid-example');
    const listed = run('xl', ['list'], scratch);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^Name +ID +Mem VCPUs\tState\tTime\(s\)\nDomain-0 +0 /);
  });

  it('run our xenstored, hvmloader-sim and qemu-dm', () => {
    expect(run('xenstored', [], scratch).stderr).toContain('Usage: xenstored --socket <path>');
    const firmware = run('hvmloader-sim', ['--help'], scratch);
    expect(`${firmware.stdout}${firmware.stderr}`).toContain('usage: hvmloader-sim <command>');
    const deviceModel = run('qemu-dm', ['--help'], scratch);
    expect(`${deviceModel.stdout}${deviceModel.stderr}`).toContain('usage: qemu-dm <command>');
  });
});

describe('pnpm --silent xl', () => {
  const plainPath = { PATH: process.env.PATH ?? '' }; // no bin/ on PATH: pnpm alone must find ours

  it.each(['examples', 'packages/xl-cli', 'packages/hvmloader-sim/src'])('runs our xl in %s, resolving paths there', (folder) => {
    const cwd = join(root, folder);
    const result = run('pnpm', ['--silent', 'xl', '-N', 'create', join(root, 'examples', 'genid.cfg')], cwd, plainPath);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).c_info.name).toBe('genid-example');
    const relative = run('pnpm', ['--silent', 'xl', '-N', 'create', 'no-such.cfg'], cwd, plainPath);
    expect(relative.stderr).toBe('Failed to read config file: no-such.cfg: No such file or directory\n');
  });

  it('reads a config relative to the folder it is started in', () => {
    const result = run('pnpm', ['--silent', 'xl', '-N', 'create', 'genid.cfg'], join(root, 'examples'), plainPath);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('Parsing config from genid.cfg\n');
  });

  it("prints only xl's own message and exit status when xl fails", () => {
    const result = run('pnpm', ['--silent', 'xl', 'destroy', 'no-such-domain'], join(root, 'examples'), plainPath);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('no-such-domain is an invalid domain identifier (rc=-6)\n');
  });
});
