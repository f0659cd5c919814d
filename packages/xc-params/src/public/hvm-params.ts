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
/** Deprecated in Xen (memory-event params). */
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
