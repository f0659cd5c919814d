/**
 * `xl info`: the keys of xl_info.c in their order (checked against real Xen 4.17's output in the
 * integration's real-xen tier), the machine's free memory following what the domains hold, the
 * `-n` sections, and a name keeping only the values of the lines it starts.
 */
import { describe, expect, it } from 'vitest';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const keys = (text: string): string[] => [...text.matchAll(/^(\w+)\s+:/gm)].map((match) => match[1]!);

describe('xl info', () => {
  it("prints xl_info.c's keys in order, and free memory is what Domain-0 and the guests leave", async () => {
    const world = memoryXl();
    const before = await world.xl(['info']);
    expect(before.status).toBe(0);
    expect(before.stderr).toBe('');
    expect(keys(before.stdout)).toEqual([
      'host', 'release', 'version', 'machine', 'nr_cpus', 'max_cpu_id', 'nr_nodes', 'cores_per_socket',
      'threads_per_core', 'cpu_mhz', 'hw_caps', 'virt_caps', 'total_memory', 'free_memory', 'sharing_freed_memory',
      'sharing_used_memory', 'outstanding_claims', 'free_cpus', 'xen_major', 'xen_minor', 'xen_extra', 'xen_version',
      'xen_caps', 'xen_scheduler', 'xen_pagesize', 'platform_params', 'xen_changeset', 'xen_commandline', 'cc_compiler',
      'cc_compile_by', 'cc_compile_domain', 'cc_compile_date', 'build_id', 'xend_config_format',
    ]);
    expect(before.stdout).toContain('virt_caps              : pv hvm hap gnttab-v1 gnttab-v2\n');
    expect(before.stdout).toContain('xen_version            : 4.17.0\n');
    expect(before.stdout).toMatch(/^xend_config_format {5}: 4\n$/m);
    expect((await world.xl(['info', 'free_memory'])).stdout).toBe('12288\n');
    await world.ok(['create', world.file('a.cfg', 'name = "a"\ntype = "hvm"\nmemory = 512\n')]);
    expect((await world.xl(['info', 'free_memory'])).stdout).toBe(`${12288 - 512}\n`);
  });

  it('with a name prints the value of every line that starts with it; an unknown name prints nothing', async () => {
    const world = memoryXl();
    expect(await world.xl(['info', 'xen_v'])).toEqual({ status: 0, stdout: '4.17.0\n', stderr: '' });
    expect((await world.xl(['info', 'free'])).stdout).toBe('12288\n0\n');
    expect(await world.xl(['info', 'nosuch'])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('with -n adds the CPU, device and NUMA topology, and ignores a name', async () => {
    const world = memoryXl();
    const numa = await world.xl(['info', '-n', 'xen_v']);
    expect(numa.status).toBe(0);
    expect(numa.stdout).toContain(
      'free_cpus              : 0\ncpu_topology           :\ncpu:    core    socket     node\n  0:       0        0        0\n  1:       1        0        0\n' +
        'device topology        :\ndevice           node\nNo device topology data available\n' +
        'numa_info              :\nnode:    memsize    memfree    distances\n   0:     16384      12288      10\nxen_major              : 4\n',
    );
    expect((await world.xl(['info', '--numa'])).stdout).toBe(numa.stdout);
  });
});
