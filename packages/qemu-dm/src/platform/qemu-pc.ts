/**
 * The firmware's layout for a Linux guest booted by QEMU's `pc` machine (i440FX + PIIX3,
 * SeaBIOS), used to show that a real kernel reads the ID from our tables. Differences from Xen's
 * layout (`tools/firmware/hvmloader/config.h`), and nothing else:
 * - the `acpi_info` block, the ACPI allocator's area and our RSDP lie in ordinary guest RAM at
 *   112 MiB, which the kernel is told to keep off (`memmap=1M$0x7000000`), because under QEMU
 *   0xFC000000 is an unbacked PCI hole;
 * - the table headers carry QEMU's ids (`BOCHS `, `BXPC    `, as QEMU's `hw/acpi/aml-build.c`
 *   build_header writes them) with a higher OEM revision, so Linux's initrd table upgrade
 *   (`drivers/acpi/tables.c` acpi_table_initrd_override) replaces QEMU's DSDT with ours;
 * - the IO-APIC id and the PCI hole are QEMU's (they only reach the MADT and `acpi_info`).
 * SeaBIOS keeps its own RSDP in the BIOS area; ours is found only by our guest-side reader.
 */
import { XEN_PLATFORM_LAYOUT, type PlatformLayout } from '@xen-genid/hvmloader-sim';

/** Guest-physical base of the firmware's reserved RAM under QEMU (112 MiB: needs -m 128 or more). */
export const QEMU_FIRMWARE_AREA_START = 0x07000000;
/** Its size: the info page plus the allocator's area, 1 MiB as in Xen. */
export const QEMU_FIRMWARE_AREA_SIZE = 0x00100000;
/** QEMU's table header ids (`ACPI_BUILD_APPNAME6`, `ACPI_BUILD_APPNAME8`) and its OEM revision 1. */
export const QEMU_ACPI_OEM_ID = 'BOCHS ';
export const QEMU_ACPI_OEM_TABLE_ID = 'BXPC    ';
export const QEMU_ACPI_OEM_REVISION = 1;
/** Ours: higher than QEMU's, as Linux requires before it replaces a table. */
export const QEMU_OVERRIDE_OEM_REVISION = 0x00010000;

/** The parts both QEMU machines share. */
export function qemuPlatformLayout(name: string, pciMemStart: number): PlatformLayout {
  return Object.freeze({
    ...XEN_PLATFORM_LAYOUT,
    name,
    infoAddress: QEMU_FIRMWARE_AREA_START,
    dynamicStart: QEMU_FIRMWARE_AREA_START + 0x1000,
    dynamicEnd: QEMU_FIRMWARE_AREA_START + QEMU_FIRMWARE_AREA_SIZE,
    rsdpAddress: QEMU_FIRMWARE_AREA_START + 0x100,
    rsdpScanStart: QEMU_FIRMWARE_AREA_START,
    rsdpScanEnd: QEMU_FIRMWARE_AREA_START + 0x1000,
    oemId: QEMU_ACPI_OEM_ID,
    oemTableId: QEMU_ACPI_OEM_TABLE_ID,
    oemRevision: QEMU_OVERRIDE_OEM_REVISION,
    ioapicId: 0,
    pciMemStart,
    pciMemEnd: 0xfec00000,
  });
}

/** QEMU `pc` with up to 3.5 GiB of RAM: the 32-bit PCI hole starts at 0xE0000000. */
export const QEMU_PC_PLATFORM_LAYOUT: PlatformLayout = qemuPlatformLayout('qemu-pc', 0xe0000000);
