import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hypervisor } from '@xen-genid/xc-params';
import { describeHypervisorConformance } from '@xen-genid/xc-params/testing';
import { openHost, type Host } from './open-host.ts';

const hosts = new Map<Hypervisor, { host: Host; dir: string; owner: boolean }>();

describeHypervisorConformance('sqlite host file', {
  create(guestModel) {
    const dir = mkdtempSync(join(tmpdir(), 'xen-genid-host-'));
    const bind = guestModel === undefined ? {} : { guestModel: ({ hypervisor }: { hypervisor: Hypervisor }) => (typeof guestModel === 'function' ? guestModel(hypervisor) : guestModel) };
    const host = openHost(join(dir, 'host.db'), bind);
    hosts.set(host.hypervisor, { host, dir, owner: true });
    return host.hypervisor;
  },
  reopen(hypervisor) {
    const first = hosts.get(hypervisor)!;
    const host = openHost(first.host.path);
    hosts.set(host.hypervisor, { host, dir: first.dir, owner: false });
    return host.hypervisor;
  },
  dispose(hypervisor) {
    const entry = hosts.get(hypervisor);
    if (!entry) return;
    hosts.delete(hypervisor);
    entry.host.close();
    if (entry.owner) {
      for (const [other, value] of hosts) {
        if (value.dir === entry.dir) {
          value.host.close();
          hosts.delete(other);
        }
      }
      rmSync(entry.dir, { recursive: true, force: true });
    }
  },
});
