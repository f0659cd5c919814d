/**
 * The fake domain table of the referee's stub libxc (`referee.mjs` SCENARIOS), served to our xl
 * through the same interface the toolstack reads domains from (xc-params' `Hypervisor`), so that
 * both xls see the same domains: ids, states, pages, CPU time. Names go into xenstore, where
 * libxl and the stub both read them. Everything else is MemoryHypervisor's.
 */
import { MemoryHypervisor, domainPath, type MemoryHypervisorOptions, type DomainInfo, type DomainType, type ShutdownReason } from '@xen-genid/xc-params';
import type { XenStore } from '@xen-genid/xenstore';

/** A domain of a SCENARIOS table (see referee.mjs). */
export interface ScenarioDomain {
  readonly domid: number;
  readonly name: string | null;
  readonly uuid: string;
  readonly hvm: boolean;
  readonly state: string;
  readonly pages: number;
  readonly outstanding: number;
  readonly vcpus: number;
  readonly cpuTimeNs: number;
}

function infoOf(domain: ScenarioDomain): DomainInfo {
  const [state, reason] = domain.state.split(':');
  return {
    domid: domain.domid,
    type: domain.hvm ? 'hvm' : 'pv',
    uuid: domain.uuid,
    maxMemKb: domain.pages * 4,
    vcpus: domain.vcpus,
    paused: state === 'paused',
    shutdown: state === 'shutdown' ? (reason as ShutdownReason) : null,
    pendingStart: null,
    createdAt: 0,
    cpuTimeNs: domain.cpuTimeNs,
    outstandingPages: domain.outstanding,
    dying: state === 'dying',
  };
}

export class ScenarioHypervisor extends MemoryHypervisor {
  readonly #domains: ReadonlyMap<number, DomainInfo>;

  constructor(domains: readonly ScenarioDomain[], options: MemoryHypervisorOptions = {}) {
    super(options);
    this.#domains = new Map(domains.map((domain) => [domain.domid, infoOf(domain)]));
  }

  override listDomains(): DomainInfo[] {
    return [...this.#domains.values()].sort((a, b) => a.domid - b.domid);
  }

  override getDomain(domid: number): DomainInfo | undefined {
    return this.#domains.get(domid);
  }

  override domainType(domid: number): DomainType | undefined {
    return this.#domains.get(domid)?.type;
  }
}

/** Writes each named domain's `/local/domain/<domid>/name`. */
export function writeScenarioNames(xenstore: XenStore, domains: readonly ScenarioDomain[]): void {
  const xs = xenstore.connect(0);
  try {
    for (const domain of domains) if (domain.name !== null) xs.write(`${domainPath(domain.domid)}/name`, domain.name);
  } finally {
    xs.close();
  }
}
