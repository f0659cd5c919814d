/**
 * The software inside an HVM domain, as the hypervisor runs it (xc-params' `GuestModel`): the
 * firmware (`runFirmware`), then a minimal OS that reads the VM Generation ID through ACPI the way
 * Linux's vmgenid driver does: at boot, on every ACPI Notify of its device, and (a model choice, so
 * its view can be checked) once when resumed after a restore or migration. Everything it sees goes
 * into the domain's guest record.
 */
import { HVM_PARAM_CALLBACK_IRQ, type DomainTrigger, type GuestModel, type Hypervisor } from '@xen-genid/xc-params';
import { XS_ERRNO, XsError, type XenStore } from '@xen-genid/xenstore';
import { AmlInterpreter } from './aml/loader.ts';
import { Namespace } from './aml/namespace.ts';
import { HvmloaderError } from '../errors.ts';
import { runFirmware } from '../firmware/hvmloader.ts';
import { DomainMemory } from '../guest-memory.ts';
import type { PlatformLayout } from '../firmware/platform-layout.ts';
import { walkAcpiTables } from './acpi-tables.ts';
import {
  EMPTY_GUEST_RECORD,
  GUEST_RECORD_HISTORY,
  guestRecordToJson,
  readGuestRecord,
  type GuestEvent,
  type GuestRead,
  type GuestReadReason,
  type GuestRecord,
} from './record.ts';
import { readVmGenerationId, type GenerationIdReading } from './read-generation-id.ts';
import { eventLine, firmwareLine, printConsole, readLine } from './console.ts';

export interface GuestModelOptions {
  readonly hypervisor: Hypervisor;
  readonly store: XenStore;
  /** The firmware's platform layout (default Xen's). */
  readonly layout?: PlatformLayout;
  /** Clock for the record's timestamps (default `Date.now`). */
  readonly now?: () => number;
  /** The firmware's notify GPE (`FirmwareOptions.genidNotifyGpe`); `null`: Xen's tables, no notify. */
  readonly genidNotifyGpe?: number | null;
  /**
   * Whether an HVM guest has Xen's PV drivers (default: all have). A guest with them is a Linux
   * PVHVM guest: at boot and resume it registers its event callback (`HVM_PARAM_CALLBACK_IRQ`,
   * which libxl reads to tell it has them) and writes `control/feature-poweroff`, `-reboot` and
   * `-suspend`, so `xl shutdown` and `xl reboot` reach it. One without them only has ACPI.
   */
  readonly pvDrivers?: (domid: number) => boolean;
}

/** What Linux's PV drivers set `HVM_PARAM_CALLBACK_IRQ` to: `HVM_PARAM_CALLBACK_TYPE_VECTOR` (2) in bits 56-63, vector 0xf3. */
export const PV_CALLBACK_VECTOR = (2n << 56n) | 0xf3n;
/** The `control/feature-*` keys Linux's `setup_shutdown_watcher` writes (drivers/xen/manage.c). */
const PV_CONTROL_FEATURES = ['feature-poweroff', 'feature-reboot', 'feature-suspend'];

const keepLast = <T>(items: readonly T[], item: T): T[] => [...items, item].slice(-GUEST_RECORD_HISTORY);

/** Where the guest OS looks for the RSDP: the firmware layout's BIOS area (default the ACPI spec's). */
function scanArea(layout: PlatformLayout | undefined): { scanStart?: bigint; scanEnd?: bigint } {
  return layout ? { scanStart: BigInt(layout.rsdpScanStart), scanEnd: BigInt(layout.rsdpScanEnd) } : {};
}

/** The guest OS reads the ID through ACPI from its own memory. */
function osRead(hypervisor: Hypervisor, domid: number, layout: PlatformLayout | undefined): GenerationIdReading {
  const memory = new DomainMemory(hypervisor, domid);
  return readVmGenerationId(memory, scanArea(layout));
}

function withRead(record: GuestRecord, reason: GuestReadReason, reading: GenerationIdReading, at: number): GuestRecord {
  const changed = reading.ok && record.genid !== null && reading.genid !== record.genid;
  const read: GuestRead = {
    reason,
    at,
    ok: reading.ok,
    genid: reading.genid,
    address: reading.address,
    path: reading.path,
    changed,
    failures: [...reading.failures],
  };
  return {
    ...record,
    // The driver keeps its copy when a later read fails.
    genid: reading.ok ? reading.genid : record.genid,
    address: reading.ok ? reading.address : record.address,
    path: reading.ok ? reading.path : record.path,
    readCount: record.readCount + 1,
    reads: keepLast(record.reads, read),
    lastFailure: reading.ok ? record.lastFailure : (reading.failures[reading.failures.length - 1] ?? `${reason} read failed`),
  };
}

/** The guest model a hypervisor is made with (`MemoryHypervisor`'s and `openHost`'s `guestModel`). */
export function createGuestModel(options: GuestModelOptions): GuestModel {
  const { hypervisor, store, layout } = options;
  const firmwareOptions = { layout, ...(options.genidNotifyGpe !== undefined ? { genidNotifyGpe: options.genidNotifyGpe } : {}) };
  const now = options.now ?? Date.now;
  const pvDrivers = options.pvDrivers ?? (() => true);
  /** A PVHVM guest's drivers come up: the callback registered, the control features announced. */
  const startPvDrivers = (domid: number): void => {
    if (hypervisor.getDomain(domid)?.type !== 'hvm' || !pvDrivers(domid)) return;
    hypervisor.writeParam(domid, HVM_PARAM_CALLBACK_IRQ, PV_CALLBACK_VECTOR);
    const connection = store.connect(domid);
    try {
      for (const feature of PV_CONTROL_FEATURES) {
        try {
          // Relative to the guest's home, as xenbus_write(XBT_NIL, "control", feature, "1") sends it.
          connection.write(`control/${feature}`, '1');
        } catch (error) {
          // As setup_shutdown_watcher: a feature it may not write is logged, and the rest skipped.
          if (!XsError.is(error)) throw error;
          printConsole(hypervisor, domid, [`xen:manage: setup_shutdown_watcher: Error -${XS_ERRNO[error.code]} writing ${feature}`]);
          return;
        }
      }
    } finally {
      connection.close();
    }
    printConsole(hypervisor, domid, [`xen: PV drivers up: ${PV_CONTROL_FEATURES.map((feature) => `control/${feature}`).join(', ')}`]);
  };
  /** The domain's record; one that cannot be read (another format) starts over, saying so. */
  const load = (domid: number): GuestRecord => {
    try {
      return readGuestRecord(hypervisor, domid) ?? EMPTY_GUEST_RECORD;
    } catch (error) {
      if (!HvmloaderError.is(error)) throw error;
      return { ...EMPTY_GUEST_RECORD, lastFailure: `previous ${error.message}; started a new record` };
    }
  };
  /** Keeps the record and prints what happened since `before` on the console. */
  const save = (domid: number, record: GuestRecord, before: GuestRecord = EMPTY_GUEST_RECORD): void => {
    hypervisor.setGuestRecord(domid, guestRecordToJson(record));
    const lines: string[] = [];
    if (record.firmware !== null && record.firmware !== before.firmware) lines.push(firmwareLine(record.firmware));
    else if (record.firmware === null && record.lastFailure?.startsWith('firmware: ')) lines.push(`hvmloader: ${record.lastFailure.slice(10)}`);
    lines.push(...record.events.slice(record.events.length - (record.eventCount - before.eventCount)).map(eventLine));
    lines.push(...record.reads.slice(record.reads.length - (record.readCount - before.readCount)).map(readLine));
    printConsole(hypervisor, domid, lines);
  };

  return {
    /** Power-on: hvmloader (HVM guests only), then the OS reads the ID. The record starts afresh. */
    boot(domid: number): void {
      let record: GuestRecord = { ...EMPTY_GUEST_RECORD };
      // hvmloader is the firmware of HVM guests only; PV and PVH guests boot without it.
      if (hypervisor.getDomain(domid)?.type !== 'hvm') {
        save(domid, withRead(record, 'boot', osRead(hypervisor, domid, layout), now()));
        return;
      }
      try {
        const run = runFirmware(hypervisor, store, domid, firmwareOptions);
        record = {
          ...record,
          firmware: {
            acpi: run.acpi,
            generationIdValue: run.generationIdValue,
            vmGenerationIdAddress: run.vmGenerationIdAddress,
            ignoredErrors: run.ignoredErrors,
          },
        };
      } catch (error) {
        if (!HvmloaderError.is(error)) throw error;
        // hvmloader BUG()s here: the guest stops before any OS runs.
        save(domid, { ...record, lastFailure: `firmware: ${error.message}` });
        return;
      }
      save(domid, withRead(record, 'boot', osRead(hypervisor, domid, layout), now()));
      startPvDrivers(domid);
    },

    resume(domid: number): void {
      const record = load(domid);
      save(domid, withRead(record, 'resume', osRead(hypervisor, domid, layout), now()), record);
      startPvDrivers(domid);
    },

    /**
     * An NMI: Linux's report of an NMI it has no reason for (`unknown_nmi_error`). The power
     * button: an OS with ACPI powers off (SCHEDOP_shutdown, poweroff); the sleep button is logged
     * and ignored (the model does not suspend). Without ACPI the buttons do nothing.
     */
    trigger(domid: number, trigger: DomainTrigger, vcpu: number): void {
      if (trigger === 'nmi') {
        printConsole(hypervisor, domid, [`Uhhuh. NMI received for unknown reason 00 on CPU ${vcpu}.`, 'Dazed and confused, but trying to continue']);
        return;
      }
      if (load(domid).firmware?.acpi !== true) return;
      if (trigger === 'power') {
        printConsole(hypervisor, domid, ['ACPI: power button pressed: powering off']);
        hypervisor.shutdownDomain(domid, 'poweroff');
      } else if (trigger === 'sleep') {
        printConsole(hypervisor, domid, ['ACPI: sleep button pressed: ignored']);
      }
    },

    gpe(domid: number, gpe: number): void {
      const before = load(domid);
      let record = before;
      const at = now();
      const memory = new DomainMemory(hypervisor, domid);
      const { scanStart, scanEnd } = scanArea(layout);
      const walk = walkAcpiTables(memory, scanStart, scanEnd);
      const interpreter = new AmlInterpreter(new Namespace(), { memory });
      for (const table of walk.dsdt ? [walk.dsdt, ...walk.ssdts] : []) interpreter.load(table.bytes.subarray(36), table.revision, 36);
      const suffix = gpe.toString(16).toUpperCase().padStart(2, '0');
      const gpeScope = interpreter.namespace.root.children.get('_GPE');
      const handler = gpe >= 0 && gpe <= 0xff ? (gpeScope?.children.get(`_E${suffix}`) ?? gpeScope?.children.get(`_L${suffix}`)) : undefined;
      let failure: string | null = null;
      if (!handler) failure = `GPE ${gpe} raised, but the tables define no \\_GPE._E${suffix} or _L${suffix} handler`;
      else {
        try {
          interpreter.evaluate(handler);
        } catch (error) {
          if (!HvmloaderError.is(error)) throw error;
          failure = `${handler.displayPath}: ${error.message}`;
        }
      }
      const event: GuestEvent = {
        at,
        gpe,
        handler: handler ? handler.displayPath : null,
        notifications: interpreter.notifications.map((notification) => ({ ...notification })),
        failure,
      };
      record = { ...record, eventCount: record.eventCount + 1, events: keepLast(record.events, event), lastFailure: failure ?? record.lastFailure };
      // The vmgenid driver re-reads on a Notify of the device it bound to.
      if (record.path !== null && event.notifications.some((notification) => notification.path === record.path)) {
        record = withRead(record, 'notify', osRead(hypervisor, domid, layout), now());
      }
      save(domid, record, before);
    },
  };
}
