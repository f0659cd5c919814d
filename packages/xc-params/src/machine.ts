/**
 * What the simulated machine reports of itself, as libxc reads it from Xen: `xc_physinfo`
 * (`XEN_SYSCTL_physinfo`, `tools/libs/ctrl/xc_misc.c`) and the `XENVER_*` version queries
 * (`xc_version`), which libxl turns into `libxl_physinfo` and `libxl_version_info`
 * (`libxl_get_physinfo`, `libxl_get_version_info` in `tools/libs/light/libxl.c`) for `xl info`.
 *
 * The machine is a choice of ours: two CPUs on one socket and one NUMA node, 16 GiB of RAM, Xen
 * 4.17 with the credit2 scheduler and both PV and HVM guests (HAP, grant tables v1 and v2). Its
 * memory is an account, not a limit: free memory is what Domain-0 and the guests leave of it, and
 * no create is refused for lack of it (docs/divergences.md).
 */
import type { DomainInfo, Hypervisor, PagesHeld } from './hypervisor.ts';
import { XC_PAGE_SIZE } from './hypervisor.ts';

/** Domain-0 as the simulated machine boots it: 4 GiB, one vCPU per CPU, the all-zero handle. */
export const DOMAIN0_MAX_MEM_KB = 4 * 1024 * 1024;
export const DOMAIN0_VCPUS = 2;

/** `xc_physinfo_t`'s fields that `xl info` prints. */
export interface Physinfo {
  readonly nrCpus: number;
  readonly maxCpuId: number;
  readonly nrNodes: number;
  readonly coresPerSocket: number;
  readonly threadsPerCore: number;
  readonly cpuKhz: number;
  /** `hw_cap[8]`: the CPUID feature words Xen saw at boot. */
  readonly hwCap: readonly number[];
  /** `virt_caps`, in the order `xl info` names them. */
  readonly caps: {
    readonly pv: boolean;
    readonly hvm: boolean;
    readonly hvmDirectio: boolean;
    readonly hap: boolean;
    readonly shadow: boolean;
    readonly iommuHapPtShare: boolean;
    readonly vmtrace: boolean;
    readonly vpmu: boolean;
    readonly gnttabV1: boolean;
    readonly gnttabV2: boolean;
  };
  readonly totalPages: number;
  readonly freePages: number;
  readonly outstandingPages: number;
  readonly sharingFreedPages: number;
  readonly sharingUsedFrames: number;
}

/** `libxl_version_info`: what the `XENVER_*` queries return. */
export interface VersionInfo {
  readonly major: number;
  readonly minor: number;
  readonly extra: string;
  readonly capabilities: string;
  readonly pagesize: number;
  readonly virtStart: bigint;
  readonly changeset: string;
  readonly commandline: string;
  readonly compiler: string;
  readonly compileBy: string;
  readonly compileDomain: string;
  readonly compileDate: string;
  readonly buildId: string;
}

/** The machine's RAM: 16 GiB. */
const TOTAL_PAGES = (16 * 1024 * 1024 * 1024) / XC_PAGE_SIZE;

/** `XENVER_*` of the simulated hypervisor: Xen 4.17 on x86-64, built by nobody (no compiler ran). */
export const VERSION_INFO: VersionInfo = {
  major: 4,
  minor: 17,
  extra: '.0',
  // XENVER_capabilities of a 64-bit Xen with HVM support, trailing space included.
  capabilities: 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ',
  pagesize: XC_PAGE_SIZE,
  // XENVER_platform_parameters: HYPERVISOR_VIRT_START of x86-64.
  virtStart: 0xffff800000000000n,
  changeset: '',
  commandline: '',
  compiler: '',
  compileBy: '',
  compileDomain: '',
  compileDate: '',
  buildId: '',
};

/** `XEN_SYSCTL_SCHEDULER_*` of the machine's default cpupool, as libxl names it. */
export const SCHEDULER = 'credit2';

/** The pages `domains` hold: each one's maximum, rounded up to whole pages; and those claimed, not allocated. */
export function pagesHeldBy(domains: readonly DomainInfo[]): PagesHeld {
  let held = 0;
  let outstanding = 0;
  for (const domain of domains) {
    held += Math.ceil((domain.maxMemKb * 1024) / XC_PAGE_SIZE);
    outstanding += domain.outstandingPages ?? 0;
  }
  return { held, outstanding };
}

/**
 * `xc_physinfo` of the simulated machine now: its fixed topology, and free memory as the RAM less
 * what the domains hold (each one's maximum, Domain-0's included, less what it has claimed and not
 * yet allocated; never below 0).
 */
export function physinfo(hypervisor: Pick<Hypervisor, 'listDomains' | 'pagesHeld'>): Physinfo {
  const { held: used, outstanding } = hypervisor.pagesHeld?.() ?? pagesHeldBy(hypervisor.listDomains());
  return {
    nrCpus: DOMAIN0_VCPUS,
    maxCpuId: DOMAIN0_VCPUS - 1,
    nrNodes: 1,
    coresPerSocket: DOMAIN0_VCPUS,
    threadsPerCore: 1,
    cpuKhz: 2_000_000,
    hwCap: [0, 0, 0, 0, 0, 0, 0, 0],
    caps: {
      pv: true,
      hvm: true,
      hvmDirectio: false,
      hap: true,
      shadow: false,
      iommuHapPtShare: false,
      vmtrace: false,
      vpmu: false,
      gnttabV1: true,
      gnttabV2: true,
    },
    totalPages: TOTAL_PAGES,
    freePages: Math.max(0, TOTAL_PAGES - (used - outstanding)),
    outstandingPages: outstanding,
    sharingFreedPages: 0,
    sharingUsedFrames: 0,
  };
}

/**
 * What the simulated Xen prints while it boots, as its console ring holds it: the lines of Xen
 * 4.17's boot (`console_init_preirq` in `xen/drivers/char/console.c`, `__start_xen` in
 * `xen/arch/x86/setup.c`, `scheduler_init` in `xen/common/sched/core.c`) that this machine's own
 * facts fill in, each with printk's `(XEN) ` prefix. A real boot prints hundreds more about
 * hardware this machine does not have (docs/divergences.md).
 */
export function xenBootLog(): string {
  const v = VERSION_INFO;
  return [
    `Xen version ${v.major}.${v.minor}${v.extra} (${v.compileBy}@${v.compileDomain}) (${v.compiler}) debug=n ${v.compileDate}`,
    `Latest ChangeSet: ${v.changeset}`,
    `Command line: ${v.commandline}`,
    `Using scheduler: SMP Credit Scheduler rev2 (${SCHEDULER})`,
    `Brought up ${DOMAIN0_VCPUS} CPUs`,
  ]
    .map((line) => `(XEN) ${line}\n`)
    .join('');
}
