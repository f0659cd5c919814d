/**
 * The HVM parameter space of Xen 4.17 (`xen/include/public/hvm/params.h`), used by
 * `HVMOP_set_param` / `HVMOP_get_param`. Names keep Xen's spelling so `git grep` finds both.
 * Numbers without a name (3, 7, 8) are holes in Xen's numbering.
 */
export const HVM_PARAM_CALLBACK_IRQ = 0;
export const HVM_PARAM_STORE_PFN = 1;
export const HVM_PARAM_STORE_EVTCHN = 2;
export const HVM_PARAM_PAE_ENABLED = 4;
export const HVM_PARAM_IOREQ_PFN = 5;
export const HVM_PARAM_BUFIOREQ_PFN = 6;
export const HVM_PARAM_VIRIDIAN = 9;
export const HVM_PARAM_TIMER_MODE = 10;
export const HVM_PARAM_HPET_ENABLED = 11;
export const HVM_PARAM_IDENT_PT = 12;
export const HVM_PARAM_DM_DOMAIN = 13;
export const HVM_PARAM_ACPI_S_STATE = 14;
export const HVM_PARAM_VM86_TSS = 15;
export const HVM_PARAM_VPT_ALIGN = 16;
export const HVM_PARAM_CONSOLE_PFN = 17;
export const HVM_PARAM_CONSOLE_EVTCHN = 18;
export const HVM_PARAM_ACPI_IOPORTS_LOCATION = 19;
/** Deprecated in 4.17 (see HVM_PARAMS_DEPRECATED). */
export const HVM_PARAM_MEMORY_EVENT_CR0 = 20;
export const HVM_PARAM_MEMORY_EVENT_CR3 = 21;
export const HVM_PARAM_MEMORY_EVENT_CR4 = 22;
export const HVM_PARAM_MEMORY_EVENT_INT3 = 23;
export const HVM_PARAM_NESTEDHVM = 24;
export const HVM_PARAM_MEMORY_EVENT_SINGLE_STEP = 25;
export const HVM_PARAM_BUFIOREQ_EVTCHN = 26;
export const HVM_PARAM_PAGING_RING_PFN = 27;
export const HVM_PARAM_MONITOR_RING_PFN = 28;
export const HVM_PARAM_SHARING_RING_PFN = 29;
export const HVM_PARAM_MEMORY_EVENT_MSR = 30;
export const HVM_PARAM_TRIPLE_FAULT_REASON = 31;
export const HVM_PARAM_IOREQ_SERVER_PFN = 32;
export const HVM_PARAM_NR_IOREQ_SERVER_PAGES = 33;
/** Location of the VM Generation ID in guest physical address space. */
export const HVM_PARAM_VM_GENERATION_ID_ADDR = 34;
export const HVM_PARAM_ALTP2M = 35;
export const HVM_PARAM_X87_FIP_WIDTH = 36;
export const HVM_PARAM_VM86_TSS_SIZED = 37;
export const HVM_PARAM_MCA_CAP = 38;
/** Number of HVM params in 4.17 (35 in 4.5). */
export const HVM_NR_PARAMS = 39;

/**
 * Every named HVM param of 4.17, name → number, for tools that take or print names
 * (`xen-hvmctx`-style dumps, `xl` debug output). Holes (3, 7, 8) have no entry.
 */
export const HVM_PARAMS = {
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_PAE_ENABLED,
  HVM_PARAM_IOREQ_PFN,
  HVM_PARAM_BUFIOREQ_PFN,
  HVM_PARAM_VIRIDIAN,
  HVM_PARAM_TIMER_MODE,
  HVM_PARAM_HPET_ENABLED,
  HVM_PARAM_IDENT_PT,
  HVM_PARAM_DM_DOMAIN,
  HVM_PARAM_ACPI_S_STATE,
  HVM_PARAM_VM86_TSS,
  HVM_PARAM_VPT_ALIGN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_MEMORY_EVENT_CR0,
  HVM_PARAM_MEMORY_EVENT_CR3,
  HVM_PARAM_MEMORY_EVENT_CR4,
  HVM_PARAM_MEMORY_EVENT_INT3,
  HVM_PARAM_NESTEDHVM,
  HVM_PARAM_MEMORY_EVENT_SINGLE_STEP,
  HVM_PARAM_BUFIOREQ_EVTCHN,
  HVM_PARAM_PAGING_RING_PFN,
  HVM_PARAM_MONITOR_RING_PFN,
  HVM_PARAM_SHARING_RING_PFN,
  HVM_PARAM_MEMORY_EVENT_MSR,
  HVM_PARAM_TRIPLE_FAULT_REASON,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_NR_IOREQ_SERVER_PAGES,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_ALTP2M,
  HVM_PARAM_X87_FIP_WIDTH,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_MCA_CAP,
} as const;

export type HvmParamName = keyof typeof HVM_PARAMS;

const namesByNumber = new Map<number, HvmParamName>(
  (Object.entries(HVM_PARAMS) as [HvmParamName, number][]).map(([name, index]) => [index, name]),
);

/** The name of param `index` (`'HVM_PARAM_VM_GENERATION_ID_ADDR'` for 34), `undefined` for a hole or out of range. */
export function hvmParamName(index: number): HvmParamName | undefined {
  return namesByNumber.get(index);
}

/** The number of a param by name, with or without the `HVM_PARAM_` prefix; `undefined` if unknown. */
export function hvmParamIndex(name: string): number | undefined {
  const full = name.startsWith('HVM_PARAM_') ? name : `HVM_PARAM_${name}`;
  return Object.hasOwn(HVM_PARAMS, full) ? HVM_PARAMS[full as HvmParamName] : undefined;
}

/**
 * Params 4.17's public header lists as "deprecated and their meaning is undefined"
 * (visible only to `__XEN__`/`__XEN_TOOLS__`).
 */
export const HVM_PARAMS_DEPRECATED: readonly number[] = Object.freeze([
  HVM_PARAM_PAE_ENABLED,
  HVM_PARAM_DM_DOMAIN,
  HVM_PARAM_MEMORY_EVENT_CR0,
  HVM_PARAM_MEMORY_EVENT_CR3,
  HVM_PARAM_MEMORY_EVENT_CR4,
  HVM_PARAM_MEMORY_EVENT_INT3,
  HVM_PARAM_NESTEDHVM,
  HVM_PARAM_MEMORY_EVENT_SINGLE_STEP,
  HVM_PARAM_BUFIOREQ_EVTCHN,
  HVM_PARAM_MEMORY_EVENT_MSR,
]);
