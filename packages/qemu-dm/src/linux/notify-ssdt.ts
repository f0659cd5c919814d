/**
 * The boot harness's notify table: an SSDT holding `ThermalZone(\_TZ.VGTZ)` whose `_TMP` does
 * `Notify(<VGID path>, 0x80)`. The guest raises the notify itself by reading the zone's
 * temperature (Linux `drivers/acpi/thermal.c` acpi_thermal_get_temperature evaluates `_TMP`), so a
 * running guest can be told to re-read its generation ID without host-side GPE plumbing, which
 * QEMU's TCG machine does not offer. The notify reaches Linux's vmgenid driver
 * (`drivers/virt/vmgenid.c` vmgenid_notify, ≥ 6.10 vmgenid_acpi_handler) as any ACPI event would.
 *
 * The table is built by the same builder as the firmware's GPE notify table
 * (hvmloader-sim's `buildGenidNotifySsdt`), with the thermal-zone trigger only.
 */
import { GENID_NOTIFY_ZONE_PATH, buildGenidNotifySsdt } from '@xen-genid/hvmloader-sim';

/** The zone, in the namespace ACPICA predefines (`\_TZ`). */
export const NOTIFY_ZONE_PATH = GENID_NOTIFY_ZONE_PATH;

export interface NotifySsdtOptions {
  /** The device to notify, absolute: `\_SB.PCI0.ISA.VGID` for hvmloader's DSDT. */
  readonly devicePath: string;
  /** Header OEM id, at most 6 characters (default `XENSIM`). */
  readonly oemId?: string;
  /** Header OEM table id, at most 8 characters (default `VGNOTIFY`): not QEMU's, so Linux adds the table. */
  readonly oemTableId?: string;
}

/** Builds the notify SSDT (header revision 2, creator `XGEN` 1, checksummed). */
export function buildNotifySsdt(options: NotifySsdtOptions): Uint8Array {
  return buildGenidNotifySsdt({
    devicePath: options.devicePath,
    thermalZone: true,
    ...(options.oemId !== undefined ? { oemId: options.oemId } : {}),
    ...(options.oemTableId !== undefined ? { oemTableId: options.oemTableId } : {}),
  });
}
