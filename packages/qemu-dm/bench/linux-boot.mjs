// Real Linux boots on the firmware's tables under QEMU TCG: the kernel's own vmlinux booted through
// its PVH entry (what `boot-linux` uses) against Debian's bzImage as shipped (the baseline, which
// decompresses itself in the guest), one boot each, side by side. Also boot plans per second (the
// firmware run plus the plan) against the firmware run alone.
// BENCH_QUICK=1 runs for about a second: the plans only, no boots.
/* global console, process, performance */
import { MemoryHypervisor, PLATFORM_GENERATION_ID_KEY } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { runFirmware } from '@xen-genid/hvmloader-sim';
import { bootLinuxGuest, ensureKernel, missingBootTools, planFirmwareBoot, QEMU_PC_PLATFORM_LAYOUT } from '@xen-genid/qemu-dm';
import { rate } from '../../../scripts/bench-rate.mjs';

const quick = process.env.BENCH_QUICK === '1';
const generationId = { low: 0x332211009c3a1f5en, high: 0xbbaa998877665544n };

function firmwareOnly() {
  const hypervisor = new MemoryHypervisor();
  const store = createMemoryStore();
  const { domid } = hypervisor.createDomain({ type: 'hvm', vcpus: 1 });
  const dom0 = store.connect(0);
  dom0.mkdir(`/local/domain/${domid}`);
  dom0.setPerms(`/local/domain/${domid}`, [{ id: domid, access: 'n' }]);
  dom0.write(`/local/domain/${domid}/${PLATFORM_GENERATION_ID_KEY}`, `${generationId.low}:${generationId.high}`);
  dom0.close();
  runFirmware(hypervisor, store, domid, { layout: QEMU_PC_PLATFORM_LAYOUT });
}

// Best of three rounds, alternating the two cases so both see the same machine state.
const roundMs = quick ? 120 : 500;
let baseline = 0;
let plans = 0;
for (let round = 0; round < 3; round += 1) {
  baseline = Math.max(baseline, rate(firmwareOnly, roundMs));
  plans = Math.max(plans, rate(() => planFirmwareBoot({ generationId, machine: 'pc' }), roundMs));
}
console.log(`firmware run in a scratch domain (baseline): ${baseline.toFixed(0)}/s`);
console.log(`firmware run + boot plan (tables, pages, param 34): ${plans.toFixed(0)}/s, ratio ${(plans / baseline).toFixed(2)}`);

if (quick) {
  console.log('boots: not run under BENCH_QUICK=1 (one boot takes seconds)');
  process.exit(0);
}
const missing = missingBootTools({});
const kernel = missing.length === 0 ? await ensureKernel() : undefined;
if (!kernel || 'missing' in kernel) {
  console.log(`boots: skipped (${missing.concat(kernel && 'missing' in kernel ? [kernel.missing] : []).join('; ')})`);
  process.exit(0);
}
if (kernel.bootImage === kernel.path) {
  console.log('boots: skipped (no PVH vmlinux could be unpacked: is xz installed?)');
  process.exit(0);
}
const { plan, idBytes } = planFirmwareBoot({ generationId, machine: 'pc' });
async function boot(image) {
  const start = performance.now();
  const report = await bootLinuxGuest(plan, idBytes, { kernel: image });
  if (report.verdict !== 'match') throw new Error(`boot of ${image} ended ${report.verdict}`);
  return (performance.now() - start) / 1000;
}
const bzImage = await boot(kernel.path);
const pvh = await boot(kernel.bootImage);
console.log(`boot to a verified read, bzImage as shipped (baseline): ${bzImage.toFixed(1)} s = ${(60 / bzImage).toFixed(1)} boots/min`);
console.log(`boot to a verified read, vmlinux through the PVH entry: ${pvh.toFixed(1)} s = ${(60 / pvh).toFixed(1)} boots/min, ratio ${(bzImage / pvh).toFixed(2)}`);
