/* global console, process */
// HVM param get/set through the xc handle on MemoryHypervisor, against a plain Map get/set of
// bigints measured side by side in the same run. Goal: within 3x of the Map.
// BENCH_QUICK=1 runs for about a second.
import { createXc, DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, MemoryHypervisor } from '@xen-genid/xc-params';
import { rate } from '../../../scripts/bench-rate.mjs';

const quick = process.env.BENCH_QUICK === '1';
const roundMs = quick ? 100 : 1000;
const rounds = quick ? 3 : 5;
const batch = 10_000;

const hypervisor = new MemoryHypervisor();
const { domid } = hypervisor.createDomain({ type: 'hvm' });
const xc = createXc(hypervisor);
const guest = createXc(hypervisor, { caller: domid });
const map = new Map();
const key = `${domid}:${HVM_PARAM_VM_GENERATION_ID_ADDR}`;
let sink = 0n;

const cases = {
  'Map set+get (baseline)': (index) => {
    map.set(key, BigInt(index));
    sink ^= map.get(key);
  },
  'xc hvmParamSet+Get (Domain-0)': (index) => {
    xc.hvmParamSet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, BigInt(index));
    sink ^= xc.hvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
  },
  'xc hvmParamSet+Get (guest, DOMID_SELF)': (index) => {
    guest.hvmParamSet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, BigInt(index));
    sink ^= guest.hvmParamGet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR);
  },
};

// Interleave the cases round by round so machine noise hits them alike; keep each case's best round.
const best = Object.fromEntries(Object.keys(cases).map((name) => [name, 0]));
for (const body of Object.values(cases)) rate(body, quick ? 20 : 200, { batch }); // warm-up
for (let round = 0; round < rounds; round += 1) {
  for (const [name, body] of Object.entries(cases)) best[name] = Math.max(best[name], rate(body, roundMs, { batch }));
}

const baseline = best['Map set+get (baseline)'];
console.log(`HVM param get/set pairs per second (best of ${rounds} rounds of ${roundMs} ms)`);
for (const [name, perSecond] of Object.entries(best)) {
  const ratio = baseline / perSecond;
  const note = name.includes('baseline') ? '' : `  ${ratio.toFixed(2)}x slower than Map (goal <= 3x)${ratio <= 3 ? '' : '  ABOVE GOAL'}`;
  console.log(`  ${name.padEnd(40)} ${Math.round(perSecond).toLocaleString('en-US').padStart(14)} /s${note}`);
}
if (sink === -1n) console.log('unreachable');
