// Firmware runs per second (xenstore read, strtoll, tables, ID, HVM param 34) and guest-side reads
// per second (RSDP scan, table walk, AML load and evaluation, 16-byte read), each against copying
// the same bytes into guest memory, measured side by side in the same run.
// BENCH_QUICK=1 runs for about a second.
/* global console, process */
import { createGuestMemory, MemoryHypervisor, PLATFORM_GENERATION_ID_KEY, pfnToAddress } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { DomainMemory, runFirmware } from '@xen-genid/hvmloader-sim';
import { readVmGenerationId } from '@xen-genid/hvmloader-sim/guest';
import { rate } from '../../../scripts/bench-rate.mjs';

const quick = process.env.BENCH_QUICK === '1';
const roundMs = quick ? 60 : 700;
const rounds = quick ? 2 : 3;

/** Best of `rounds`, alternating the cases so both see the same machine state. */
function compare(cases) {
  for (const body of Object.values(cases)) for (let index = 0; index < 50; index += 1) body(); // warm-up
  const best = Object.fromEntries(Object.keys(cases).map((name) => [name, 0]));
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, body] of Object.entries(cases)) best[name] = Math.max(best[name], rate(body, roundMs, { batch: 20 }));
  }
  return best;
}

const hypervisor = new MemoryHypervisor();
const store = createMemoryStore();
const { domid } = hypervisor.createDomain({ type: 'hvm', vcpus: 2 });
const dom0 = store.connect(0);
dom0.mkdir(`/local/domain/${domid}`);
dom0.setPerms(`/local/domain/${domid}`, [{ id: domid, access: 'n' }]);
dom0.write(`/local/domain/${domid}/${PLATFORM_GENERATION_ID_KEY}`, '11400714819323198485:1311768467463790320');
dom0.close();

// One run to learn what the firmware writes: the pages it touches.
const first = runFirmware(hypervisor, store, domid);
const pages = hypervisor.touchedPages(domid).map((pfn) => ({ address: pfnToAddress(pfn), bytes: hypervisor.readPage(domid, pfn) }));
const written = pages.reduce((sum, page) => sum + page.bytes.length, 0);
// What the guest side reads: every table it walks, the RSDP and the 16 ID bytes.
const tableBytes = first.tables.tables.reduce((sum, table) => sum + table.length, 0) + 36 + 16;
const readCopy = new Uint8Array(tableBytes);
const guest = createGuestMemory(hypervisor, domid);
let sink = 0;

const firmware = compare({
  [`copy the firmware's ${pages.length} pages (${written} bytes) into guest memory (baseline)`]: () => {
    hypervisor.resetDomain(domid);
    for (const page of pages) guest.write(page.address, page.bytes);
  },
  'firmware run (runFirmware)': () => {
    hypervisor.resetDomain(domid);
    sink ^= Number(runFirmware(hypervisor, store, domid).vmGenerationIdAddress);
  },
});

hypervisor.resetDomain(domid);
runFirmware(hypervisor, store, domid);
const reads = compare({
  [`copy the ${tableBytes} bytes the guest reads into guest memory (baseline)`]: () => {
    guest.write(0xfc0f0000n, readCopy);
  },
  'guest-side read (readVmGenerationId)': () => {
    const reading = readVmGenerationId(new DomainMemory(hypervisor, domid));
    if (!reading.ok) throw new Error(reading.failures.join('; '));
    sink ^= reading.bytes[0];
  },
});

function report(title, results) {
  const [baselineName, subjectName] = Object.keys(results);
  console.log(title);
  for (const [name, value] of Object.entries(results)) console.log(`  ${name}: ${Math.round(value).toLocaleString('en-US')}/s`);
  const ratio = results[baselineName] / results[subjectName];
  console.log(`  ratio: ${subjectName} is ${ratio.toFixed(1)}x slower than the baseline`);
}

report('firmware runs', firmware);
report('guest-side reads', reads);
if (sink === Number.MIN_SAFE_INTEGER) console.log('');
