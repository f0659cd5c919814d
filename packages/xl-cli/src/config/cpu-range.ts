/**
 * xl's cpu sets for `cpus=` / `cpus_soft=`: `parse_cpurange`, `update_cpumap_range` and
 * `parse_range` (tools/xl/xl_parse.c), on a host of `hostCpus` physical CPUs in one NUMA node. A cpu
 * map is as wide as the host (`libxl_cpu_bitmap_alloc(ctx, map, 0)`); bits beyond it are dropped,
 * as `libxl_bitmap_set` drops them.
 */
import type { XlCfgDiagnostic } from './xl-cfg.ts';
import { strtoul } from './c-numbers.ts';

/** Where xl exits while parsing a cpu set. */
export class CpuRangeError {
  readonly diagnostic: XlCfgDiagnostic;
  constructor(message: string) {
    this.diagnostic = { severity: 'error', message };
  }
}

const ULONG_MAX = (1n << 64n) - 1n;

/**
 * `parse_range`: `A` or `A-B` in decimal, nothing after; `ok` false when it fails. The bounds are
 * what C leaves in `*a` and `*b` either way (`parse_vnuma_config` uses them without checking).
 */
export function parseRange(text: string): { first: bigint; last: bigint; ok: boolean } {
  const first = strtoul(text, 10);
  if (first.end === 0 || first.value === ULONG_MAX) return { first: first.value, last: first.value, ok: false };
  let end = first.end;
  let last = first.value;
  if (text[end] === '-') {
    const second = strtoul(text.slice(end + 1), 10);
    last = second.value;
    if (second.end === 0 || second.value === ULONG_MAX || second.value < first.value) return { first: first.value, last, ok: false };
    end += 1 + second.end;
  }
  return { first: first.value, last, ok: end === text.length };
}

/** `update_cpumap_range`: adds (or with `^` removes) cpus or whole nodes to the set. */
function updateRange(spec: string, cpus: Set<number>, hostCpus: number): void {
  let text = spec;
  const remove = text.startsWith('^');
  if (remove) text = text.slice(1);
  const nodes = text.startsWith('node:') || text.startsWith('nodes:');
  if (nodes) text = text.slice(text.indexOf(':') + 1);
  if (text === 'all') {
    if (remove) throw new CpuRangeError('Can\'t combine "^" and "all".');
    for (let cpu = 0; cpu < hostCpus; cpu += 1) cpus.add(cpu);
    return;
  }
  const { first, last, ok } = parseRange(text);
  if (!ok) throw new CpuRangeError(`Invalid pcpu range: ${text}.`);
  // One node holds every cpu of the host; a node beyond it holds none.
  const members = nodes
    ? first <= 0n
      ? Array.from({ length: hostCpus }, (_, cpu) => cpu)
      : []
    : Array.from({ length: Math.max(0, Number((last < BigInt(hostCpus - 1) ? last : BigInt(hostCpus - 1)) - first) + 1) }, (_, index) => Number(first) + index);
  for (const cpu of members) {
    if (remove) cpus.delete(cpu);
    else cpus.add(cpu);
  }
}

/** `parse_cpurange`: comma-separated ranges, applied in order. Throws `CpuRangeError` where xl exits. */
export function parseCpuRange(spec: string, hostCpus: number): number[] {
  const cpus = new Set<number>();
  for (const part of spec.split(',')) if (part !== '') updateRange(part, cpus, hostCpus);
  return [...cpus].sort((left, right) => left - right);
}
