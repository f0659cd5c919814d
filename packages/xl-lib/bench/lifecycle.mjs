/* global console, process, TextEncoder */
// Domain lifecycle costs of the libxl context, all in memory (MemoryHypervisor + memory xenstore +
// memory userdata):
// 1. create→destroy cycles per second of an HVM guest with a generation ID, with the firmware and
//    guest model booting it, and without a guest model; baseline measured side by side: the same
//    number of raw hypervisor and xenstore operations done directly (no libxl), i.e. libxl's overhead.
// 2. per-operation cost with 10 vs 10,000 existing domains (goal: ratio under 1.5).
// Rates are per second of this process's CPU time (user + system), so that other work on a shared
// machine does not distort them. BENCH_QUICK=1: 1,000 instead of 10,000 domains, shorter timings.
import { MemoryHypervisor } from '@xen-genid/xc-params';
import { ChildList, createMemoryBackend, createXenStore } from '@xen-genid/xenstore';
import { MemoryUserdataStore, MsVmGenid, createLibxl, createSeededRandomSource, defaultDomainConfig, libxlGuestModel } from '@xen-genid/xl-lib';

const quick = process.env.BENCH_QUICK === '1';
const MANY = quick ? 1_000 : 10_000;
const FEW = 10;
const BUDGET_MS = quick ? 60 : 600;

/** A machine whose domains run libxl's guest model (`booted`), or none (`bare`). */
function machine(kind) {
  const backend = createMemoryBackend();
  const xenstore = createXenStore(backend, { quotas: { entriesPerDomain: 1_000_000 } });
  const userdata = new MemoryUserdataStore();
  const hypervisor = new MemoryHypervisor(kind === 'booted' ? { guestModel: (self) => libxlGuestModel({ hypervisor: self, xenstore, userdata }) } : {});
  const options = { hypervisor, xenstore, userdata, random: createSeededRandomSource(1) };
  return { hypervisor, backend, xenstore, userdata, options, libxl: createLibxl(options) };
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

const cpuMs = (since) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** Runs `operation` for about `budget` ms of CPU (after a warm-up); returns operations per CPU second. */
function rate(operation, budget = BUDGET_MS) {
  for (let index = 0; index < 20; index += 1) operation();
  let count = 0;
  const start = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < budget) {
    for (let index = 0; index < 10; index += 1) operation();
    count += 10;
    elapsed = cpuMs(start);
  }
  return (count * 1000) / elapsed;
}

const fmt = (value) => value.toLocaleString('en-US', { maximumFractionDigits: 0 });

// ---- 1. create→destroy cycles ----------------------------------------------------------------
{
  const booted = machine('booted');
  const bare = machine('bare');

  // Baseline: what libxl must do at least, done directly: the hypervisor domain, the same
  // xenstore nodes written in one transaction, then removed, and a stored config blob.
  const raw = machine('bare');
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
  const baselineCycle = () => {
    const { domid } = raw.hypervisor.createDomain({ type: 'hvm', maxMemKb: 65536 });
    const paths = nodes.map((path) =>
      path.replace(`/local/domain/${probe}`, `/local/domain/${domid}`).replace(`/libxl/${probe}`, `/libxl/${domid}`).replace(uuid, `u-${domid}`),
    );
    xs.transaction((t) => {
      for (const path of paths) t.write(path, 'x');
    });
    raw.userdata.store(domid, 'libxl-json', blob);
    xs.rm(`/local/domain/${domid}`);
    xs.rm(`/vm/u-${domid}`);
    xs.rm(`/libxl/${domid}`);
    raw.userdata.destroyAll(domid);
    raw.hypervisor.destroyDomain(domid);
  };
  const variants = {
    booted: () => booted.libxl.destroyDomain(booted.libxl.createDomain(hvmConfig())),
    bare: () => bare.libxl.destroyDomain(bare.libxl.createDomain(hvmConfig())),
    baseline: baselineCycle,
  };
  const best = { booted: 0, bare: 0, baseline: 0 };
  for (let round = 0; round < 3; round += 1) {
    for (const [name, cycle] of Object.entries(variants)) best[name] = Math.max(best[name], rate(cycle, BUDGET_MS / 3));
  }
  console.log(`create→destroy, HVM with ms_vm_genid, firmware + guest model: ${fmt(best.booted)} cycles/s`);
  console.log(`create→destroy, HVM with ms_vm_genid, no guest model:        ${fmt(best.bare)} cycles/s`);
  console.log(`baseline (the same ${nodes.length} xenstore nodes + hypervisor domain + blob, no libxl): ${fmt(best.baseline)} cycles/s`);
  console.log(`ratio libxl without guest / baseline: ${(best.bare / best.baseline).toFixed(2)}`);
  xs.close();
}

// ---- 2. 10 vs MANY existing domains ----------------------------------------------------------
/**
 * A machine with `count` HVM domains (paused, no guest model). The first is created by libxl; the
 * others are bulk-loaded with exactly its xenstore nodes (their own domid, uuid and name, same
 * permissions), stored config and hypervisor domain, in one backend commit: creating 10,000
 * through libxl would take most of a minute, as xenstore rewrites each parent's child list.
 */
function populated(count) {
  const m = machine('bare');
  const probe = m.libxl.createDomain(hvmConfig(), { paused: true });
  const probeConfig = m.libxl.retrieveDomainConfiguration(probe);
  const probeUuid = probeConfig.createInfo.uuid;
  const roots = [`/local/domain/${probe}`, `/vm/${probeUuid}`, `/libxl/${probe}`];
  const template = [];
  const walk = (path) => {
    const node = m.backend.getNode(path);
    template.push({ path, node });
    for (const child of node.children) walk(`${path}/${child}`);
  };
  roots.forEach(walk);
  const encoder = new TextEncoder();
  const writes = [];
  const children = { '/local/domain': [], '/vm': [], '/libxl': [] };
  const domids = [probe];
  for (let index = 1; index < count; index += 1) {
    const config = hvmConfig();
    const uuid = `${probeUuid.slice(0, 24)}${index.toString(16).padStart(12, '0')}`;
    config.createInfo.uuid = uuid;
    const { domid } = m.hypervisor.createDomain({ type: 'hvm', uuid, maxMemKb: 65536 });
    m.libxl.storeDomainConfiguration(domid, config);
    const rename = (path) =>
      path.replace(`/local/domain/${probe}`, `/local/domain/${domid}`).replace(`/libxl/${probe}`, `/libxl/${domid}`).replace(probeUuid, uuid);
    for (const { path, node } of template) {
      const target = rename(path);
      let value = node.value;
      if (target.endsWith('/name')) value = encoder.encode(config.createInfo.name);
      else if (target === `/local/domain/${domid}/domid`) value = encoder.encode(String(domid));
      else if (target === `/local/domain/${domid}/vm`) value = encoder.encode(`/vm/${uuid}`);
      else if (target === `/vm/${uuid}/uuid`) value = encoder.encode(uuid);
      const perms = node.perms.map((perm) => ({ ...perm, id: perm.id === probe ? domid : perm.id }));
      writes.push({ kind: 'put', path: target, node: { value, perms, children: node.children } });
    }
    children['/local/domain'].push(String(domid));
    children['/vm'].push(uuid);
    children['/libxl'].push(String(domid));
    domids.push(domid);
  }
  for (const [parent, added] of Object.entries(children)) {
    const node = m.backend.getNode(parent);
    writes.push({ kind: 'put', path: parent, node: { value: node.value, perms: node.perms, children: ChildList.of([...node.children, ...added]) } });
  }
  if (!m.backend.commit({ checks: new Map(), writes, changes: [], origin: 'bench-populate' })) throw new Error('bulk load refused');
  for (const domid of domids.slice(1)) m.backend.setDomainIntroduced(domid, true);
  m.libxl.close();
  const libxl = createLibxl(m.options); // a fresh context: its name index is built from the loaded tree
  libxl.nameToDomid(probeConfig.createInfo.name);
  return { ...m, libxl, domids };
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
  // Not libxl: the xenstore floor under create→destroy, a child added to and removed from each of
  // /local/domain, /vm and /libxl (whose parents hold one entry per domain).
  'xenstore only: 3 children':
    (m) => {
      for (const parent of ['/local/domain', '/vm', '/libxl']) {
        m.libxl.xs.mkdir(`${parent}/bench-probe`);
        m.libxl.xs.rm(`${parent}/bench-probe`);
      }
    },
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
  if (!label.startsWith('xenstore only')) worst = Math.max(worst, ratio);
  console.log(
    `${label.padEnd(28)} ${FEW} domains: ${fmt(fewRate).padStart(9)} ops/s   ${fmt(MANY)} domains: ${fmt(manyRate).padStart(9)} ops/s   cost ratio ${ratio.toFixed(2)}`,
  );
}
console.log(`worst cost ratio of the libxl operations, ${fmt(MANY)} vs ${FEW} domains: ${worst.toFixed(2)} (goal < 1.5)`);
