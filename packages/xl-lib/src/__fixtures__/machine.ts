/**
 * A whole in-memory machine for xl-lib's tests (hypervisor, xenstore, userdata, a libxl context),
 * and the generation ID as each party sees it, read from the raw state rather than through
 * xl-lib's own query, so the tests check the implementation independently.
 */
import { readGuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { HVM_PARAM_VM_GENERATION_ID_ADDR, type MemoryHypervisor, createGuestMemory } from '@xen-genid/xc-params';
import type { XenStore } from '@xen-genid/xenstore';
import { afterEach, expect } from 'vitest';
import { generationIdPath } from '../genid/genid-set.ts';
import { memoryMachine } from '../lifecycle/guest-model.ts';
import { createLibxl, type Libxl } from '../lifecycle/libxl.ts';
import { genidOfConfig } from '../genid/lifecycle-policy.ts';
import { createSeededRandomSource } from '../random-bytes.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';
import type { MemoryUserdataStore } from '../userdata.ts';
import { copyDomainConfig, type DomainConfig } from '../types/domain-config.ts';
import { LIBXL_MEMKB_DEFAULT } from '../types/idl.ts';

export interface Machine {
  readonly hypervisor: MemoryHypervisor;
  readonly xenstore: XenStore;
  readonly userdata: MemoryUserdataStore;
  readonly libxl: Libxl;
}

const open: Libxl[] = [];
afterEach(() => {
  for (const libxl of open.splice(0)) libxl.close();
});

/** Closes `libxl` after the current test. */
export function closeAfterTest(libxl: Libxl): Libxl {
  open.push(libxl);
  return libxl;
}

/** A fresh machine whose random source is seeded with `seed`; closed after each test. */
export function createMachine(seed: number): Machine {
  const { hypervisor, xenstore, userdata } = memoryMachine();
  const libxl = createLibxl({ hypervisor, xenstore, userdata, random: createSeededRandomSource(seed) });
  closeAfterTest(libxl);
  return { hypervisor, xenstore, userdata, libxl };
}

export interface GenidViews {
  readonly config: string | null;
  readonly xenstore: string | null;
  readonly memory: string | null;
  readonly guest: string | null;
}

/** The ID (hex, null for none) in the stored config, xenstore, guest memory at param 34, and as the guest OS read it. */
export function genidEverywhere(m: Machine, domid: number): GenidViews {
  const config = genidOfConfig(m.libxl.retrieveDomainConfiguration(domid));
  const key = m.libxl.xs.tryRead(generationIdPath(domid));
  const address = m.hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
  let memory: string | null = null;
  if (address !== 0n) {
    memory = MsVmGenid.fromBytes(createGuestMemory(m.hypervisor, domid).read(address, 16)).toHex();
  }
  return {
    config: config.isZero() ? null : config.toHex(),
    xenstore: key === undefined ? null : MsVmGenid.fromXenstore(new TextDecoder().decode(key)).toHex(),
    memory,
    guest: readGuestRecord(m.hypervisor, domid)?.genid ?? null,
  };
}

/** Config, xenstore, memory and the guest OS agree on an ID; returns it. */
export function expectGenidAgreement(m: Machine, domid: number): string {
  const seen = genidEverywhere(m, domid);
  expect(seen.config).not.toBeNull();
  expect(seen).toEqual({ config: seen.config, xenstore: seen.config, memory: seen.config, guest: seen.config });
  return seen.config!;
}

/**
 * What libxl stores of a created domain's config: the given one with its video memory and
 * `msr_relaxed` chosen, its disks' `colo_restore_enable` off, and each nic's devid (the next after
 * the highest given) and type; a nic's MAC must be given (libxl would pick a random one).
 */
export function storedAfterCreate(config: DomainConfig): DomainConfig {
  const stored = copyDomainConfig(config);
  if (stored.buildInfo.videoMemkb === LIBXL_MEMKB_DEFAULT) stored.buildInfo.videoMemkb = stored.createInfo.type === 'hvm' ? 8192n : 0n;
  if (stored.buildInfo.archX86.msrRelaxed === 'default') stored.buildInfo.archX86.msrRelaxed = 'false';
  for (const disk of stored.disks) disk.coloRestoreEnable = 'false';
  let last = Math.max(-1, ...stored.nics.map((nic) => nic.devid));
  for (const nic of stored.nics) {
    if (nic.devid < 0) nic.devid = ++last;
    if (stored.createInfo.type !== 'hvm') nic.nictype = 'vif';
    else if (nic.nictype === 'unknown') nic.nictype = 'vif_ioemu';
  }
  return stored;
}
