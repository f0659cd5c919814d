/**
 * How an OS finds its ACPI tables (ACPICA `tables/tbxfroot.c` acpi_find_root_pointer and
 * `tbutils.c` acpi_tb_parse_root_table, as Linux runs them on x86): the RSDP in the first KiB of
 * the EBDA or on a 16-byte boundary in 0xE0000-0xFFFFF with valid checksums, then the XSDT (or
 * the RSDT), the FADT, and from it the DSDT; SSDTs from the root table. Every refused table is
 * reported, and a table reached twice is a cycle.
 */
import { GUEST_ADDRESS_LIMIT, addressToPfn, pfnToAddress, type GuestMemory } from '@xen-genid/xc-params';
import { byteSum } from '../firmware/acpi/table-header.ts';

/** Upper bound on a table's length we accept (a corrupted length is usually huge). */
const MAX_TABLE_LENGTH = 16 * 1024 * 1024;
/** Most root-table entries we follow. */
const MAX_ROOT_ENTRIES = 1024;

export interface FoundTable {
  readonly signature: string;
  readonly address: bigint;
  readonly length: number;
  readonly revision: number;
  readonly bytes: Uint8Array;
}

export interface TableWalk {
  readonly rsdpAddress: bigint | null;
  readonly rootSignature: 'XSDT' | 'RSDT' | null;
  /** Every valid table reached, the root table first. */
  readonly tables: readonly FoundTable[];
  readonly dsdt: FoundTable | null;
  readonly ssdts: readonly FoundTable[];
  /** Every check that failed, in the order met. */
  readonly failures: readonly string[];
}

const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const hex = (value: bigint): string => `0x${value.toString(16)}`;

function validRsdp(memory: GuestMemory, address: bigint): { ok: boolean; why?: string } {
  const head = memory.read(address, 20);
  if (ascii(head.subarray(0, 8)) !== 'RSD PTR ') return { ok: false };
  if (byteSum(head) !== 0) return { ok: false, why: `RSDP candidate at ${hex(address)}: bad checksum` };
  if ((head[15] as number) >= 2) {
    const full = memory.read(address, 36);
    const length = new DataView(full.buffer).getUint32(20, true);
    if (length < 36) return { ok: false, why: `RSDP at ${hex(address)}: length ${length} is below 36` };
    if (byteSum(memory.read(address, 36)) !== 0) return { ok: false, why: `RSDP at ${hex(address)}: bad extended checksum` };
  }
  return { ok: true };
}

/** @see acpi_find_root_pointer (ACPICA tbxfroot.c): EBDA first, then the BIOS area. */
export function findRsdp(memory: GuestMemory, failures: string[], scanStart = 0xe0000n, scanEnd = 0x100000n): bigint | null {
  // The EBDA's segment is the 16-bit word at 0x40E (BIOS data area).
  const ebda = BigInt(new DataView(memory.read(0x40en, 2).buffer).getUint16(0, true)) * 16n;
  const areas: [bigint, bigint][] = [];
  if (ebda > 0x400n) areas.push([ebda, ebda + 1024n]);
  areas.push([scanStart, scanEnd]);
  for (const [start, end] of areas) {
    // Page by page; a page the memory knows to be unpopulated reads as zeros and holds no RSDP.
    for (let chunkStart = start; chunkStart < end; ) {
      const next = pfnToAddress(addressToPfn(chunkStart) + 1);
      const chunkEnd = next < end ? next : end;
      const length = Number(chunkEnd - chunkStart);
      if (!memory.isPopulated || memory.isPopulated(chunkStart, length)) {
        const area = memory.read(chunkStart, length);
        for (let offset = 0; offset + 8 <= area.length; offset += 16) {
          if (area[offset] !== 0x52 || ascii(area.subarray(offset, offset + 8)) !== 'RSD PTR ') continue;
          const address = chunkStart + BigInt(offset);
          const result = validRsdp(memory, address);
          if (result.ok) return address;
          if (result.why) failures.push(result.why);
        }
      }
      chunkStart = chunkEnd;
    }
  }
  failures.push(`no valid RSDP in the EBDA or ${hex(scanStart)}-${hex(scanEnd - 1n)}`);
  return null;
}

/** Reads and checks one table: header, length, checksum, populated memory, expected signature. */
export function readTable(memory: GuestMemory, address: bigint, what: string, failures: string[], expected?: string): FoundTable | null {
  if (address === 0n) {
    failures.push(`${what}: null address`);
    return null;
  }
  if (address + 36n > GUEST_ADDRESS_LIMIT) {
    failures.push(`${what} at ${hex(address)}: beyond guest-physical memory`);
    return null;
  }
  if (memory.isPopulated && !memory.isPopulated(address, 36)) {
    failures.push(`${what} at ${hex(address)}: no memory there`);
    return null;
  }
  const header = memory.read(address, 36);
  const signature = ascii(header.subarray(0, 4));
  const length = new DataView(header.buffer).getUint32(4, true);
  if (expected && signature !== expected) {
    failures.push(`${what} at ${hex(address)}: signature ${JSON.stringify(signature)}, expected ${expected}`);
    return null;
  }
  if (length < 36) {
    failures.push(`${what} ${signature} at ${hex(address)}: length ${length} is shorter than its header (truncated)`);
    return null;
  }
  if (length > MAX_TABLE_LENGTH || address + BigInt(length) > GUEST_ADDRESS_LIMIT) {
    failures.push(`${what} ${signature} at ${hex(address)}: length ${length} is implausible`);
    return null;
  }
  if (memory.isPopulated && !memory.isPopulated(address, length)) {
    failures.push(`${what} ${signature} at ${hex(address)}: its ${length} bytes run into unpopulated memory (truncated)`);
    return null;
  }
  const bytes = memory.read(address, length);
  if (byteSum(bytes) !== 0) {
    failures.push(`${what} ${signature} at ${hex(address)}: bad checksum`);
    return null;
  }
  return { signature, address, length, revision: bytes[8] as number, bytes };
}

/** Finds the RSDP and walks every table an OS would load. */
export function walkAcpiTables(memory: GuestMemory, scanStart?: bigint, scanEnd?: bigint): TableWalk {
  const failures: string[] = [];
  const tables: FoundTable[] = [];
  const rsdpAddress = findRsdp(memory, failures, scanStart, scanEnd);
  const empty = (rootSignature: 'XSDT' | 'RSDT' | null): TableWalk => ({ rsdpAddress, rootSignature, tables, dsdt: null, ssdts: [], failures });
  if (rsdpAddress === null) return empty(null);

  const rsdp = new DataView(memory.read(rsdpAddress, 36).buffer);
  const revision = rsdp.getUint8(15);
  const rsdtAddress = BigInt(rsdp.getUint32(16, true));
  const xsdtAddress = revision >= 2 ? rsdp.getBigUint64(24, true) : 0n;

  let root: FoundTable | null = null;
  let entrySize = 4;
  if (xsdtAddress !== 0n) {
    root = readTable(memory, xsdtAddress, 'XSDT', failures, 'XSDT');
    entrySize = 8;
  }
  if (!root) {
    root = readTable(memory, rsdtAddress, 'RSDT', failures, 'RSDT');
    entrySize = 4;
  }
  if (!root) return empty(null);
  const rootSignature = root.signature as 'XSDT' | 'RSDT';
  tables.push(root);
  const visited = new Set<bigint>([root.address]);

  const view = new DataView(root.bytes.buffer, root.bytes.byteOffset, root.bytes.byteLength);
  if ((root.length - 36) % entrySize !== 0) failures.push(`${rootSignature}: length ${root.length} leaves a partial entry`);
  const entries: bigint[] = [];
  if ((root.length - 36) / entrySize > MAX_ROOT_ENTRIES) failures.push(`${rootSignature} lists more than ${MAX_ROOT_ENTRIES} tables; the rest are ignored`);
  for (let offset = 36; offset + entrySize <= root.length && entries.length < MAX_ROOT_ENTRIES; offset += entrySize) {
    entries.push(entrySize === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true)));
  }

  let fadt: FoundTable | null = null;
  const ssdts: FoundTable[] = [];
  entries.forEach((address, index) => {
    const what = `${rootSignature} entry ${index}`;
    if (visited.has(address)) {
      failures.push(`${what} points to ${hex(address)}, already reached (cycle)`);
      return;
    }
    const table = readTable(memory, address, what, failures);
    if (!table) return;
    visited.add(address);
    tables.push(table);
    if (table.signature === 'FACP' && !fadt) fadt = table;
    else if (table.signature === 'SSDT') ssdts.push(table);
  });

  let dsdt: FoundTable | null = null;
  const foundFadt = fadt as FoundTable | null;
  if (!foundFadt) {
    failures.push(`${rootSignature} lists no valid FADT (FACP)`);
  } else {
    const fadtView = new DataView(foundFadt.bytes.buffer, foundFadt.bytes.byteOffset, foundFadt.bytes.byteLength);
    const xDsdt = foundFadt.length >= 148 ? fadtView.getBigUint64(140, true) : 0n;
    const dsdtAddress = xDsdt !== 0n ? xDsdt : foundFadt.length >= 44 ? BigInt(fadtView.getUint32(40, true)) : 0n;
    if (visited.has(dsdtAddress)) failures.push(`FADT's DSDT pointer ${hex(dsdtAddress)} points to a table already reached (cycle)`);
    else {
      dsdt = readTable(memory, dsdtAddress, 'FADT DSDT pointer', failures, 'DSDT');
      if (dsdt) tables.push(dsdt);
    }
  }
  return { rsdpAddress, rootSignature, tables, dsdt, ssdts, failures };
}
