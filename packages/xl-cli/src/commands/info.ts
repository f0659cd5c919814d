/**
 * `xl info [-n] [name]` (main_info / print_info, `tools/xl/xl_info.c`): the host's uname, the
 * machine's `libxl_physinfo`, with `-n` its CPU and PCI topology and NUMA nodes, then the
 * hypervisor's `libxl_version_info` and `xend_config_format`. The host is the machine `xl` runs
 * on (as dom0's uname is real xl's); the hypervisor's figures are the simulated machine's
 * (xc-params `physinfo`, `VERSION_INFO`). Without `-n`, an argument keeps only the lines whose text
 * starts with it and prints their values (maybe_printf).
 */
import { hostname, machine, release, version } from 'node:os';
import { SCHEDULER, VERSION_INFO } from '@xen-genid/xc-params';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { hostPhysinfo } from '../toolstack/open-toolstack.ts';

export interface InfoOptions {
  numa: boolean;
}

/** A `key : value` line, padded as xl pads it. */
const field = (key: string, value: string | number): string => `${key.padEnd(23)}: ${value}\n`;
const hex8 = (word: number): string => (word >>> 0).toString(16).padStart(8, '0');
const MIB_PAGES = (1 << 20) / VERSION_INFO.pagesize;

export async function run(input: CommandInput<InfoOptions>, context: CommandContext): Promise<number> {
  const numa = input.options.numa;
  const wanted = !numa && input.args.length > 0 ? input.args[0]! : undefined;
  /** maybe_printf: the whole line, or with a name only the value of each line starting with it. */
  const maybe = (line: string): string => {
    if (wanted === undefined) return line;
    const colon = line.indexOf(':');
    return line.startsWith(wanted) && colon >= 0 && line[colon + 1] === ' ' ? line.slice(colon + 2) : '';
  };
  const phys = await hostPhysinfo(context);
  const caps = phys.caps;
  const virtCaps = [
    caps.pv && 'pv',
    caps.hvm && 'hvm',
    caps.hvm && caps.hvmDirectio && 'hvm_directio',
    caps.pv && caps.hvmDirectio && 'pv_directio',
    caps.hap && 'hap',
    caps.shadow && 'shadow',
    caps.iommuHapPtShare && 'iommu_hap_pt_share',
    caps.vmtrace && 'vmtrace',
    caps.vpmu && 'vpmu',
    caps.gnttabV1 && 'gnttab-v1',
    caps.gnttabV2 && 'gnttab-v2',
  ].filter((cap): cap is string => cap !== false);
  const lines = [
    field('host', hostname()),
    field('release', release()),
    field('version', version()),
    field('machine', machine()),
    field('nr_cpus', phys.nrCpus),
    field('max_cpu_id', phys.maxCpuId),
    field('nr_nodes', phys.nrNodes),
    field('cores_per_socket', phys.coresPerSocket),
    field('threads_per_core', phys.threadsPerCore),
    field('cpu_mhz', `${Math.floor(phys.cpuKhz / 1000)}.${String(phys.cpuKhz % 1000).padStart(3, '0')}`),
    field('hw_caps', phys.hwCap.map(hex8).join(':')),
    `${'virt_caps'.padEnd(23)}:${virtCaps.map((cap) => ` ${cap}`).join('')}\n`,
    field('total_memory', Math.floor(phys.totalPages / MIB_PAGES)),
    field('free_memory', Math.floor(Math.max(0, phys.freePages - phys.outstandingPages) / MIB_PAGES)),
    field('sharing_freed_memory', Math.floor(phys.sharingFreedPages / MIB_PAGES)),
    field('sharing_used_memory', Math.floor(phys.sharingUsedFrames / MIB_PAGES)),
    field('outstanding_claims', Math.floor(phys.outstandingPages / MIB_PAGES)),
    // Every CPU is in Pool-0.
    field('free_cpus', 0),
  ].map(maybe);
  if (numa) lines.push(...topology(phys.nrCpus, phys.totalPages, phys.freePages));
  lines.push(
    ...[
      field('xen_major', VERSION_INFO.major),
      field('xen_minor', VERSION_INFO.minor),
      field('xen_extra', VERSION_INFO.extra),
      field('xen_version', `${VERSION_INFO.major}.${VERSION_INFO.minor}${VERSION_INFO.extra}`),
      field('xen_caps', VERSION_INFO.capabilities),
      field('xen_scheduler', SCHEDULER),
      field('xen_pagesize', VERSION_INFO.pagesize),
      field('platform_params', `virt_start=0x${VERSION_INFO.virtStart.toString(16)}`),
      field('xen_changeset', VERSION_INFO.changeset),
      field('xen_commandline', VERSION_INFO.commandline),
      field('cc_compiler', VERSION_INFO.compiler),
      field('cc_compile_by', VERSION_INFO.compileBy),
      field('cc_compile_domain', VERSION_INFO.compileDomain),
      field('cc_compile_date', VERSION_INFO.compileDate),
      field('build_id', VERSION_INFO.buildId),
      field('xend_config_format', 4),
    ].map(maybe),
  );
  context.stdout.write(lines.join(''));
  return XL_EXIT.OK;
}

/** output_topologyinfo and output_numainfo: every CPU on core N of socket 0, node 0; no PCI devices. */
function topology(nrCpus: number, totalPages: number, freePages: number): string[] {
  const lines = ['cpu_topology           :\n', 'cpu:    core    socket     node\n'];
  const pad = (value: number, width: number) => String(value).padStart(width);
  for (let cpu = 0; cpu < nrCpus; cpu += 1) lines.push(`${pad(cpu, 3)}:    ${pad(cpu, 4)}     ${pad(0, 4)}     ${pad(0, 4)}\n`);
  lines.push('device topology        :\n', 'device           node\n', 'No device topology data available\n');
  const mib = (pages: number) => Math.floor((pages * VERSION_INFO.pagesize) / (1 << 20));
  lines.push('numa_info              :\n', 'node:    memsize    memfree    distances\n');
  lines.push(`${pad(0, 4)}:    ${pad(mib(totalPages), 6)}     ${pad(mib(freePages), 6)}      10\n`);
  return lines;
}
