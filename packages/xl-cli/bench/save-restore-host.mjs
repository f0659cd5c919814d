/* global console, process, URL */
// `xl save` and `xl restore` of an HVM guest with 256 MiB of touched memory (65,536 frames) on a host
// file, spawned as a user's shell would, against `cp` + `sync` of the same number of bytes (the save
// file copied and flushed to disk), in paired, interleaved runs. Reported: the median of the pairs'
// wall-time ratios (with their spread) and the ratio of the children's summed CPU time; and the host
// file's bytes per guest byte (the file at rest with the guest, with its memory files, less the same
// once the guest is destroyed).
// Goals: save and restore within 2x of cp + sync; at most 1.1 host bytes per guest byte. Beside each,
// its floor (save-restore-floor.cjs: a Node process moving the same bytes, nothing else), timed in
// the same rounds.
// Every timed command starts after an untimed sync. BENCH_QUICK=1: 32 MiB, 2 rounds. BENCH_MIB and BENCH_ROUNDS pick the size and rounds.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { hostBytes, median, runCommand, runNode } from '../../../scripts/bench-process.mjs';

const quick = process.env.BENCH_QUICK === '1';
const mib = Number(process.env.BENCH_MIB ?? (quick ? 32 : 256));
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 5));
const xl = new URL('../dist/bin/xl.js', import.meta.url).pathname;
const floorScript = new URL('./save-restore-floor.cjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xl-save-bench-'));
const hostFile = join(dir, 'host.db');
const saveFile = join(dir, 'guest.save');
const copyFile = join(dir, 'copy.bin');
const env = { PATH: process.env.PATH ?? '', HOME: dir, XEN_GENID_HOST: hostFile };
const run = (...args) => runNode([xl, ...args], { cwd: dir, env });
const copy = () => runCommand('sh', ['-c', 'cp "$1" "$2" && sync "$2"', 'cp', saveFile, copyFile], { cwd: dir });
const memoryDir = `${hostFile}.memory`;
const atRest = () => hostBytes(hostFile);

try {
  writeFileSync(join(dir, 'vm.cfg'), `name = "bench"\ntype = "hvm"\nmemory = ${mib + 16}\nms_vm_genid = "generate"\n`);
  run('create', 'vm.cfg');
  // Every frame of the first `mib` MiB written by a library loop in one write, as a restore loads a
  // guest (the firmware's own pages kept).
  const host = openHost(hostFile);
  const domid = host.hypervisor.listDomains().find((info) => info.domid !== 0).domid;
  const firmware = new Set(host.hypervisor.touchedPages(domid));
  const frames = (mib * 1024 * 1024) / XC_PAGE_SIZE;
  const page = new Uint8Array(XC_PAGE_SIZE);
  const batches = [];
  for (let first = 0; first < frames; first += 4096) {
    const batch = [];
    for (let pfn = first; pfn < Math.min(frames, first + 4096); pfn += 1) {
      if (firmware.has(pfn)) continue;
      page.fill(pfn & 0xff);
      new DataView(page.buffer).setUint32(0, pfn, true);
      batch.push([pfn, page.slice()]);
    }
    batches.push(batch);
  }
  host.hypervisor.batch(() => batches.forEach((batch) => host.hypervisor.writePages(domid, batch)));
  host.close();
  run('save', '-c', 'bench', saveFile); // untimed: the file the first copy copies

  // The floor: a Node process moving the same bytes and nothing else (save-restore-floor.cjs), from
  // the guest's memory file (before xl save takes the guest away) or from the save file.
  const floorFrom = { save: () => join(memoryDir, readdirSync(memoryDir)[0]), restore: () => saveFile };
  const floor = (name) => runNode([floorScript, name, floorFrom[name](), join(dir, `floor.${name}`)], { cwd: dir });
  // Each timed command starts with nothing left to write back (what the one before wrote would
  // otherwise be flushed by this one's sync).
  const flushed = (timed) => {
    runCommand('sync', [], { cwd: dir });
    return timed();
  };
  const floors = { save: [], restore: [] };
  const results = { save: [], restore: [] };
  const cpu = { save: [0, 0], restore: [0, 0] };
  let withGuest = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, args] of [['save', ['save', 'bench', saveFile]], ['restore', ['restore', saveFile]]]) {
      let base;
      let subject;
      const least = flushed(() => floor(name));
      if (round % 2 === 0) {
        base = flushed(copy);
        subject = flushed(() => run(...args));
      } else {
        subject = flushed(() => run(...args));
        base = flushed(copy);
      }
      results[name].push(subject.wallMs / base.wallMs);
      floors[name].push(least.wallMs / base.wallMs);
      cpu[name][0] += subject.cpuSeconds;
      cpu[name][1] += base.cpuSeconds;
    }
    withGuest = atRest();
  }
  run('destroy', 'bench');
  const without = atRest();
  const saved = statSync(saveFile).size;
  console.log(`# ${mib} MiB guest, save file ${(saved / 2 ** 20).toFixed(1)} MiB; ${rounds} paired rounds against cp + sync of the save file`);
  for (const name of ['save', 'restore']) {
    const ratios = results[name];
    const wall = median(ratios);
    console.log(
      `xl ${name.padEnd(8)} wall ${wall.toFixed(2)}x [${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}]  cpu ${(cpu[name][0] / cpu[name][1]).toFixed(2)}x  (goal <= 2x: ${wall <= 2 ? 'met' : 'NOT met'})`,
    );
    console.log(`   its floor wall ${median(floors[name]).toFixed(2)}x [${Math.min(...floors[name]).toFixed(2)}-${Math.max(...floors[name]).toFixed(2)}]  (save-restore-floor.cjs ${name})`);
  }
  const perByte = (withGuest - without) / (mib * 2 ** 20);
  console.log(`host file: ${(withGuest / 2 ** 20).toFixed(1)} MiB with the guest, ${(without / 2 ** 20).toFixed(1)} MiB after xl destroy: ${perByte.toFixed(3)} bytes per guest byte (goal <= 1.1: ${perByte <= 1.1 ? 'met' : 'NOT met'})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
