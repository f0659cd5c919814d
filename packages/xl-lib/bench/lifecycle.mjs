/* global console, process */
// Domain lifecycle costs of the libxl context, all in memory (MemoryHypervisor + memory xenstore +
// memory userdata):
// 1. create→destroy cycles per second of an HVM guest with a generation ID, with the firmware and
//    guest model booting it, and without a guest model; baseline measured side by side: the same
//    number of raw hypervisor and xenstore operations done directly (no libxl), i.e. libxl's overhead.
// 2. per-operation cost with 10 vs 10,000 existing domains (goal: ratio under 1.5).
// BENCH_QUICK=1: 1,000 instead of 10,000 domains and shorter timings (about a second).
import { MemoryHypervisor } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { MemoryUserdataStore, MsVmGenid, createLibxl, createSeededRandomSource, defaultDomainConfig } from '@xen-genid/xl-lib';

const quick = process.env.BENCH_QUICK === '1';
const MANY = quick ? 1_000 : 10_000;
const FEW = 10;
const BUDGET_MS = quick ? 60 : 600;

function machine(guestModel) {
  const hypervisor = new MemoryHypervisor();
  const xenstore = createMemoryStore({ quotas: { entriesPerDomain: 1_000_000 } });
  const userdata = new MemoryUserdataStore();
  const options = { hypervisor, xenstore, userdata, random: createSeededRandomSource(1) };
  if (guestModel === null) options.guestModel = null;
  return { hypervisor, xenstore, userdata, libxl: createLibxl(options) };
}

let serial = 0;
function hvmConfig(genid = true) {
  const config = defaultDomainConfig('hvm');
  config.createInfo.name = `bench-${serial++}`;
  config.buildInfo.maxMemkb = 65536n;
  config.buildInfo.targetMemkb = 65536n;
  if (genid) config.buildInfo.u.msVmGenid = MsVmGenid.fromHex('0123456789abcdef0123456789abcdef');
  return config;
}

/** Runs `operation` repeatedly for about `budget` ms (after a warm-up); returns operations per second. */
function rate(operation, budget = BUDGET_MS) {
  for (let index = 0; index < 20; index += 1) operation();
  let count = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < budget) {
    for (let index = 0; index < 10; index += 1) operation();
    count += 10;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (count * 1000) / elapsed;
}

const fmt = (value) => value.toLocaleString('en-US', { maximumFractionDigits: 0 });

// ---- 1. create→destroy cycles ----------------------------------------------------------------
{
  const booted = machine(undefined);
  const withFirmware = rate(() => booted.libxl.destroyDomain(booted.libxl.createDomain(hvmConfig())));
  const bare = machine(null);
  const withoutGuest = rate(() => bare.libxl.destroyDomain(bare.libxl.createDomain(hvmConfig())));

  // Baseline: what libxl must do at least, done directly: the hypervisor domain, the same number
  // of xenstore nodes written in two transactions, then removed, and a stored config blob.
  const raw = machine(null);
  const probe = raw.libxl.createDomain(hvmConfig());
  const nodes = [];
  const walk = (path) => {
    nodes.push(path);
    for (const child of raw.libxl.xs.directory(path)) walk(`${path}/${child}`);
  };
  walk(`/local/domain/${probe}`);
  const uuid = raw.libxl.retrieveDomainConfiguration(probe).createInfo.uuid;
  walk(`/vm/${uuid}`);
  walk(`/libxl/${probe}`);
  const blob = raw.userdata.retrieve(probe, 'libxl-json');
  raw.libxl.destroyDomain(probe);
  const xs = raw.xenstore.connect(0);
  const baseline = rate(() => {
    const { domid } = raw.hypervisor.createDomain({ type: 'hvm', maxMemKb: 65536 });
    const relative = nodes.map((path) => path.replace(`/local/domain/${probe}`, `/local/domain/${domid}`).replace(`/libxl/${probe}`, `/libxl/${domid}`).replace(uuid, `u-${domid}`));
    xs.transaction((t) => {
      for (const path of relative) t.write(path, 'x');
    });
    raw.userdata.store(domid, 'libxl-json', blob);
    xs.rm(`/local/domain/${domid}`);
    xs.rm(`/vm/u-${domid}`);
    xs.rm(`/libxl/${domid}`);
    raw.userdata.destroyAll(domid);
    raw.hypervisor.destroyDomain(domid);
  });
  console.log(`create→destroy, HVM with ms_vm_genid, firmware + guest model: ${fmt(withFirmware)} cycles/s`);
  console.log(`create→destroy, HVM with ms_vm_genid, no guest model:        ${fmt(withoutGuest)} cycles/s`);
  console.log(`baseline (same ${nodes.length} xenstore nodes + hypervisor domain + blob, no libxl): ${fmt(baseline)} cycles/s`);
  console.log(`ratio libxl (no guest) / baseline: ${(withoutGuest / baseline).toFixed(2)}`);
}

// ---- 2. 10 vs MANY existing domains ----------------------------------------------------------
function populated(count) {
  const m = machine(null);
  const domids = [];
  for (let index = 0; index < count; index += 1) domids.push(m.libxl.createDomain(hvmConfig(), { paused: true }));
  return { ...m, domids };
}

const operations = {
  'create→destroy': (m) => m.libxl.destroyDomain(m.libxl.createDomain(hvmConfig(), { paused: true })),
  'pause→unpause': (m) => {
    const domid = m.domids[m.domids.length >> 1];
    m.libxl.unpauseDomain(domid);
    m.libxl.pauseDomain(domid);
  },
  nameToDomid: (m) => m.libxl.nameToDomid(m.name),
  retrieveDomainConfiguration: (m) => m.libxl.retrieveDomainConfiguration(m.domids[m.domids.length >> 1]),
  msVmGenidSet: (m) => m.libxl.msVmGenidSet(m.domids[m.domids.length >> 1], MsVmGenid.fromHex('ff'.repeat(16))),
};

const start = process.hrtime.bigint();
const few = populated(FEW);
const many = populated(MANY);
console.log(`populated ${FEW} and ${fmt(MANY)} domains in ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s`);
few.name = few.libxl.domidToName(few.domids[FEW >> 1]);
many.name = many.libxl.domidToName(many.domids[MANY >> 1]);
let worst = 0;
for (const [label, operation] of Object.entries(operations)) {
  // Interleave the two measurements so drift hits both alike; keep the best of three rounds.
  let fewRate = 0;
  let manyRate = 0;
  for (let round = 0; round < 3; round += 1) {
    fewRate = Math.max(fewRate, rate(() => operation(few), BUDGET_MS / 3));
    manyRate = Math.max(manyRate, rate(() => operation(many), BUDGET_MS / 3));
  }
  const ratio = fewRate / manyRate;
  worst = Math.max(worst, ratio);
  console.log(
    `${label.padEnd(28)} ${FEW} domains: ${fmt(fewRate).padStart(9)} ops/s   ${fmt(MANY)} domains: ${fmt(manyRate).padStart(9)} ops/s   cost ratio ${ratio.toFixed(2)}`,
  );
}
console.log(`worst cost ratio ${fmt(MANY)} vs ${FEW} domains: ${worst.toFixed(2)} (goal < 1.5)`);
