/* global console, process */
// xl.cfg parsing throughput: parseXlCfg (libxlutil's grammar) on a large generated config,
// against JSON.parse of a JSON array of [key, value] pairs of the same byte length, in the same
// run. Goal: within 3x of JSON.parse. BENCH_QUICK=1 runs for about a second.
import { parseXlCfg } from '@xen-genid/xl-cli';

const quick = process.env.BENCH_QUICK === '1';
const targetBytes = quick ? 512 * 1024 : 4 * 1024 * 1024;
const seconds = quick ? 0.8 : 12;

function line(index) {
  switch (index % 5) {
    case 0: return `name_${index} = "guest-${index}"\n`;
    case 1: return `memory_${index} = ${1024 + index}\n`;
    case 2: return `disk_${index} = [ "phy:/dev/vg/d${index},xvda,w", "file:/img/${index}.iso,xvdc:cdrom,r" ]\n`;
    case 3: return `extra_${index} = 'console=hvc0 root=/dev/xvda${index % 9}' # comment ${index}\n`;
    default: return `vif_${index} = [ "bridge=xenbr0,mac=00:16:3e:00:${(index % 256).toString(16).padStart(2, '0')}:01" ]\n`;
  }
}

const lines = [];
let configBytes = 0;
for (let index = 0; configBytes < targetBytes; index += 1) {
  const text = line(index);
  lines.push(text);
  configBytes += text.length;
}
const config = lines.join('');

// The same keys and values as JSON pairs, grown (or cut at a pair boundary) to the same length.
const pairs = [];
let jsonBytes = 2;
for (let index = 0; jsonBytes < config.length; index += 1) {
  const text = lines[index % lines.length];
  const equals = text.indexOf('=');
  const pair = JSON.stringify([text.slice(0, equals).trim(), text.slice(equals + 1).trim()]);
  pairs.push(pair);
  jsonBytes += pair.length + 1;
}
const json = `[${pairs.join(',')}]`;

/**
 * Times both sides in alternating blocks (so load on the shared machine hits them alike) and
 * reports each side's median block rate.
 */
function measurePair(sides) {
  const rounds = quick ? 3 : 7;
  const block = seconds / (rounds * sides.length);
  for (let warm = 0; warm < 3; warm += 1) for (const side of sides) side.work(); // warm up the JIT
  const rates = sides.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    sides.forEach((side, index) => {
      let runs = 0;
      const start = process.hrtime.bigint();
      let spent = 0;
      while (spent < block || runs < 2) {
        side.work();
        runs += 1;
        spent = Number(process.hrtime.bigint() - start) / 1e9;
      }
      rates[index].push((side.bytes * runs) / spent / (1024 * 1024));
    });
  }
  return sides.map((side, index) => {
    const sorted = rates[index].sort((left, right) => left - right);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`${side.label.padEnd(34)} ${median.toFixed(1).padStart(8)} MB/s  (median of ${rounds} blocks; ${(side.bytes / 1024 / 1024).toFixed(2)} MB input)`);
    return median;
  });
}

const check = parseXlCfg(config, { source: 'bench.cfg' });
if (!check.ok) throw new Error(`generated config did not parse: ${check.diagnostics[0]?.message}`);
console.log(`config ${config.length} bytes, ${check.config.settings.length} settings; JSON ${json.length} bytes, ${pairs.length} pairs`);
const [ours, baseline] = measurePair([
  { label: 'parseXlCfg (xl.cfg)', bytes: config.length, work: () => parseXlCfg(config, { source: 'bench.cfg' }) },
  { label: 'JSON.parse ([key, value] pairs)', bytes: json.length, work: () => JSON.parse(json) },
]);
const ratio = baseline / ours;
console.log(`ratio: JSON.parse is ${ratio.toFixed(2)}x faster (goal: within 3x) -> ${ratio <= 3 ? 'met' : 'NOT met'}`);
