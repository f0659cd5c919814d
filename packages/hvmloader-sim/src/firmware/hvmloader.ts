/**
 * The firmware run inside a domain: hvmloader 4.17's ACPI step (`tools/firmware/hvmloader/
 * hvmloader.c` main, `util.c` hvmloader_acpi_build_tables), with only a guest's powers: its own
 * HVM params through an xc handle acting as the domain (DOMID_SELF), its own xenstore subtree
 * through a connection as its own domid with relative paths, and its own memory.
 */
import {
  DOMID_SELF,
  GENID_NOTIFY_GPE,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  PLATFORM_ACPI_KEY,
  PLATFORM_GENERATION_ID_DEFAULT,
  PLATFORM_GENERATION_ID_KEY,
  createXc,
  type Hypervisor,
} from '@xen-genid/xc-params';
import type { XenStore, XsConnection } from '@xen-genid/xenstore';
import { buildAcpiTables, type AcpiBuildResult } from './acpi/build-tables.ts';
import { DomainMemory } from '../guest-memory.ts';
import { XEN_PLATFORM_LAYOUT, type PlatformLayout } from './platform-layout.ts';
import { parseGenerationIdValue, type GenerationIdWords } from './strtoll.ts';

export interface FirmwareOptions {
  readonly layout?: PlatformLayout;
  /**
   * Beyond Xen: the GPE whose handler (in an SSDT of its own) notifies the VGID device when the
   * ID changes at run time. Default `GENID_NOTIFY_GPE` of xc-params (5); `null` builds Xen's table set exactly,
   * with no notify at all.
   */
  readonly genidNotifyGpe?: number | null;
}

export interface FirmwareRun {
  readonly domid: number;
  /** Whether `platform/acpi` let the firmware build ACPI tables. */
  readonly acpi: boolean;
  /** The `platform/generation-id` text as read (the default "0:0" when missing or unreadable). */
  readonly generationIdValue: string;
  /** Both words as hvmloader's strtoll parsed them. */
  readonly generationId: GenerationIdWords;
  /**
   * Where the 16 bytes went, as HVM param 34 holds it (and VGIA, a 32-bit field of hvmloader's
   * 32-bit world: `tables.vmGenerationIdAddress`); 0 without an ID or without ACPI.
   */
  readonly vmGenerationIdAddress: bigint;
  /** The tables built, or null with `acpi=0`. */
  readonly tables: AcpiBuildResult | null;
  /** Hypercalls whose failure hvmloader ignores (it does not check hvm_param_set's result). */
  readonly ignoredErrors: readonly string[];
}

/** `xenstore_read(path, default)` (`hvmloader/xenbus.c`): any failure gives the default. */
function xenstoreRead(connection: XsConnection, path: string, fallback: string): string {
  try {
    const value = connection.tryRead(path);
    return value === undefined ? fallback : new TextDecoder().decode(value);
  } catch {
    return fallback;
  }
}

/**
 * Runs the firmware's ACPI and generation-ID steps in domain `domid`. Tables and the ID reach the
 * domain's memory in one go at the end; HVM param 34 is then set to the ID's address (0 without
 * an ID), as 4.17 does, then HVM_PARAM_ACPI_IOPORTS_LOCATION to 1. With `platform/acpi` not
 * starting with "1", nothing is built and param 34 is left alone.
 */
export function runFirmware(hypervisor: Hypervisor, store: XenStore, domid: number, options: FirmwareOptions = {}): FirmwareRun {
  const layout = options.layout ?? XEN_PLATFORM_LAYOUT;
  const xc = createXc(hypervisor, { caller: domid });
  const connection = store.connect(domid);
  try {
    const acpi = xenstoreRead(connection, PLATFORM_ACPI_KEY, '1').startsWith('1');
    const generationIdValue = xenstoreRead(connection, PLATFORM_GENERATION_ID_KEY, PLATFORM_GENERATION_ID_DEFAULT);
    const generationId = parseGenerationIdValue(generationIdValue);
    if (!acpi) {
      return { domid, acpi, generationIdValue, generationId, vmGenerationIdAddress: 0n, tables: null, ignoredErrors: [] };
    }
    const vcpus = hypervisor.getDomain(domid)?.vcpus ?? 1;
    const memory = new DomainMemory(hypervisor, domid);
    const notifyGpe = options.genidNotifyGpe === undefined ? GENID_NOTIFY_GPE : options.genidNotifyGpe;
    const tables = buildAcpiTables(memory, {
      layout,
      generationId,
      vcpus: Math.min(Math.max(vcpus, 1), 128),
      com1: true,
      ...(notifyGpe === null ? {} : { genidNotifyGpe: notifyGpe }),
    });
    memory.flush();
    const ignoredErrors: string[] = [];
    const vmGenerationIdAddress = BigInt(tables.vmGenerationIdAddress);
    for (const [param, value] of [
      [HVM_PARAM_VM_GENERATION_ID_ADDR, vmGenerationIdAddress],
      [HVM_PARAM_ACPI_IOPORTS_LOCATION, 1n],
    ] as const) {
      try {
        xc.hvmParamSet(DOMID_SELF, param, value);
      } catch (error) {
        ignoredErrors.push(`hvm_param_set(${param}, ${value}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { domid, acpi, generationIdValue, generationId, vmGenerationIdAddress, tables, ignoredErrors };
  } finally {
    connection.close();
  }
}
