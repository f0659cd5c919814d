/**
 * The software a domain built by libxl runs, as the hypervisor is made with it (ARCHITECTURE: the
 * model is bound once, when a hypervisor is made or opened): hvmloader-sim's firmware and guest
 * model, whose PV drivers follow the domain's stored config (`hasPvDrivers`). `memoryMachine` makes
 * an in-memory machine with it bound, ready for `createLibxl`.
 */
import { MemoryHypervisor, type GuestModel, type Hypervisor, type MemoryHypervisorOptions } from '@xen-genid/xc-params';
import { createGuestModel } from '@xen-genid/hvmloader-sim/guest';
import { createMemoryStore, type XenStore } from '@xen-genid/xenstore';
import { hasPvDrivers } from '../stored-config.ts';
import { MemoryUserdataStore, type UserdataStore } from '../userdata.ts';

/** The parts of a machine libxl acts on. */
export interface Machine {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
}

/** The guest model of `machine`'s domains (`openHost(path, { guestModel: libxlGuestModel })`). */
export function libxlGuestModel(machine: Machine): GuestModel {
  const { hypervisor, xenstore, userdata } = machine;
  return createGuestModel({ hypervisor, store: xenstore, pvDrivers: (domid) => hasPvDrivers({ hypervisor, userdata }, domid) });
}

/** A machine in memory whose domains run `libxlGuestModel`: `createLibxl(memoryMachine())`. */
export function memoryMachine(options: Omit<MemoryHypervisorOptions, 'guestModel'> = {}): Machine & {
  readonly hypervisor: MemoryHypervisor;
  readonly userdata: MemoryUserdataStore;
} {
  const xenstore = createMemoryStore();
  const userdata = new MemoryUserdataStore();
  const hypervisor = new MemoryHypervisor({ ...options, guestModel: (self) => libxlGuestModel({ hypervisor: self, xenstore, userdata }) });
  return { hypervisor, xenstore, userdata };
}
