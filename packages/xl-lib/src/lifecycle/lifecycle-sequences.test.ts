/**
 * Random sequences of lifecycle operations on one machine, checking after every step the invariant
 * of spec/lifecycle.md: for each live HVM domain with an ID, the stored config, the xenstore key,
 * guest memory at HVM param 34 and what the guest OS read are the same 16 bytes (once the guest
 * has run), and the ID changes only where the policy says so.
 */
import { HVM_PARAM_VM_GENERATION_ID_ADDR, type MemoryHypervisor, XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { readGuestRecord } from '@xen-genid/hvmloader-sim/guest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSeededRandomSource } from '../random-bytes.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { genidOfConfig } from '../genid/lifecycle-policy.ts';
import { memoryMachine } from './guest-model.ts';
import { generationIdPath } from '../genid/genid-set.ts';
import { createLibxl, type Libxl } from './libxl.ts';

type Step =
  | { readonly kind: 'create'; readonly genid: boolean; readonly paused: boolean }
  | { readonly kind: 'pause' | 'unpause' | 'reboot' | 'poweroff' | 'destroy' | 'apply'; readonly pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), genid: fc.boolean(), paused: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('pause' as const, 'unpause' as const, 'reboot' as const, 'poweroff' as const, 'destroy' as const, 'apply' as const), pick: fc.nat() }),
);

const seed = Number(process.env.XEN_GENID_FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

function views(libxl: Libxl, hypervisor: MemoryHypervisor, domid: number) {
  const config = genidOfConfig(libxl.retrieveDomainConfiguration(domid));
  const key = libxl.xs.tryRead(generationIdPath(domid));
  const address = hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
  let memory: string | null = null;
  if (address !== 0n) {
    const page = hypervisor.readPage(domid, Number(address / BigInt(XC_PAGE_SIZE))) ?? new Uint8Array(XC_PAGE_SIZE);
    const offset = Number(address % BigInt(XC_PAGE_SIZE));
    memory = MsVmGenid.fromBytes(page.subarray(offset, offset + 16)).toHex();
  }
  return {
    config: config.isZero() ? null : config.toHex(),
    xenstore: key === undefined ? null : MsVmGenid.fromXenstore(new TextDecoder().decode(key)).toHex(),
    memory,
    guest: readGuestRecord(hypervisor, domid)?.genid ?? null,
  };
}

describe('lifecycle sequences', () => {
  it(`keep config, xenstore, memory and the guest's view of the ID in agreement (seed ${seed})`, { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const { hypervisor, xenstore, userdata } = memoryMachine();
        const libxl = createLibxl({ hypervisor, xenstore, userdata, random: createSeededRandomSource(seed) });
        /** domid → the ID the policy says it must have (null: none). */
        const expected = new Map<number, string | null>();
        /** domid → what the guest OS last read (it reads at boot; an apply sends no notify). */
        const guest = new Map<number, string | null>();
        let serial = 0;
        try {
          for (const current of steps) {
            const live = [...expected.keys()];
            const target = current.kind === 'create' ? undefined : live[current.pick % Math.max(live.length, 1)];
            if (current.kind !== 'create' && target === undefined) continue;
            switch (current.kind) {
              case 'create': {
                const config = defaultDomainConfig('hvm');
                config.createInfo.name = `d${serial++}`;
                config.buildInfo.maxMemkb = 65536n;
                config.buildInfo.targetMemkb = 65536n;
                config.onReboot = 'restart';
                const genid = current.genid ? MsVmGenid.generate(createSeededRandomSource(serial + seed)) : null;
                if (genid && config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = genid;
                const domid = libxl.createDomain(config, { paused: current.paused });
                expected.set(domid, genid?.toHex() ?? null);
                guest.set(domid, current.paused ? null : (genid?.toHex() ?? null));
                break;
              }
              case 'pause':
                if (!libxl.domainInfo(target!).paused) libxl.pauseDomain(target!);
                break;
              case 'unpause':
                if (libxl.domainInfo(target!).paused) {
                  const boots = libxl.domainInfo(target!).pendingStart === 'boot';
                  libxl.unpauseDomain(target!);
                  if (boots) guest.set(target!, expected.get(target!)!);
                }
                break;
              case 'reboot':
              case 'poweroff':
                // A guest that never booted has no PV drivers yet: libxl refuses, nothing changes.
                if (!libxl.pvControlAvailable(target!)) {
                  expect(() => (current.kind === 'reboot' ? libxl.rebootDomain(target!) : libxl.shutdownDomain(target!))).toThrow(/PV control interface not available/);
                } else if (current.kind === 'reboot') {
                  libxl.rebootDomain(target!);
                  guest.set(target!, expected.get(target!)!);
                } else {
                  libxl.shutdownDomain(target!);
                  expected.delete(target!);
                }
                break;
              case 'destroy':
                libxl.destroyDomain(target!);
                expected.delete(target!);
                break;
              case 'apply': {
                if (expected.get(target!) === null) break;
                const next = MsVmGenid.generate(createSeededRandomSource(seed + 1000 + serial++));
                libxl.applyGenid(target!, next);
                expected.set(target!, next.toHex());
                break;
              }
            }
            for (const [domid, id] of expected) {
              const seen = views(libxl, hypervisor, domid);
              const info = libxl.domainInfo(domid);
              const ran = info.pendingStart === null;
              expect(seen.config, `domain ${domid} config`).toBe(id);
              expect(seen.xenstore, `domain ${domid} xenstore`).toBe(id);
              expect(seen.memory, `domain ${domid} memory`).toBe(ran ? id : null);
              expect(seen.guest, `domain ${domid} guest`).toBe(guest.get(domid));
            }
            expect(hypervisor.listDomains().map((info) => info.domid).sort((a, b) => a - b)).toEqual([0, ...[...expected.keys()].sort((a, b) => a - b)]);
            // Domain-0's stub config, and each guest's.
            expect(userdata.domids()).toEqual([0, ...[...expected.keys()].sort((a, b) => a - b)]);
          }
        } finally {
          libxl.close();
        }
      }),
      { seed, numRuns: 40 },
    );
  });
});
