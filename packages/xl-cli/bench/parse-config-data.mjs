/* global console, process */
// xl create's config step on a typical large guest config: parseXlCfg + parse_config_data
// (`parseConfigData`) of a 200-key config with 8 disks and 4 vifs, against `JSON.parse` of the same
// keys and values as JSON [key, value] pairs, timed in alternating blocks in the same run (the order
// flips every round); reported: the median of the rounds' ratios, from wall time and from this
// process's CPU time, with their spread.
// Goal: within 2.5x of JSON.parse. BENCH_QUICK=1 runs for about a second.
import { parseConfigData } from '@xen-genid/xl-cli';
import { median } from '../../../scripts/bench-process.mjs';
import { rate, rates } from '../../../scripts/bench-rate.mjs';

const quick = process.env.BENCH_QUICK === '1';
const seconds = quick ? 0.8 : 10;

const disks = Array.from({ length: 8 }, (_, i) => `'format=raw, vdev=xvd${String.fromCharCode(97 + i)}, access=rw, target=/var/lib/xen/images/guest-${i}.img'`);
const vifs = Array.from({ length: 4 }, (_, i) => `'mac=00:16:3e:00:00:0${i},bridge=xenbr${i},model=e1000'`);
const known = [
  ['name', '"bench-guest"'],
  ['type', '"hvm"'],
  ['uuid', '"6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"'],
  ['memory', '2048'],
  ['maxmem', '4096'],
  ['vcpus', '2'],
  ['maxvcpus', '4'],
  ['ms_vm_genid', '"none"'],
  ['acpi', '1'],
  ['on_poweroff', '"destroy"'],
  ['on_reboot', '"restart"'],
  ['on_crash', '"preserve"'],
  ['disk', `[ ${disks.join(', ')} ]`],
  ['vif', `[ ${vifs.join(', ')} ]`],
];
// The rest: settings xl reads or ignores, of the usual shapes (numbers, strings, lists).
const pairs = [...known];
for (let i = 0; pairs.length < 200; i += 1) {
  const value = i % 3 === 0 ? String(1000 + i) : i % 3 === 1 ? `"value-${i}"` : `[ "a${i}", "b${i}" ]`;
  pairs.push([`extra_key_${i}`, value]);
}
const config = pairs.map(([key, value]) => `${key} = ${value}\n`).join('');
const json = JSON.stringify(pairs);

const check = parseConfigData(config, { source: 'bench.cfg' });
if (check.config === undefined) throw new Error(`the bench config did not parse: ${check.diagnostics.map((d) => d.message).join('; ')}`);
if (check.devices.disks.length !== 8 || check.devices.vifs.length !== 4) throw new Error('the bench config lost devices');

/**
 * `ours` against `baseline` in rounds of one block each (the shared `rates` loop), the order flipped
 * every round: the median rates of each, and the median and spread of the rounds' ratios
 * (baseline / ours), from wall time and from CPU time.
 */
function measure(ours, baseline) {
  const rounds = quick ? 3 : 15;
  const blockMs = Math.ceil((seconds * 1000) / (rounds * 2));
  rate(ours, 0, { warmup: 200 });
  rate(baseline, 0, { warmup: 200 });
  const measured = [];
  for (let round = 0; round < rounds; round += 1) {
    const oursFirst = round % 2 === 0;
    const first = rates(oursFirst ? ours : baseline, blockMs);
    const second = rates(oursFirst ? baseline : ours, blockMs);
    measured.push(oursFirst ? { ours: first, baseline: second } : { ours: second, baseline: first });
  }
  const wall = measured.map((r) => r.baseline.wall / r.ours.wall);
  const cpu = measured.map((r) => r.baseline.cpu / r.ours.cpu);
  return {
    ours: median(measured.map((r) => r.ours.wall)),
    baseline: median(measured.map((r) => r.baseline.wall)),
    wall: median(wall),
    spread: [Math.min(...wall), Math.max(...wall)],
    cpu: median(cpu),
  };
}

console.log(`config: ${pairs.length} keys, 8 disks, 4 vifs, ${config.length} bytes; JSON ${json.length} bytes`);
const result = measure(
  () => parseConfigData(config, { source: 'bench.cfg' }),
  () => JSON.parse(json),
);
console.log(`parseConfigData     ${result.ours.toFixed(0).padStart(8)} configs/s`);
console.log(`JSON.parse (pairs)  ${result.baseline.toFixed(0).padStart(8)} configs/s`);
console.log(
  `ratio: ${result.wall.toFixed(2)}x JSON.parse [${result.spread.map((r) => r.toFixed(2)).join('-')}], cpu ${result.cpu.toFixed(2)}x (goal <= 2.5x) -> ${result.wall <= 2.5 ? 'met' : 'NOT met'}`,
);
