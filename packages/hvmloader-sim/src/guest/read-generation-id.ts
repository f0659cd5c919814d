/**
 * What a guest OS does to read the VM Generation ID (Linux `drivers/virt/vmgenid.c` on ACPICA):
 * load the DSDT and SSDTs into a namespace, find every device whose `_HID` or `_CID` is
 * `VM_GEN_COUNTER` or `VMGENCTR` after ACPICA's predefined-name repair (`nsrepair2.c`
 * acpi_ns_repair_HID upper-cases string ids), require `_STA` to report the device present,
 * evaluate `ADDR`, require a Package of exactly two Integers, and copy the 16 bytes at
 * `low | high << 32`.
 */
import { AmlInterpreter } from './aml/loader.ts';
import { Namespace, type AmlValue, type NamespaceNode } from './aml/namespace.ts';
import { HvmloaderError } from '../errors.ts';
import { GUEST_ADDRESS_LIMIT, type GuestMemory } from '@xen-genid/xc-params';
import { walkAcpiTables, type FoundTable } from './acpi-tables.ts';

/** The ids Linux's vmgenid driver binds to (case-sensitive, after ACPICA's upper-casing). */
export const VMGENID_ACPI_IDS: readonly string[] = ['VMGENCTR', 'VM_GEN_COUNTER'];

export interface GenerationIdReading {
  /** True when a device bound and its 16 bytes were read. */
  readonly ok: boolean;
  /** The 16 bytes as 32 lower-case hex digits in memory order, or null. */
  readonly genid: string | null;
  readonly bytes: Uint8Array | null;
  /** The guest-physical address `ADDR` gave, or null. */
  readonly address: bigint | null;
  /** The device's path as ASL writes it (`\_SB.PCI0.ISA.VGID`), or null. */
  readonly path: string | null;
  /** Where the RSDP was found (null when reading a lone DSDT). */
  readonly rsdpAddress: bigint | null;
  /** The tables loaded, in order. */
  readonly tables: readonly { readonly signature: string; readonly address: bigint; readonly length: number }[];
  /** Every check that failed, in order; empty when everything passed. */
  readonly failures: readonly string[];
}

/** Decodes a compressed EISA id (the integer form of `_HID`/`_CID`) into its 7 characters. */
export function decodeEisaId(value: bigint): string {
  const raw = Number(value & 0xffffffffn);
  const swapped = ((raw & 0xff) << 8) | ((raw >> 8) & 0xff);
  const letter = (shift: number): string => String.fromCharCode(((swapped >> shift) & 0x1f) + 0x40);
  const product = (((raw >> 16) & 0xff) << 8) | ((raw >> 24) & 0xff);
  return `${letter(10)}${letter(5)}${letter(0)}${product.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** An id as ACPICA returns it: strings upper-cased with a leading `*` dropped, integers EISA-decoded. */
function repairId(value: AmlValue): string | null {
  if (value.type === 'string') return value.value.replace(/^\*/, '').toUpperCase();
  if (value.type === 'integer') return decodeEisaId(value.value);
  return null;
}

interface DeviceMatch {
  readonly node: NamespaceNode;
  readonly ids: readonly string[];
}

function deviceIds(interpreter: AmlInterpreter, device: NamespaceNode, failures: string[]): string[] {
  const ids: string[] = [];
  for (const segment of ['_HID', '_CID']) {
    const child = device.children.get(segment);
    if (!child) continue;
    let value: AmlValue;
    try {
      value = interpreter.evaluate(child);
    } catch (error) {
      if (!HvmloaderError.is(error)) throw error;
      failures.push(`${child.displayPath}: ${error.message}`);
      continue;
    }
    const values = value.type === 'package' && segment === '_CID' ? value.elements : [value];
    for (const element of values) {
      const id = repairId(element);
      if (id !== null) ids.push(id);
    }
  }
  return ids;
}

/** `_STA` as ACPICA reads it: 0x0F when absent. */
function deviceStatus(interpreter: AmlInterpreter, device: NamespaceNode): bigint {
  const sta = device.children.get('_STA');
  if (!sta) return 0x0fn;
  const value = interpreter.evaluate(sta);
  if (value.type !== 'integer') throw new HvmloaderError('AML_EVALUATION', `_STA returned a ${value.type}, not an Integer`);
  return value.value;
}

const present = (status: bigint): boolean => (status & 0x1n) !== 0n || (status & 0x8n) !== 0n;

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

/**
 * Runs the driver's probe over an already loaded namespace: device match, `_STA`, `ADDR`, read.
 */
export function probeVmGenerationId(interpreter: AmlInterpreter, memory: GuestMemory, failures: string[]): Omit<GenerationIdReading, 'rsdpAddress' | 'tables'> {
  const none = { ok: false, genid: null, bytes: null, address: null, path: null, failures } as const;
  const matches: DeviceMatch[] = [];
  for (const node of interpreter.namespace.root.walk()) {
    if (node.object.kind !== 'device') continue;
    const ids = deviceIds(interpreter, node, failures);
    if (ids.some((id) => VMGENID_ACPI_IDS.includes(id))) matches.push({ node, ids });
  }
  if (matches.length === 0) {
    failures.push(`no device with _HID or _CID ${VMGENID_ACPI_IDS.join(' or ')}`);
    return none;
  }
  if (matches.length > 1) failures.push(`${matches.length} devices match (${matches.map((match) => match.node.displayPath).join(', ')}); the first present one is used`);

  for (const match of matches) {
    const path = match.node.displayPath;
    try {
      for (let node: NamespaceNode | undefined = match.node; node && node.parent; node = node.parent) {
        if (node.object.kind !== 'device') continue;
        const status = deviceStatus(interpreter, node);
        if (!present(status)) throw new HvmloaderError('AML_EVALUATION', `${node.displayPath}._STA returned 0x${status.toString(16)}: not present`);
      }
      const addr = match.node.children.get('ADDR');
      if (!addr) throw new HvmloaderError('AML_EVALUATION', `${path} has no ADDR object`);
      const result = interpreter.evaluate(addr);
      if (result.type !== 'package') throw new HvmloaderError('AML_EVALUATION', `${path}.ADDR returned a ${result.type}, not a Package`);
      if (result.elements.length !== 2) throw new HvmloaderError('AML_EVALUATION', `${path}.ADDR returned ${result.elements.length} elements, not 2`);
      const [low, high] = result.elements as [AmlValue, AmlValue];
      if (low.type !== 'integer' || high.type !== 'integer') {
        throw new HvmloaderError('AML_EVALUATION', `${path}.ADDR elements are ${low.type} and ${high.type}, not two Integers`);
      }
      const address = BigInt.asUintN(64, low.value | (high.value << 32n));
      if (address + 16n > GUEST_ADDRESS_LIMIT) throw new HvmloaderError('AML_EVALUATION', `${path}.ADDR 0x${address.toString(16)} is beyond guest memory`);
      const bytes = memory.read(address, 16);
      return { ok: true, genid: toHex(bytes), bytes, address, path, failures };
    } catch (error) {
      if (!HvmloaderError.is(error)) throw error;
      failures.push(error.message);
    }
  }
  return none;
}

/** Loads each table's AML into one namespace, DSDT first. */
function loadNamespace(interpreter: AmlInterpreter, tables: readonly FoundTable[], failures: string[]): void {
  for (const table of tables) {
    const problems = interpreter.load(table.bytes.subarray(36), table.revision, 36);
    for (const problem of problems) failures.push(`${table.signature} at 0x${table.address.toString(16)}: ${problem}`);
  }
}

/** The whole guest-side read from guest memory: RSDP scan, tables, namespace, probe. */
export function readVmGenerationId(memory: GuestMemory, options: { scanStart?: bigint; scanEnd?: bigint } = {}): GenerationIdReading {
  const walk = walkAcpiTables(memory, options.scanStart, options.scanEnd);
  const failures = [...walk.failures];
  const tables = walk.tables.map(({ signature, address, length }) => ({ signature, address, length }));
  if (!walk.dsdt) {
    return { ok: false, genid: null, bytes: null, address: null, path: null, rsdpAddress: walk.rsdpAddress, tables, failures };
  }
  const interpreter = new AmlInterpreter(new Namespace(), { memory });
  loadNamespace(interpreter, [walk.dsdt, ...walk.ssdts], failures);
  const probe = probeVmGenerationId(interpreter, memory, failures);
  return { ...probe, rsdpAddress: walk.rsdpAddress, tables };
}

/**
 * The same read over one DSDT (or SSDT) file, with `memory` standing for the rest of the guest
 * (e.g. an info block with a non-zero VGIA and the 16 bytes).
 */
export function readVmGenerationIdFromTable(table: Uint8Array, memory: GuestMemory): GenerationIdReading {
  const failures: string[] = [];
  const none = (): GenerationIdReading => ({ ok: false, genid: null, bytes: null, address: null, path: null, rsdpAddress: null, tables: [], failures });
  if (table.length < 36) {
    failures.push(`table file is ${table.length} bytes, shorter than an ACPI header (truncated)`);
    return none();
  }
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const signature = String.fromCharCode(...table.subarray(0, 4));
  const length = view.getUint32(4, true);
  if (signature !== 'DSDT' && signature !== 'SSDT') failures.push(`signature ${JSON.stringify(signature)} is not DSDT or SSDT`);
  if (length > table.length) {
    failures.push(`${signature} header says ${length} bytes, the file has ${table.length} (truncated)`);
    return none();
  }
  if (length < 36) {
    failures.push(`${signature} length ${length} is shorter than its header (truncated)`);
    return none();
  }
  const bytes = table.subarray(0, length);
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  if (sum !== 0) failures.push(`${signature}: bad checksum`);
  if (failures.length > 0) return none();
  const interpreter = new AmlInterpreter(new Namespace(), { memory });
  loadNamespace(interpreter, [{ signature, address: 0n, length, revision: bytes[8] as number, bytes }], failures);
  const probe = probeVmGenerationId(interpreter, memory, failures);
  return { ...probe, rsdpAddress: null, tables: [{ signature, address: 0n, length }] };
}
