import { DOMAIN0_MAX_MEM_KB } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { yajlBeautify } from '../json/yajl-gen.ts';
import { getDomainConfiguration } from '../stored-config.ts';
import { defaultDomainConfig, domainConfigToJson, type DomainConfig } from '../types/domain-config.ts';
import { USERDATA_LIBXL_JSON, MemoryUserdataStore } from '../userdata.ts';
import { closeAfterTest, createMachine } from '../__fixtures__/machine.ts';
import { memoryMachine } from './guest-model.ts';
import { createLibxl } from './libxl.ts';

const decoder = new TextDecoder();

function config(type: 'hvm' | 'pv', name: string): DomainConfig {
  const made = defaultDomainConfig(type);
  made.createInfo.name = name;
  made.buildInfo.maxMemkb = 131072n;
  made.buildInfo.targetMemkb = 65536n;
  made.buildInfo.maxVcpus = 2;
  return made;
}

describe('retrieveDomainConfiguration: the stored config brought up to date from the live domain', () => {
  it("gives Domain-0 xen-init-dom0's stub with its memory, filled into xenstore from the hypervisor the first time", () => {
    const m = createMachine(1);
    const kb = String(DOMAIN0_MAX_MEM_KB);
    expect(m.libxl.xs.exists('/local/domain/0/memory/target')).toBe(false);
    expect(JSON.parse(yajlBeautify(domainConfigToJson(m.libxl.retrieveDomainConfiguration(0))))).toEqual({
      c_info: { type: 'pv', name: 'Domain-0' },
      b_info: {
        max_memkb: DOMAIN0_MAX_MEM_KB,
        // The stub's video memory is LIBXL_MEMKB_DEFAULT: libxl's fudge takes one off the target.
        target_memkb: DOMAIN0_MAX_MEM_KB - 1,
        sched_params: { sched: 'credit2', weight: 256, cap: 0 },
        'type.pv': {},
        arch_arm: {},
        arch_x86: {},
      },
    });
    expect(decoder.decode(m.libxl.xs.read('/local/domain/0/memory/target'))).toBe(kb);
    expect(decoder.decode(m.libxl.xs.read('/local/domain/0/memory/static-max'))).toBe(kb);
    // Once there, they are read, not written again.
    m.libxl.xs.write('/local/domain/0/memory/target', '524288');
    expect(m.libxl.retrieveDomainConfiguration(0).buildInfo.targetMemkb).toBe(524287n);
  });

  it("follows the domain's name, memory target and scheduler parameters, and leaves the stored config as it was", () => {
    const m = createMachine(2);
    const domid = m.libxl.createDomain(config('hvm', 'live'));
    const stored = getDomainConfiguration(m.libxl, domid);
    const fresh = m.libxl.retrieveDomainConfiguration(domid);
    expect(fresh.buildInfo).toMatchObject({ maxMemkb: 131072n, targetMemkb: 65536n, schedParams: { sched: 'credit2', weight: 256, cap: 0 } });
    expect(fresh.createInfo.uuid).toBe(m.hypervisor.getDomain(domid)!.uuid);

    m.libxl.xs.write(`/local/domain/${domid}/name`, 'renamed-behind');
    // What a balloon to 48 MiB writes: the target less video memory and libxl's 1 MiB slack.
    m.libxl.xs.write(`/local/domain/${domid}/memory/target`, String(49152 - 8192 - 1024));
    m.hypervisor.setSchedCredit2(domid, { weight: 100, cap: 50 });
    const later = m.libxl.retrieveDomainConfiguration(domid);
    expect(later.createInfo.name).toBe('renamed-behind');
    expect(later.buildInfo.targetMemkb).toBe(49152n);
    expect(later.buildInfo.schedParams).toMatchObject({ sched: 'credit2', weight: 100, cap: 50 });
    expect(getDomainConfiguration(m.libxl, domid)).toEqual(stored);
  });

  it("takes a PV guest's vCPUs from their availability in xenstore", () => {
    const m = createMachine(3);
    const domid = m.libxl.createDomain(config('pv', 'pv'));
    expect(m.libxl.retrieveDomainConfiguration(domid).buildInfo.availVcpus).toEqual([0, 1]);
    m.libxl.xs.write(`/local/domain/${domid}/cpu/1/availability`, 'offline');
    expect(m.libxl.retrieveDomainConfiguration(domid).buildInfo.availVcpus).toEqual([0]);
  });

  it("fails as libxl does for a guest whose memory entries are gone", () => {
    const m = createMachine(4);
    const domid = m.libxl.createDomain(config('hvm', 'hollow'));
    m.libxl.xs.rm(`/local/domain/${domid}/memory/static-max`);
    expect(() => m.libxl.retrieveDomainConfiguration(domid)).toThrow(
      expect.objectContaining({
        code: 'FAIL',
        message: `Domain ${domid}:Cannot get target memory info from /local/domain/${domid}/memory/static-max`,
      }),
    );
  });
});

describe("Domain-0's set-up, as xen-init-dom0 does it", () => {
  it('stores the stub config and writes the keys once; a host set up already is left alone', () => {
    const { hypervisor, xenstore, userdata } = memoryMachine();
    closeAfterTest(createLibxl({ hypervisor, xenstore, userdata }));
    expect(decoder.decode(userdata.retrieve(0, USERDATA_LIBXL_JSON)!)).toMatch(/^\{\n {4}"c_info": \{\n {8}"type": "pv"\n {4}\},/);
    const other = new MemoryUserdataStore();
    closeAfterTest(createLibxl({ hypervisor, xenstore, userdata: other }));
    expect(other.domids()).toEqual([]);
  });
});
