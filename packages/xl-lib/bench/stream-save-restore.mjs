/* global Buffer, console, process */
// Save and restore throughput of a guest with 64 MiB of touched memory (16,384 pages), through
// the real save-file path (image writer → temp file → rename; file → reader → new domain), against
// copying the same bytes to and from a file in the same run. BENCH_QUICK=1: 8 MiB, one round.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHypervisor, XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { applySaveImage, readSaveFile, saveImageChunks, writeSaveFile } from '@xen-genid/xl-lib';

const quick = process.env.BENCH_QUICK === '1';
const MIB = quick ? 8 : 64;
const ROUNDS = quick ? 1 : 3;
const PAGES = (MIB * 1024 * 1024) / XC_PAGE_SIZE;

const hypervisor = new MemoryHypervisor();
const { domid } = hypervisor.createDomain({ type: 'hvm', maxMemKb: MIB * 1024 });
const page = new Uint8Array(XC_PAGE_SIZE);
for (let pfn = 0; pfn < PAGES; pfn++) {
  new DataView(page.buffer).setUint32(0, pfn, true);
  page.fill(pfn & 0xff, 4);
  hypervisor.writePage(domid, pfn, page);
}
const configJson = JSON.stringify({ c_info: { type: 'hvm', name: 'bench' }, b_info: { 'type.hvm': {} } });
const dir = mkdtempSync(join(tmpdir(), 'xl-lib-bench-'));
const file = join(dir, 'guest.save');
const raw = join(dir, 'raw.bin');

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
}
async function timeAsync(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
}
const best = (values) => Math.min(...values);
const rate = (seconds) => `${(MIB / seconds).toFixed(0)} MiB/s`;

const saveTimes = [], restoreTimes = [], copyOutTimes = [], copyInTimes = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // baseline: the same bytes, read page by page and written to a file, then read back and stored
    copyOutTimes.push(time(() => {
      const bytes = Buffer.concat(hypervisor.touchedPages(domid).map((pfn) => hypervisor.readPage(domid, pfn)));
      writeFileSync(raw, bytes);
    })[0]);
    copyInTimes.push(time(() => {
      const bytes = readFileSync(raw);
      const target = new MemoryHypervisor();
      const { domid: copy } = target.createDomain({ type: 'hvm' });
      for (let pfn = 0; pfn < PAGES; pfn++) target.writePage(copy, pfn, bytes.subarray(pfn * XC_PAGE_SIZE, (pfn + 1) * XC_PAGE_SIZE));
    })[0]);

    const [saveSeconds, size] = time(() => writeSaveFile(file, saveImageChunks(hypervisor, domid, { configJson })));
    saveTimes.push(saveSeconds);
    restoreTimes.push((await timeAsync(async () => {
      const image = await readSaveFile(file);
      const target = new MemoryHypervisor();
      const { domid: restored } = target.createDomain({ type: 'hvm' });
      applySaveImage(target, restored, image);
      if (target.touchedPages(restored).length !== PAGES) throw new Error('restore lost pages');
    }))[0]);
    if (round === 0) console.log(`guest: ${MIB} MiB touched (${PAGES} pages), save file ${(size / 1024 / 1024).toFixed(2)} MiB`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const save = best(saveTimes), restore = best(restoreTimes), copyOut = best(copyOutTimes), copyIn = best(copyInTimes);
console.log(`copy out (pages → file):  ${rate(copyOut)}`);
console.log(`save (xl save file):      ${rate(save)}   rate vs copy: ${(copyOut / save).toFixed(2)}x`);
console.log(`copy in (file → pages):   ${rate(copyIn)}`);
console.log(`restore (xl save file):   ${rate(restore)}   rate vs copy: ${(copyIn / restore).toFixed(2)}x`);
