/**
 * The boot harness's notify table: an SSDT holding `ThermalZone(\_TZ.VGTZ)` whose `_TMP` does
 * `Notify(<VGID path>, 0x80)`. The guest raises the notify itself by reading the zone's
 * temperature (Linux `drivers/acpi/thermal.c` acpi_thermal_get_temperature evaluates `_TMP`), so a
 * running guest can be told to re-read its generation ID without host-side GPE plumbing, which
 * QEMU's TCG machine does not offer. The notify reaches Linux's vmgenid driver
 * (`drivers/virt/vmgenid.c` vmgenid_notify, ≥ 6.10 vmgenid_acpi_handler) as any ACPI event would.
 *
 * This table belongs to the harness, not to hvmloader: Xen's tables never notify the VGID device.
 */
import { AML, amlInteger, amlMethod, amlNameRef, amlNotify, amlReturn, concatBytes, encodeNameString, withPkgLength } from '../acpi/aml-encoder.ts';
import { ACPI_HEADER_SIZE, finishTable } from '../acpi/table-header.ts';
import { HvmloaderError } from '../errors.ts';

/** The zone, in the namespace ACPICA predefines (`\_TZ`). */
export const NOTIFY_ZONE_PATH = '\\_TZ.VGTZ';
/** `_CRT` of the zone, in tenths of a kelvin: far above `_TMP`, so nothing ever trips. */
const CRITICAL_TEMPERATURE = 4000;
/** `_TMP` of the zone, in tenths of a kelvin (26.85 °C). */
const REPORTED_TEMPERATURE = 3000;

export interface NotifySsdtOptions {
  /** The device to notify, absolute: `\_SB.PCI0.ISA.VGID` for hvmloader's DSDT. */
  readonly devicePath: string;
  /** Header OEM id, at most 6 characters (default `XENSIM`). */
  readonly oemId?: string;
  /** Header OEM table id, at most 8 characters (default `VGNOTIFY`): not QEMU's, so Linux adds the table. */
  readonly oemTableId?: string;
}

function writeAscii(table: Uint8Array, offset: number, text: string, width: number, what: string): void {
  if (text.length > width || !/^[\x20-\x7e]*$/.test(text)) {
    throw new HvmloaderError('INVALID_ARGUMENT', `${what} must be at most ${width} printable ASCII characters`);
  }
  table.set(Uint8Array.from(text.padEnd(width, ' '), (character) => character.charCodeAt(0)), offset);
}

/** Builds the notify SSDT (header revision 2, creator `XGEN` 1, checksummed). */
export function buildNotifySsdt(options: NotifySsdtOptions): Uint8Array {
  if (!options.devicePath.startsWith('\\')) {
    throw new HvmloaderError('INVALID_ARGUMENT', `the device to notify needs an absolute path, not ${JSON.stringify(options.devicePath)}`);
  }
  const zone = concatBytes([
    Uint8Array.of(AML.EXT_PREFIX, AML.EXT_THERMAL_ZONE),
    withPkgLength(
      concatBytes([
        encodeNameString(NOTIFY_ZONE_PATH),
        amlMethod('_TMP', { args: 0 }, [
          amlNotify(amlNameRef(options.devicePath), amlInteger(0x80)),
          amlReturn(amlInteger(REPORTED_TEMPERATURE)),
        ]),
        amlMethod('_CRT', { args: 0 }, [amlReturn(amlInteger(CRITICAL_TEMPERATURE))]),
      ]),
    ),
  ]);
  const table = new Uint8Array(ACPI_HEADER_SIZE + zone.length);
  const view = new DataView(table.buffer);
  writeAscii(table, 0, 'SSDT', 4, 'signature');
  view.setUint32(4, table.length, true);
  table[8] = 2;
  writeAscii(table, 10, options.oemId ?? 'XENSIM', 6, 'OEM id');
  writeAscii(table, 16, options.oemTableId ?? 'VGNOTIFY', 8, 'OEM table id');
  view.setUint32(24, 1, true);
  writeAscii(table, 28, 'XGEN', 4, 'creator id');
  view.setUint32(32, 1, true);
  table.set(zone, ACPI_HEADER_SIZE);
  return finishTable(table);
}
