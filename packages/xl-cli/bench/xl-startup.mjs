/* global console, process, URL */
// Whole-process wall time of the built `xl`, spawned as a user's shell would: `xl list` and
// `xl create` (then `xl destroy`, untimed) on a temp host file, against `node -e 0` (the runtime's
// floor), measured interleaved in the same run. Goals: `xl list` under 2x, `xl create` under 3x.
// BENCH_QUICK=1 runs for about a second.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quick = process.env.BENCH_QUICK === '1';
const rounds = quick ? 1 : 12;
const xl = new URL('../dist/bin/xl.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xl-bench-'));
const env = { PATH: process.env.PATH ?? '', HOME: dir, XEN_GENID_HOST: join(dir, 'host.db') };
writeFileSync(join(dir, 'vm.cfg'), 'name = "bench"\ntype = "hvm"\nmemory = 128\nms_vm_genid = "generate"\n');

function timed(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

try {
  // Warm the file cache and create the host file once, untimed.
  timed(['-e', '0']);
  timed([xl, 'list']);
  const floor = [];
  const list = [];
  const create = [];
  for (let round = 0; round < rounds; round += 1) {
    floor.push(timed(['-e', '0']));
    list.push(timed([xl, 'list']));
    create.push(timed([xl, 'create', 'vm.cfg']));
    timed([xl, 'destroy', 'bench']);
  }
  const base = median(floor);
  const report = (name, values, goal) => {
    const value = median(values);
    const ratio = value / base;
    console.log(`${name.padEnd(12)} ${value.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x node -e 0  (goal < ${goal}x: ${ratio < goal ? 'met' : 'NOT met'})`);
  };
  console.log(`node -e 0    ${base.toFixed(1).padStart(7)} ms  (median of ${rounds}, interleaved)`);
  report('xl list', list, 2);
  report('xl create', create, 3);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
