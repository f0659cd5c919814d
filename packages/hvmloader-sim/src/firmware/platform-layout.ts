/**
 * Where the firmware puts things in guest-physical memory, and how it signs its tables. Xen's
 * layout is the default (`tools/firmware/hvmloader/config.h`: ACPI_INFO_PHYSICAL_ADDRESS,
 * ACPI_MEMORY_DYNAMIC_START, RESERVED_MEMORY_DYNAMIC_START; `rombios.c`: ACPI_PHYSICAL_ADDRESS for
 * the RSDP; `tools/libacpi/acpi2_0.h`: ACPI_OEM_ID, ACPI_OEM_TABLE_ID, ACPI_CREATOR_ID).
 * Kept as data so other platform layouts can be described without touching the table builders.
 */
export interface PlatformLayout {
  /** Short name, for messages. */
  readonly name: string;
  /** Guest-physical address of `struct acpi_info` (the AML `\_SB.BIOS` region). */
  readonly infoAddress: number;
  /** Its size in bytes (`sizeof(struct acpi_info)`). */
  readonly infoSize: number;
  /** First byte of the ACPI allocator's area. */
  readonly dynamicStart: number;
  /** First byte past the ACPI allocator's area (allocations must end below it). */
  readonly dynamicEnd: number;
  /** Where the RSDP is written; must be 16-byte aligned inside `rsdpScanStart`..`rsdpScanEnd`. */
  readonly rsdpAddress: number;
  /** The BIOS area an OS scans for the RSDP (ACPI 6.5 §5.2.5.1). */
  readonly rsdpScanStart: number;
  readonly rsdpScanEnd: number;
  /** Header fields of every table the firmware builds. */
  readonly oemId: string;
  readonly oemTableId: string;
  readonly oemRevision: number;
  readonly creatorId: string;
  readonly creatorRevision: number;
  /** Revision of the DSDT header (2: 64-bit AML integers). */
  readonly dsdtRevision: number;
  /** Local APIC and IO-APIC of the MADT (`config.h` LAPIC_BASE_ADDRESS, IOAPIC_BASE_ADDRESS, IOAPIC_ID). */
  readonly lapicAddress: number;
  readonly ioapicAddress: number;
  readonly ioapicId: number;
  /** ISA IRQs routed as PCI interrupts (`config.h` PCI_ISA_IRQ_MASK). */
  readonly pciIsaIrqMask: number;
  /** Low PCI MMIO hole (`pci.c` pci_mem_start / pci_mem_end defaults). */
  readonly pciMemStart: number;
  readonly pciMemEnd: number;
}

/** Xen 4.17's hvmloader with the ROMBIOS-style RSDP placement. */
export const XEN_PLATFORM_LAYOUT: PlatformLayout = Object.freeze({
  name: 'xen',
  infoAddress: 0xfc000000,
  infoSize: 40,
  dynamicStart: 0xfc001000,
  dynamicEnd: 0xfc100000,
  rsdpAddress: 0xea020,
  rsdpScanStart: 0xe0000,
  rsdpScanEnd: 0x100000,
  oemId: 'Xen',
  oemTableId: 'HVM',
  oemRevision: 0,
  creatorId: 'HVML',
  creatorRevision: 0,
  dsdtRevision: 2,
  lapicAddress: 0xfee00000,
  ioapicAddress: 0xfec00000,
  ioapicId: 1,
  pciIsaIrqMask: 0x0c20,
  pciMemStart: 0xf0000000,
  pciMemEnd: 0xfc000000,
});
