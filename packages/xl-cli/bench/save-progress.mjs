/* global console, process, URL */
// What progress costs a save: `saveDomain -c` of an HVM guest with 256 MiB of touched memory (65,536
// frames) to a file, with no progress reported, against the same save reporting libxc's progress
// into xl's stdio logger, both as lines (stderr not a terminal) and as a meter redrawn in place
// (a terminal), each writing to /dev/null. The three run interleaved, in rotating order; reported:
// the ratio of the best times to the save without progress (goal: under 1.02), and the median of
// each round's ratio, which load from other processes moves more. BENCH_QUICK=1: 32 MiB, 2 rounds.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { MsVmGenid, createLibxl, defaultDomainConfig, memoryMachine, saveDomain } from '@xen-genid/xl-lib';

const { createStdioLogger } = await import(new URL('../dist/toolstack/progress.js', import.meta.url).pathname);

const quick = process.env.BENCH_QUICK === '1';
const MIB = quick ? 32 : 256;
const ROUNDS = quick ? 2 : Number(process.env.BENCH_ROUNDS ?? 9);

const machine = memoryMachine();
const { hypervisor } = machine;
const libxl = createLibxl(machine);
const config = defaultDomainConfig('hvm');
config.createInfo.name = 'bench';
config.buildInfo.maxMemkb = BigInt(MIB * 1024 + 16 * 1024);
config.buildInfo.u.msVmGenid = MsVmGenid.generate();
const domid = libxl.createDomain(config);
const page = new Uint8Array(XC_PAGE_SIZE);
for (let pfn = 0; pfn < (MIB * 1024 * 1024) / XC_PAGE_SIZE; pfn++) {
  page.fill(pfn & 0xff);
  hypervisor.writePage(domid, pfn, page);
}
const frames = hypervisor.touchedPages(domid).length;
const dir = mkdtempSync(join(tmpdir(), 'xl-cli-progress-bench-'));
const file = join(dir, 'guest.save');
const devNull = openSync('/dev/null', 'w');
let written = 0;
const stderr = { write: (text) => (written += writeSync(devNull, text)) };

const variants = {
  none: () => undefined,
  lines: () => createStdioLogger(stderr, { useCr: false }),
  meter: () => createStdioLogger(stderr, { useCr: true }),
};
const times = { none: [], lines: [], meter: [] };
async function saveWith(name) {
  const logger = variants[name]();
  const progress = logger ? (what, done, total) => logger.progress('xc', what, done, total) : undefined;
  const start = process.hrtime.bigint();
  await saveDomain(libxl, domid, { file }, { checkpoint: true, ...(progress ? { progress } : {}) });
  times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  await saveWith('none'); // warm-up, untimed below
  times.none.length = 0;
  const order = ['none', 'lines', 'meter'];
  for (let round = 0; round < ROUNDS; round++) {
    for (let step = 0; step < order.length; step++) await saveWith(order[(round + step) % order.length]);
  }
  const best = (name) => Math.min(...times[name]);
  const pairedMedian = (name) => median(times[name].map((ms, index) => ms / times.none[index]));
  console.log(`save -c of ${MIB} MiB (${frames} frames), ${ROUNDS} rounds, best ms: none ${best('none').toFixed(0)}, lines ${best('lines').toFixed(0)}, meter ${best('meter').toFixed(0)}`);
  for (const name of ['lines', 'meter']) {
    const value = best(name) / best('none');
    console.log(
      `progress as ${name}: ratio ${value.toFixed(3)} of best times (goal < 1.02: ${value < 1.02 ? 'met' : 'NOT met'}); median of paired ratios ${pairedMedian(name).toFixed(3)}`,
    );
  }
  console.log(`progress output: ${written} bytes in all`);
} finally {
  closeSync(devNull);
  rmSync(dir, { recursive: true, force: true });
}
