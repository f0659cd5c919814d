#!/usr/bin/env node
/* global console, process, URL */
/**
 * Records what Debian's real xl 4.17 does with every config of the xl.cfg corpus
 * (src/config/__fixtures__/xl-cfg-corpus/*.cfg): `xl -N create NAME.cfg`, run in that directory
 * over the hypervisor stub (src/commands/__fixtures__/xl-hypervisor-stub.c, preloaded), its exit
 * status, stdout and stderr written as they are to NAME.xl-4.17.json. These fixtures are written
 * only here, only from the real xl; the tests compare our xl against them.
 *
 * With XEN_GIT=<a git dir of xen-project/xen>, it also derives keys.json: the keys xl.cfg(5) of
 * 4.17 documents (docs/man/xl.cfg.5.pod.in, `=item B<key`) that xl_parse.c reads.
 *
 *   node packages/xl-cli/scripts/record-xl-cfg-corpus.mjs [NAME...]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REAL_XL = '/usr/lib/xen-4.17/bin/xl';
const corpus = new URL('../src/config/__fixtures__/xl-cfg-corpus/', import.meta.url).pathname;
const stubSource = new URL('../src/commands/__fixtures__/xl-hypervisor-stub.c', import.meta.url).pathname;

const work = mkdtempSync(join(tmpdir(), 'xl-cfg-corpus-'));
try {
  const stub = join(work, 'stub.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', stub, stubSource]);
  const wanted = process.argv.slice(2);
  const names = readdirSync(corpus)
    .filter((file) => file.endsWith('.cfg'))
    .map((file) => file.slice(0, -'.cfg'.length))
    .filter((name) => wanted.length === 0 || wanted.includes(name))
    .sort();
  for (const name of names) {
    const args = ['-N', 'create', `${name}.cfg`];
    const real = spawnSync(REAL_XL, args, {
      cwd: corpus,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, LD_PRELOAD: stub },
      timeout: 20_000,
    });
    if (real.error) throw real.error;
    const record = { args, status: real.status, signal: real.signal, stdout: real.stdout, stderr: real.stderr };
    writeFileSync(join(corpus, `${name}.xl-4.17.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
  console.log(`recorded ${names.length} configs with ${REAL_XL}`);

  if (process.env.XEN_GIT) {
    const show = (path) => execFileSync('git', ['-C', process.env.XEN_GIT, 'show', `stable-4.17:${path}`], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const documented = new Set([...show('docs/man/xl.cfg.5.pod.in').matchAll(/^=item B<([a-z0-9_]+)/gm)].map((match) => match[1]));
    const read = new Set([...show('tools/xl/xl_parse.c').matchAll(/xlu_cfg_[a-z_]+\s*\(\s*config,\s*"([a-z0-9_]+)"/g)].map((match) => match[1]));
    read.add('device_model_args_pv').add('device_model_args_hvm'); // built by the parse_extra_args macro
    const keys = [...documented].filter((key) => read.has(key)).sort();
    writeFileSync(join(corpus, 'keys.json'), `${JSON.stringify({ source: 'xen stable-4.17: docs/man/xl.cfg.5.pod.in keys read by tools/xl/xl_parse.c', keys }, null, 2)}\n`);
    console.log(`derived ${keys.length} xl.cfg(5) keys`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
