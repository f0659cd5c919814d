/**
 * The notify half of the toolstack → firmware contract (beyond Xen, which never tells a running
 * guest that its ID changed): the GPE the toolstack raises after changing the ID and the one the
 * firmware's notify SSDT handles with `Notify(\\_SB.PCI0.ISA.VGID, 0x80)`. GPE0 status bit 5 is
 * the one QEMU uses for vmgenid (`hw/acpi/vmgenid.c`, `ACPI_VMGENID_CHANGE_STATUS`).
 */
export const GENID_NOTIFY_GPE = 5;
