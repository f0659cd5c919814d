/**
 * The guest model's record of what the guest saw, kept with the domain in the hypervisor
 * (`Hypervisor.setGuestRecord`) so that any process sharing the hypervisor state can report it.
 * Stored as JSON; 64-bit values are decimal strings. `readGuestRecord` is the typed reader.
 */
import type { Hypervisor } from '@xen-genid/xc-params';
import { HvmloaderError } from '../errors.ts';

export const GUEST_RECORD_FORMAT = 'xen-genid.hvmloader-sim.guest-record';
export const GUEST_RECORD_VERSION = 1;
/** At most this many reads and events are kept (oldest dropped); the counters keep counting. */
export const GUEST_RECORD_HISTORY = 64;

/** Why the OS model read the ID. */
export type GuestReadReason = 'boot' | 'resume' | 'notify';

export interface GuestRead {
  readonly reason: GuestReadReason;
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly ok: boolean;
  /** 32 hex digits in memory order, or null when the read failed. */
  readonly genid: string | null;
  readonly address: bigint | null;
  readonly path: string | null;
  /** For `notify` and `resume`: whether the bytes differ from the previous good read. */
  readonly changed: boolean;
  readonly failures: readonly string[];
}

/** An ACPI event delivered to the guest: a GPE and what its handler notified, or that none ran. */
export interface GuestEvent {
  readonly at: number;
  readonly gpe: number;
  /** The `\_GPE` method that ran (`\_GPE._E05`...), or null when the tables define none. */
  readonly handler: string | null;
  /** Notify() calls the handler made: the object's path and the value. */
  readonly notifications: readonly { readonly path: string; readonly value: number }[];
  /** What went wrong evaluating the handler, if anything. */
  readonly failure: string | null;
}

export interface FirmwareRecord {
  readonly acpi: boolean;
  readonly generationIdValue: string;
  readonly vmGenerationIdAddress: bigint;
  readonly ignoredErrors: readonly string[];
}

export interface GuestRecord {
  /** The ID the OS holds: the last good read (the driver keeps it when a later read fails). */
  readonly genid: string | null;
  readonly address: bigint | null;
  readonly path: string | null;
  /** What the firmware did at the last boot, or null if it never ran (or failed). */
  readonly firmware: FirmwareRecord | null;
  readonly readCount: number;
  readonly reads: readonly GuestRead[];
  readonly eventCount: number;
  readonly events: readonly GuestEvent[];
  /** The most recent failure (a failed read, a GPE without handler, a firmware fault), or null. */
  readonly lastFailure: string | null;
}

export const EMPTY_GUEST_RECORD: GuestRecord = Object.freeze({
  genid: null,
  address: null,
  path: null,
  firmware: null,
  readCount: 0,
  reads: [],
  eventCount: 0,
  events: [],
  lastFailure: null,
});

const bigintToJson = (value: bigint | null): string | null => (value === null ? null : value.toString(10));

/** The record as stored JSON text. */
export function guestRecordToJson(record: GuestRecord): string {
  return JSON.stringify({
    format: GUEST_RECORD_FORMAT,
    version: GUEST_RECORD_VERSION,
    genid: record.genid,
    address: bigintToJson(record.address),
    path: record.path,
    firmware: record.firmware && { ...record.firmware, vmGenerationIdAddress: record.firmware.vmGenerationIdAddress.toString(10) },
    readCount: record.readCount,
    reads: record.reads.map((read) => ({ ...read, address: bigintToJson(read.address) })),
    eventCount: record.eventCount,
    events: record.events,
    lastFailure: record.lastFailure,
  });
}

const bad = (message: string): never => {
  throw new HvmloaderError('BAD_GUEST_RECORD', `guest record: ${message}`);
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown, what: string): string | null {
  if (value === null || typeof value === 'string') return value;
  return bad(`${what} is not a string or null`);
}

function bigintOrNull(value: unknown, what: string): bigint | null {
  if (value === null) return null;
  if (typeof value === 'string' && /^(0|[1-9][0-9]*)$/.test(value)) return BigInt(value);
  return bad(`${what} is not a decimal string or null`);
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) return bad(`${what} is not a list of strings`);
  return value as string[];
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return bad(`${what} is not a count`);
  return value;
}

/** Parses stored JSON text into a `GuestRecord`, checking every field. */
export function parseGuestRecord(json: string): GuestRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    return bad(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(raw) || raw.format !== GUEST_RECORD_FORMAT) return bad('not a hvmloader-sim guest record');
  if (raw.version !== GUEST_RECORD_VERSION) return bad(`version ${String(raw.version)} is not ${GUEST_RECORD_VERSION}`);
  let firmware: FirmwareRecord | null = null;
  if (raw.firmware !== null) {
    const value = raw.firmware;
    if (!isObject(value) || typeof value.acpi !== 'boolean' || typeof value.generationIdValue !== 'string') return bad('firmware is malformed');
    firmware = {
      acpi: value.acpi,
      generationIdValue: value.generationIdValue,
      vmGenerationIdAddress: bigintOrNull(value.vmGenerationIdAddress, 'firmware.vmGenerationIdAddress') ?? bad('firmware address missing'),
      ignoredErrors: stringList(value.ignoredErrors, 'firmware.ignoredErrors'),
    };
  }
  if (!Array.isArray(raw.reads)) return bad('reads is not a list');
  const reads = raw.reads.map((value, index): GuestRead => {
    if (!isObject(value)) return bad(`reads[${index}] is not an object`);
    if (value.reason !== 'boot' && value.reason !== 'resume' && value.reason !== 'notify') return bad(`reads[${index}].reason is unknown`);
    if (typeof value.ok !== 'boolean' || typeof value.changed !== 'boolean') return bad(`reads[${index}] flags are malformed`);
    return {
      reason: value.reason,
      at: count(value.at, `reads[${index}].at`),
      ok: value.ok,
      genid: stringOrNull(value.genid, `reads[${index}].genid`),
      address: bigintOrNull(value.address, `reads[${index}].address`),
      path: stringOrNull(value.path, `reads[${index}].path`),
      changed: value.changed,
      failures: stringList(value.failures, `reads[${index}].failures`),
    };
  });
  if (!Array.isArray(raw.events)) return bad('events is not a list');
  const events = raw.events.map((value, index): GuestEvent => {
    if (!isObject(value) || !Array.isArray(value.notifications)) return bad(`events[${index}] is malformed`);
    return {
      at: count(value.at, `events[${index}].at`),
      gpe: count(value.gpe, `events[${index}].gpe`),
      handler: stringOrNull(value.handler, `events[${index}].handler`),
      notifications: value.notifications.map((item, inner) => {
        if (!isObject(item) || typeof item.path !== 'string') return bad(`events[${index}].notifications[${inner}] is malformed`);
        return { path: item.path, value: count(item.value, `events[${index}].notifications[${inner}].value`) };
      }),
      failure: stringOrNull(value.failure, `events[${index}].failure`),
    };
  });
  return {
    genid: stringOrNull(raw.genid, 'genid'),
    address: bigintOrNull(raw.address, 'address'),
    path: stringOrNull(raw.path, 'path'),
    firmware,
    readCount: count(raw.readCount, 'readCount'),
    reads,
    eventCount: count(raw.eventCount, 'eventCount'),
    events,
    lastFailure: stringOrNull(raw.lastFailure, 'lastFailure'),
  };
}

/** The record of `domid`, or null when the guest model has not run in it since power-on. */
export function readGuestRecord(hypervisor: Hypervisor, domid: number): GuestRecord | null {
  const json = hypervisor.getGuestRecord(domid);
  return json === undefined ? null : parseGuestRecord(json);
}
