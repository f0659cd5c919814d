/**
 * The notify table for the VM Generation ID device: an SSDT whose AML does
 * `Notify(<VGID path>, 0x80)`, the change event the Microsoft spec asks of the platform. Xen's
 * hvmloader has nothing of the kind (its DSDT never notifies `\_SB.PCI0.ISA.VGID`); QEMU raises
 * the same event from a GPE handler in its own vmgenid SSDT (`hw/acpi/vmgenid.c` vmgenid_build_acpi:
 * `\_GPE._E05` → `Notify(\_SB.VGEN, 0x80)`, fired by setting bit 5 of the GPE0 status register).
 *
 * Two triggers can be put in the table:
 * - a GPE handler `\_GPE._Exx` (edge) or `_Lxx` (level): what our firmware adds, so the hypervisor
 *   can tell a running guest that its ID changed (`Hypervisor.raiseGpe`);
 * - a thermal zone `\_TZ.VGTZ` whose `_TMP` notifies: what qemu-dm's Linux guests use, since the
 *   guest can trigger it itself by reading the zone's temperature (Linux `drivers/acpi/thermal.c`),
 *   with no GPE plumbing in QEMU's TCG machine; with `_TZP` the kernel reads it periodically by
 *   itself (QEMU 7.2's own `vmgenid` device cannot be told of a new ID while the guest runs: its
 *   `guid` is fixed once realized, and it raises GPE 5 only after an incoming migration).
 * The DSDT is never touched: the device stays byte for byte Xen's.
 */
import {
  AML,
  FIELD_ACCESS,
  REGION_SPACE,
  amlField,
  amlIf,
  amlInteger,
  amlLEqual,
  amlMethod,
  amlName,
  amlNameRef,
  amlNotify,
  amlOperationRegion,
  amlReturn,
  amlScope,
  amlStore,
  concatBytes,
  encodeNameString,
  withPkgLength,
  type AmlBytes,
} from './aml-encoder.ts';
import { ACPI_HEADER_SIZE, finishTable } from './table-header.ts';
import { HvmloaderError } from '../../errors.ts';

/** The notify value for a changed ID (ACPI "device check"-style 0x80, as the spec asks). */
export const GENID_NOTIFY_VALUE = 0x80;
/** The thermal zone of the guest-triggered variant, in the namespace ACPICA predefines (`\_TZ`). */
export const GENID_NOTIFY_ZONE_PATH = '\\_TZ.VGTZ';
/** `_CRT` of the zone, in tenths of a kelvin: far above `_TMP`, so nothing ever trips. */
const CRITICAL_TEMPERATURE = 4000;
/** `_TMP` of the zone, in tenths of a kelvin (26.85 °C). */
const REPORTED_TEMPERATURE = 3000;

export interface GenidNotifySsdtOptions {
  /** The device to notify, absolute: `\_SB.PCI0.ISA.VGID` for hvmloader's DSDT. */
  readonly devicePath: string;
  /** Add `\_GPE._Exx` (or `_Lxx` with `level`) for this GPE number (0..255). */
  readonly gpe?: number;
  /** The GPE is level-triggered (`_Lxx`) rather than edge-triggered (`_Exx`, the default). */
  readonly level?: boolean;
  /** Add the thermal zone `\_TZ.VGTZ` whose `_TMP` notifies. */
  readonly thermalZone?: boolean;
  /**
   * With the thermal zone: `_TZP`, asking the OS to read `_TMP` every this many tenths of a second
   * (1..36000; Linux `drivers/acpi/thermal.c` acpi_thermal_get_polling_frequency). The kernel then
   * notifies the device on its own, so a changed ID is seen without a GPE or anything in the guest.
   */
  readonly pollTenths?: number;
  /**
   * With the thermal zone: the 16 bytes of the ID at `address` (guest-physical), and the ID the
   * guest starts with. `_TMP` then notifies only when the bytes differ from those it last saw, so
   * the guest gets one notify per new ID, not one per poll.
   */
  readonly watch?: { readonly address: bigint; readonly initial: { readonly low: bigint; readonly high: bigint } };
  /** Header: revision (default 2), OEM id (6), OEM table id (8), OEM revision, creator id (4), creator revision. */
  readonly revision?: number;
  readonly oemId?: string;
  readonly oemTableId?: string;
  readonly oemRevision?: number;
  readonly creatorId?: string;
  readonly creatorRevision?: number;
}

/** The `_Exx` / `_Lxx` name of a GPE handler, as ACPI names them (two upper-case hex digits). */
export function gpeMethodName(gpe: number, level = false): string {
  if (!Number.isInteger(gpe) || gpe < 0 || gpe > 0xff) throw new HvmloaderError('INVALID_ARGUMENT', `GPE ${String(gpe)} is not in 0..255`);
  return `_${level ? 'L' : 'E'}${gpe.toString(16).toUpperCase().padStart(2, '0')}`;
}

function writeAscii(table: Uint8Array, offset: number, text: string, width: number, what: string): void {
  if (text.length > width || !/^[\x20-\x7e]*$/.test(text)) {
    throw new HvmloaderError('INVALID_ARGUMENT', `${what} must be at most ${width} printable ASCII characters`);
  }
  // Short ids are NUL-padded, as libacpi's strncpy into the header leaves them.
  table.set(Uint8Array.from(text.padEnd(width, '\0'), (character) => character.charCodeAt(0)), offset);
}

/**
 * The watched ID inside the zone: `OperationRegion(VGMR, SystemMemory, <address>, 16)` with the two
 * 64-bit halves `IDLO`/`IDHI`, and `SNLO`/`SNHI`, the halves last seen (the starting ID).
 */
function watchedId(watch: NonNullable<GenidNotifySsdtOptions['watch']>): AmlBytes[] {
  return [
    amlOperationRegion('VGMR', REGION_SPACE.SystemMemory, amlInteger(watch.address), amlInteger(16)),
    amlField('VGMR', FIELD_ACCESS.QWordAcc, [
      { name: 'IDLO', bits: 64 },
      { name: 'IDHI', bits: 64 },
    ]),
    amlName('SNLO', amlInteger(watch.initial.low)),
    amlName('SNHI', amlInteger(watch.initial.high)),
  ];
}

/** Builds the notify SSDT with the triggers asked for (at least one), checksummed. */
export function buildGenidNotifySsdt(options: GenidNotifySsdtOptions): Uint8Array {
  if (!options.devicePath.startsWith('\\')) {
    throw new HvmloaderError('INVALID_ARGUMENT', `the device to notify needs an absolute path, not ${JSON.stringify(options.devicePath)}`);
  }
  const poll = options.pollTenths;
  if (poll !== undefined && (!options.thermalZone || !Number.isInteger(poll) || poll < 1 || poll > 36_000)) {
    throw new HvmloaderError('INVALID_ARGUMENT', `a polling period needs the thermal zone and must be 1..36000 tenths of a second, not ${String(poll)}`);
  }
  if (options.watch !== undefined && !options.thermalZone) {
    throw new HvmloaderError('INVALID_ARGUMENT', 'watching the ID needs the thermal zone');
  }
  if (options.gpe === undefined && !options.thermalZone) {
    throw new HvmloaderError('INVALID_ARGUMENT', 'a notify SSDT needs a GPE handler or the thermal zone');
  }
  const notify = amlNotify(amlNameRef(options.devicePath), amlInteger(GENID_NOTIFY_VALUE));
  const { watch } = options;
  const body: AmlBytes[] = [];
  if (options.gpe !== undefined) {
    body.push(amlScope('\\_GPE', [amlMethod(gpeMethodName(options.gpe, options.level), { args: 0 }, [notify])]));
  }
  if (options.thermalZone) {
    body.push(
      concatBytes([
        Uint8Array.of(AML.EXT_PREFIX, AML.EXT_THERMAL_ZONE),
        withPkgLength(
          concatBytes([
            encodeNameString(GENID_NOTIFY_ZONE_PATH),
            ...(watch === undefined ? [] : watchedId(watch)),
            amlMethod('_TMP', { args: 0 }, [
              // Watching: the same ID as last time returns at once; a new one is kept, then notified.
              ...(watch === undefined
                ? []
                : [
                    amlIf(amlLEqual(amlNameRef('IDLO'), amlNameRef('SNLO')), [
                      amlIf(amlLEqual(amlNameRef('IDHI'), amlNameRef('SNHI')), [amlReturn(amlInteger(REPORTED_TEMPERATURE))]),
                    ]),
                    amlStore(amlNameRef('IDLO'), amlNameRef('SNLO')),
                    amlStore(amlNameRef('IDHI'), amlNameRef('SNHI')),
                  ]),
              notify,
              amlReturn(amlInteger(REPORTED_TEMPERATURE)),
            ]),
            amlMethod('_CRT', { args: 0 }, [amlReturn(amlInteger(CRITICAL_TEMPERATURE))]),
            ...(poll === undefined ? [] : [amlMethod('_TZP', { args: 0 }, [amlReturn(amlInteger(poll))])]),
          ]),
        ),
      ]),
    );
  }
  const aml = concatBytes(body);
  const table = new Uint8Array(ACPI_HEADER_SIZE + aml.length);
  const view = new DataView(table.buffer);
  writeAscii(table, 0, 'SSDT', 4, 'signature');
  view.setUint32(4, table.length, true);
  table[8] = options.revision ?? 2;
  writeAscii(table, 10, options.oemId ?? 'XENSIM', 6, 'OEM id');
  writeAscii(table, 16, options.oemTableId ?? 'VGNOTIFY', 8, 'OEM table id');
  view.setUint32(24, options.oemRevision ?? 1, true);
  writeAscii(table, 28, options.creatorId ?? 'XGEN', 4, 'creator id');
  view.setUint32(32, options.creatorRevision ?? 1, true);
  table.set(aml, ACPI_HEADER_SIZE);
  return finishTable(table);
}
