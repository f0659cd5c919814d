/* global console, process, TextEncoder, URL */
// Whole-process cost of the built `xl`, spawned as a user's shell would, against `node -e 0` (the
// runtime's floor): `xl help`, `xl list`, `xl list -v`, `xl vm-list`, `xl info`, `xl list <name>`,
// `xl create` and `xl create -p` (each then `xl destroy`, untimed) on host files holding 10, 1,000
// and 10,000 domains; beside them, the least a listing can cost on this
// runtime (listing-floor.cjs: better-sqlite3 loaded, the file opened, one query making every line),
// and beside `xl create` the least its storage can cost (create-floor.cjs: the rows one create
// changed, written in one transaction). Each command runs in pairs with the floor,
// interleaved; reported: the median of the pairs' wall-time ratios (with their spread), the ratio
// of the children's summed CPU time (user + system), which load from other processes moves less, and
// the pages each command touches beyond `node -e 0`'s (minor page faults), beside what a page first
// touched costs on this machine (a Node process filling fresh memory, then filling it again).
// The host files are built once by a library loop and kept in the temp dir, keyed by schema version.
// BENCH_QUICK=1: 3 rounds, 10 and 1,000 domains. BENCH_DOMAINS=10,1000 picks the sizes.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURRENT_SCHEMA_VERSION, openHost } from '@xen-genid/host';
import Database from 'better-sqlite3';
import { rowChanges, tableRows } from './create-floor.cjs';
import { median, pairedRuns, runNode } from '../../../scripts/bench-process.mjs';

const quick = process.env.BENCH_QUICK === '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 15));
const sizes = (process.env.BENCH_DOMAINS ?? (quick ? '10,1000' : '10,1000,10000')).split(',').map(Number);
const xl = new URL('../dist/bin/xl.js', import.meta.url).pathname;
const listingFloor = new URL('./listing-floor.cjs', import.meta.url).pathname;
const createFloor = new URL('./create-floor.cjs', import.meta.url).pathname;

/** Every table's rows of the host file at `path`. */
function rowsOf(path) {
  const db = new Database(path, { readonly: true });
  try {
    return tableRows(db);
  } finally {
    db.close();
  }
}

/** A host file with `count` guest domains as xl leaves them (names, vm paths, stored configs). */
function fixture(count) {
  const dir = join(tmpdir(), 'xen-genid-bench');
  const file = join(dir, `host-v${CURRENT_SCHEMA_VERSION}-${count}.db`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const building = join(dir, `building-${process.pid}.db`);
  const host = openHost(building);
  const xs = host.store.connect(0);
  const config = new TextEncoder().encode('{"c_info":{"type":"hvm"},"b_info":{"type":"hvm"}}');
  for (let first = 0; first < count; first += 500) {
    const made = [];
    host.hypervisor.batch(() => {
      xs.transaction((t) => {
        for (let n = first; n < Math.min(count, first + 500); n += 1) {
          const { domid, uuid } = host.hypervisor.createDomain({ type: 'hvm', maxMemKb: 131072 });
          host.hypervisor.writeParam(domid, 34, 0xfc000000n);
          const dom = `/local/domain/${domid}`;
          t.write(`${dom}/name`, `guest-${domid}`);
          t.write(`${dom}/vm`, `/vm/${uuid}`);
          t.write(`${dom}/domid`, String(domid));
          t.write(`${dom}/platform/generation-id`, '1:2');
          t.write(`/vm/${uuid}/name`, `guest-${domid}`);
          t.write(`/vm/${uuid}/uuid`, uuid);
          t.write(`/libxl/${domid}/type`, 'hvm');
          host.userdata.store(domid, 'libxl-json', config);
          made.push(domid);
        }
      });
      for (const domid of made) host.hypervisor.unpauseDomain(domid);
    });
  }
  xs.close();
  host.close();
  renameSync(building, file);
  return file;
}

/**
 * Microseconds a page of fresh memory costs the first time it is written, beyond writing it again:
 * the median of seven Node processes that each fill 8 MiB just allocated, then fill it again.
 */
function firstTouchUs() {
  const script = `const bytes = 8 << 20; const pages = bytes / 4096; const buffer = Buffer.allocUnsafeSlow(bytes);
let start = process.hrtime.bigint(); buffer.fill(1); const first = process.hrtime.bigint() - start;
start = process.hrtime.bigint(); buffer.fill(2); const again = process.hrtime.bigint() - start;
process.stdout.write(String(Number(first - again) / 1000 / pages));`;
  return median(Array.from({ length: 7 }, () => Number(runNode(['-e', script]).stdout)));
}

const dir = mkdtempSync(join(tmpdir(), 'xl-bench-'));
writeFileSync(join(dir, 'vm.cfg'), 'name = "bench"\ntype = "hvm"\nmemory = 128\nms_vm_genid = "generate"\n');
const results = new Map();
const pageUs = firstTouchUs();
try {
  console.log(`# xl / node -e 0: median of ${rounds} paired wall ratios [min-max], summed CPU ratio, and pages touched beyond node -e 0's`);
  console.log(`# a page first touched costs ${pageUs.toFixed(1)} us here (beyond writing it again)`);
  for (const count of sizes) {
    const started = Date.now();
    const source = fixture(count);
    const hostFile = join(dir, `host-${count}.db`);
    copyFileSync(source, hostFile);
    const built = Date.now() - started;
    const env = { PATH: process.env.PATH ?? '', HOME: dir, XEN_GENID_HOST: hostFile };
    const node = (args) => () => runNode(args, { cwd: dir, env });
    const floor = node(['-e', '0']);
    const name = `guest-${Math.ceil(count / 2)}`;
    // The rows `xl create` changes, from one run on a copy: what create-floor.cjs writes there.
    const floorFile = join(dir, `create-floor-${count}.db`);
    copyFileSync(source, floorFile);
    const before = rowsOf(floorFile);
    runNode([xl, 'create', 'vm.cfg'], { cwd: dir, env: { ...env, XEN_GENID_HOST: floorFile } });
    const changes = join(dir, `create-floor-${count}.json`);
    writeFileSync(changes, JSON.stringify(rowChanges(before, rowsOf(floorFile))));
    // Warm the file cache (and the host file) untimed.
    floor();
    node([xl, 'list'])();
    const commands = [
      ['xl help', node([xl, 'help'])],
      ['xl list', node([xl, 'list'])],
      ['listing floor', node([listingFloor, hostFile])],
      ['xl list -v', node([xl, 'list', '-v'])],
      ['xl vm-list', node([xl, 'vm-list'])],
      ['xl info', node([xl, 'info'])],
      ['xl list <name>', node([xl, 'list', name])],
      ['xl create', node([xl, 'create', 'vm.cfg']), node([xl, 'destroy', 'bench'])],
      ['xl create -p', node([xl, 'create', '-p', 'vm.cfg']), node([xl, 'destroy', 'bench'])],
      ['create floor', node([createFloor, floorFile, changes])],
    ];
    console.log(`\n${count.toLocaleString('en-US')} domains (host file ready in ${built} ms)`);
    for (const [label, subject, after] of commands) {
      const result = pairedRuns({ baseline: floor, subject, after, rounds });
      results.set(`${label}@${count}`, result);
      console.log(
        `${label.padEnd(16)} ${result.wallMs.toFixed(1).padStart(8)} ms  wall ${result.wallRatio.toFixed(2)}x [${result.spread.map((r) => r.toFixed(2)).join('-')}]  cpu ${result.cpuRatio.toFixed(2)}x  +${result.extraFaults} pages`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The goals, from the figures above.
const verdict = (ok) => (ok ? 'met' : 'NOT met');
const at = (label, count) => results.get(`${label}@${count}`);
console.log('\n# goals');
const list10 = at('xl list', 10);
const create10 = at('xl create', 10);
const floor10 = at('listing floor', 10);
/** How much of a command's time beyond `node -e 0` the pages it touches beyond it account for. */
const pagesShare = (result) =>
  `${result.extraFaults} pages more than node -e 0 touches, ${((result.extraFaults * pageUs) / 1000).toFixed(1)} ms of the ${((result.wallRatio - 1) * result.baselineWallMs).toFixed(1)} ms it takes beyond it`;
if (list10) {
  const floor = floor10 ? `; the listing floor: ${floor10.wallRatio.toFixed(2)}x` : '';
  console.log(`xl list, 10 domains: wall ${list10.wallRatio.toFixed(2)}x, cpu ${list10.cpuRatio.toFixed(2)}x (goal <= 1.4x): ${verdict(list10.wallRatio <= 1.4)}${floor}; ${pagesShare(list10)}`);
}
for (const label of ['xl help', 'xl list -v', 'xl vm-list', 'xl info']) {
  for (const count of sizes) {
    const result = at(label, count);
    const list = at('xl list', count);
    if (result && list) {
      console.log(`${label}, ${count} domains: wall ${result.wallRatio.toFixed(2)}x, cpu ${result.cpuRatio.toFixed(2)}x vs xl list's ${list.wallRatio.toFixed(2)}x (goal: no slower than xl list, 5% noise): ${verdict(result.wallRatio <= list.wallRatio * 1.05)}`);
    }
  }
}
if (create10) {
  // The least a create could cost here: the bin's own start (`xl help`, which opens no host) and the
  // storage a create writes (the create floor, which loads better-sqlite3 and opens the file), each
  // beyond `node -e 0`; and what the guest's boot adds (a create left paused boots no firmware).
  const [help, storage, paused] = [at('xl help', 10), at('create floor', 10), at('xl create -p', 10)];
  const least = help && storage ? `; the bin's start and the create floor together: ${(help.wallRatio + storage.wallRatio - 1).toFixed(2)}x` : '';
  const boot = paused ? `; xl create -p: ${paused.wallRatio.toFixed(2)}x` : '';
  console.log(`xl create, 10 domains: wall ${create10.wallRatio.toFixed(2)}x, cpu ${create10.cpuRatio.toFixed(2)}x (goal <= 1.8x): ${verdict(create10.wallRatio <= 1.8)}${least}${boot}; ${pagesShare(create10)}`);
}
for (const count of sizes.filter((size) => size > 10)) {
  const one = at('xl list <name>', count);
  const oneAt10 = at('xl list <name>', 10);
  if (one && oneAt10) {
    const change = one.wallRatio / oneAt10.wallRatio;
    console.log(`xl list <name>, ${count} vs 10 domains: ${change.toFixed(2)}x wall, ${(one.cpuRatio / oneAt10.cpuRatio).toFixed(2)}x cpu (goal within 10%): ${verdict(change <= 1.1)}`);
  }
  const list = at('xl list', count);
  // What a domain more costs: the growth of the ratio to `node -e 0` (each measured in pairs, so a
  // machine slower in one size's rounds than in the other's moves both sides), in the time `node -e 0`
  // took at 10 domains; from wall time and from CPU time.
  const perDomainUs = (label, cpu = false) => {
    const [big, small] = [at(label, count), at(label, 10)];
    const growth = cpu ? big.cpuRatio - small.cpuRatio : big.wallRatio - small.wallRatio;
    return (growth * (cpu ? small.baselineCpuMs : small.baselineWallMs) * 1000) / (count - 10);
  };
  if (list && list10) {
    const floor = at('listing floor', count) && floor10 ? `; the listing floor: ${perDomainUs('listing floor').toFixed(1)} us` : '';
    console.log(
      `xl list, ${count} domains: ${list.wallRatio.toFixed(2)}x wall, ${list.cpuRatio.toFixed(2)}x cpu; ${perDomainUs('xl list').toFixed(1)} us per extra domain (${perDomainUs('xl list', true).toFixed(1)} us cpu) (goal <= 3): ${verdict(perDomainUs('xl list') <= 3)}${floor}`,
    );
  }
  const create = at('xl create', count);
  if (create && create10) {
    const change = create.wallRatio / create10.wallRatio;
    console.log(`xl create, ${count} vs 10 domains: ${change.toFixed(2)}x wall, ${(create.cpuRatio / create10.cpuRatio).toFixed(2)}x cpu (goal within 10%): ${verdict(change <= 1.1)}`);
  }
}
