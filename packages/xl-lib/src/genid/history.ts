/**
 * The generation ID's timeline, beyond Xen (libxl keeps no history of `ms_vm_genid`): when the
 * domain was created, each time the toolstack saved, restored, migrated or renewed it with the
 * lifecycle policy's row that kept or renewed the ID, and what the guest saw (each read through
 * ACPI with the ID it read, each notify of the ID's device).
 *
 * The toolstack's entries are kept in libxl's userdata (`xen-genid-history`); the guest's come from
 * its record in the hypervisor, which starts afresh with each domain. A save or a migration folds
 * both into the image (the xl header's optional data, after the config), and the domain made from
 * that image starts from them, so the timeline carries on across hosts and files.
 */
import type { Hypervisor } from '@xen-genid/xc-params';
import { readGuestRecord, type GuestReadReason, type GuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { XlError } from '../errors.ts';
import { retrieveUserdataText, storeUserdataText, type UserdataStore } from '../userdata.ts';
import { existingDomain, getDomainConfiguration } from '../stored-config.ts';
import { genidOfConfig, type GenidAction, type GenidDecision, type LifecycleOperation } from './lifecycle-policy.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import type { GenidPort } from './port.ts';

/** The userdata id of the toolstack's entries. */
export const USERDATA_GENID_HISTORY = 'xen-genid-history';
/** At most this many entries are kept (the oldest go first). */
export const GENID_HISTORY_LIMIT = 256;

/** What the toolstack did with the ID, as the policy decided. */
export type GenidHistoryStep = 'saved' | 'restored' | 'sent' | 'received' | 'renewed';

/** IDs are 32 hex digits in memory order, or null for none; times are milliseconds since the epoch. */
export type GenidHistoryEntry =
  | { readonly kind: 'created'; readonly at: number; readonly genid: string | null }
  | {
      readonly kind: 'lifecycle';
      readonly at: number;
      readonly step: GenidHistoryStep;
      /** The policy row: its operation, xl command and Microsoft scenario. */
      readonly operation: LifecycleOperation;
      readonly command: string;
      readonly scenario: string;
      readonly action: GenidAction | 'none';
      readonly genid: string | null;
      readonly changed: boolean;
    }
  | { readonly kind: 'read'; readonly at: number; readonly reason: GuestReadReason; readonly ok: boolean; readonly genid: string | null; readonly changed: boolean }
  | { readonly kind: 'notify'; readonly at: number; readonly gpe: number; readonly handler: string | null; readonly notified: boolean };

const hexOf = (genid: MsVmGenid): string | null => (genid.isZero() ? null : genid.toHex());

/** The entry for a policy decision at `step`. */
export function lifecycleEntry(step: GenidHistoryStep, decision: GenidDecision, at = Date.now()): GenidHistoryEntry {
  const { operation, command, scenario } = decision.row;
  return { kind: 'lifecycle', at, step, operation, command, scenario, action: decision.action, genid: hexOf(decision.genid), changed: decision.changed };
}

const bad = (message: string): never => {
  throw new XlError('INVAL', `generation ID history: ${message}`);
};

const isHexOrNull = (value: unknown): value is string | null => value === null || (typeof value === 'string' && /^[0-9a-f]{32}$/.test(value));

/** Checks entries read from an image or the userdata store; `XlError('INVAL')` naming the first bad one. */
export function parseGenidHistory(raw: unknown): GenidHistoryEntry[] {
  if (!Array.isArray(raw)) return bad('not a list');
  return raw.map((value: unknown, index) => {
    const entry = value as Record<string, unknown>;
    const where = `entry ${index}`;
    if (typeof entry !== 'object' || entry === null || typeof entry.at !== 'number' || !Number.isFinite(entry.at)) return bad(`${where} has no time`);
    if ('genid' in entry && !isHexOrNull(entry.genid)) return bad(`${where} has a malformed ID`);
    switch (entry.kind) {
      case 'created':
        return { kind: 'created', at: entry.at, genid: entry.genid as string | null };
      case 'lifecycle':
        if (typeof entry.step !== 'string' || typeof entry.operation !== 'string' || typeof entry.command !== 'string' || typeof entry.scenario !== 'string') {
          return bad(`${where} is a malformed lifecycle step`);
        }
        return {
          kind: 'lifecycle',
          at: entry.at,
          step: entry.step as GenidHistoryStep,
          operation: entry.operation as LifecycleOperation,
          command: entry.command,
          scenario: entry.scenario,
          action: String(entry.action) as GenidAction,
          genid: entry.genid as string | null,
          changed: entry.changed === true,
        };
      case 'read':
        if (entry.reason !== 'boot' && entry.reason !== 'resume' && entry.reason !== 'notify') return bad(`${where} has an unknown reason`);
        return { kind: 'read', at: entry.at, reason: entry.reason, ok: entry.ok === true, genid: entry.genid as string | null, changed: entry.changed === true };
      case 'notify':
        if (typeof entry.gpe !== 'number') return bad(`${where} has no GPE`);
        return { kind: 'notify', at: entry.at, gpe: entry.gpe, handler: typeof entry.handler === 'string' ? entry.handler : null, notified: entry.notified === true };
      default:
        return bad(`${where} is of unknown kind ${JSON.stringify(entry.kind)}`);
    }
  });
}

/** The guest's reads and notifies, from its record. */
function guestEntries(record: GuestRecord | null): GenidHistoryEntry[] {
  if (!record) return [];
  const reads = record.reads.map((read): GenidHistoryEntry => ({ kind: 'read', at: read.at, reason: read.reason, ok: read.ok, genid: read.genid, changed: read.changed }));
  const events = record.events.map(
    (event): GenidHistoryEntry => ({
      kind: 'notify',
      at: event.at,
      gpe: event.gpe,
      handler: event.handler,
      notified: event.notifications.some((notification) => record.path === null || notification.path === record.path),
    }),
  );
  return [...reads, ...events];
}

/** What the history functions need: the hypervisor (the guest's record) and libxl's userdata. */
export interface GenidHistoryPort {
  readonly hypervisor: Hypervisor;
  readonly userdata: UserdataStore;
}

/**
 * The toolstack's entries of `domid`; when none were kept yet (a domain made by `xl create`), one
 * `created` entry at the domain's creation with `genid` (its ID before any change).
 */
function toolstackEntries(port: GenidHistoryPort, domid: number, genid: MsVmGenid): GenidHistoryEntry[] {
  const text = retrieveUserdataText(port.userdata, domid, USERDATA_GENID_HISTORY);
  if (text !== undefined) return parseGenidHistory(JSON.parse(text));
  const info = port.hypervisor.getDomain(domid);
  return [{ kind: 'created', at: info?.createdAt ?? Date.now(), genid: hexOf(genid) }];
}

const byTime = (entries: GenidHistoryEntry[]): GenidHistoryEntry[] =>
  entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at - b.entry.at || a.index - b.index)
    .map(({ entry }) => entry)
    .slice(-GENID_HISTORY_LIMIT);

/**
 * The whole timeline of `domid`, oldest first: the toolstack's entries and the guest's, with
 * `extra` (a step under way) at the end. `genid` is the domain's current ID (for a `created` entry
 * when none is kept yet).
 */
export function genidTimeline(port: GenidHistoryPort, domid: number, genid: MsVmGenid, extra: readonly GenidHistoryEntry[] = []): GenidHistoryEntry[] {
  let record: GuestRecord | null;
  try {
    record = readGuestRecord(port.hypervisor, domid);
  } catch {
    record = null; // a record that is not ours: the guest's side is unknown
  }
  return [...byTime([...toolstackEntries(port, domid, genid), ...guestEntries(record)]), ...extra];
}

/** Appends toolstack entries to `domid`'s kept history (starting it with `created` when needed). */
export function appendGenidHistory(port: GenidHistoryPort, domid: number, genidBefore: MsVmGenid, entries: readonly GenidHistoryEntry[]): void {
  const kept = [...toolstackEntries(port, domid, genidBefore), ...entries].slice(-GENID_HISTORY_LIMIT);
  storeUserdataText(port.userdata, domid, USERDATA_GENID_HISTORY, JSON.stringify(kept));
}

/** Starts the kept history of a domain made from an image: the image's timeline, then `entries`. */
export function startGenidHistory(port: GenidHistoryPort, domid: number, carried: readonly GenidHistoryEntry[], entries: readonly GenidHistoryEntry[]): void {
  storeUserdataText(port.userdata, domid, USERDATA_GENID_HISTORY, JSON.stringify([...carried, ...entries].slice(-GENID_HISTORY_LIMIT)));
}

/**
 * `xl vm-genid --history`: the timeline of `domid`, oldest first. `XlError('DOMAIN_NOTFOUND')` for
 * an unknown domain.
 */
export function vmGenidHistory(port: GenidPort, domid: number): GenidHistoryEntry[] {
  existingDomain(port.hypervisor, domid);
  let genid = MsVmGenid.zero();
  try {
    genid = genidOfConfig(getDomainConfiguration(port, domid));
  } catch (error) {
    if (!XlError.is(error)) throw error; // no stored config: the ID it was created with is unknown
  }
  return genidTimeline(port, domid, genid);
}
