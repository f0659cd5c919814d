/* global Buffer, console, process */
// Save and restore throughput of an HVM guest with 64 MiB of touched memory (16,384 pages), through
// the library's operations on a libxl context (`saveDomain` -c to a file: pause, image writer, temp
// file renamed into place, unpause; `restoreDomain`: read and check the whole file, create the domain,
// load memory and params, apply the policy's new ID), against copying the same bytes page by page to
// a file and back into a fresh domain, in the same run. BENCH_QUICK=1: 8 MiB, one round.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { MsVmGenid, createLibxl, defaultDomainConfig, memoryMachine, restoreDomain, saveDomain } from '@xen-genid/xl-lib';

const quick = process.env.BENCH_QUICK === '1';
const MIB = quick ? 8 : 64;
const ROUNDS = quick ? 1 : 3;
const PAGES = (MIB * 1024 * 1024) / XC_PAGE_SIZE;

const machine = memoryMachine();
const { hypervisor } = machine;
const libxl = createLibxl(machine);
const config = defaultDomainConfig('hvm');
config.createInfo.name = 'bench';
config.buildInfo.maxMemkb = BigInt(MIB * 1024 + 16 * 1024);
config.buildInfo.u.msVmGenid = MsVmGenid.generate();
const domid = libxl.createDomain(config);
const page = new Uint8Array(XC_PAGE_SIZE);
for (let pfn = 0; hypervisor.touchedPages(domid).length < PAGES; pfn++) {
  new DataView(page.buffer).setUint32(0, pfn, true);
  page.fill(pfn & 0xff, 4);
  hypervisor.writePage(domid, pfn, page);
}
const pages = hypervisor.touchedPages(domid);
const dir = mkdtempSync(join(tmpdir(), 'xl-lib-bench-'));
const file = join(dir, 'guest.save');
const raw = join(dir, 'raw.bin');

async function time(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
}
const best = (values) => Math.min(...values);
const rate = (seconds) => `${(MIB / seconds).toFixed(0)} MiB/s`.padStart(10);

const saveTimes = [], restoreTimes = [], copyOutTimes = [], copyInTimes = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // baseline: the same pages read from the hypervisor and written to a file, then read back into a new domain
    copyOutTimes.push((await time(() => writeFileSync(raw, Buffer.concat(pages.map((pfn) => hypervisor.readPage(domid, pfn))))))[0]);
    copyInTimes.push((await time(() => {
      const bytes = readFileSync(raw);
      const { domid: copy } = hypervisor.createDomain({ type: 'hvm' });
      pages.forEach((pfn, i) => hypervisor.writePage(copy, pfn, bytes.subarray(i * XC_PAGE_SIZE, (i + 1) * XC_PAGE_SIZE)));
      hypervisor.destroyDomain(copy);
    }))[0]);

    const [saveSeconds, saved] = await time(() => saveDomain(libxl, domid, { file }, { checkpoint: true }));
    saveTimes.push(saveSeconds);
    const [restoreSeconds, restored] = await time(() => restoreDomain(libxl, file, { paused: true, config: { ...config, createInfo: { ...config.createInfo, name: 'restored' } } }));
    restoreTimes.push(restoreSeconds);
    if (hypervisor.touchedPages(restored.domid).length < PAGES) throw new Error('restore lost pages');
    libxl.destroyDomain(restored.domid);
    if (round === 0) console.log(`guest: ${MIB} MiB touched (${PAGES} pages), save file ${(saved.length / 1024 / 1024).toFixed(2)} MiB`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  libxl.close();
}

const save = best(saveTimes), restore = best(restoreTimes), copyOut = best(copyOutTimes), copyIn = best(copyInTimes);
console.log(`copy out (pages → file)       ${rate(copyOut)}`);
console.log(`saveDomain -c (→ save file)    ${rate(save)}   ratio to copy: ${(copyOut / save).toFixed(2)}`);
console.log(`copy in (file → pages)        ${rate(copyIn)}`);
console.log(`restoreDomain (save file →)    ${rate(restore)}   ratio to copy: ${(copyIn / restore).toFixed(2)}`);
