/**
 * The generation-ID lifecycle policy: one table, one row per operation, that every operation asks
 * "which ID now?". It follows the Microsoft scenario table (pause, reboot and live migration keep
 * the ID; applying a snapshot, restoring a backup, disaster-recovery failover, import, copy and
 * clone get a new one), not xl 4.17's behaviour, which cannot tell those apart (its column is kept
 * in each row, and `docs/divergences.md` lists where we differ).
 *
 * Xen itself has no such module: libxl applies whatever bytes `b_info.u.hvm.ms_vm_genid` holds
 * (`libxl__build_post` → `libxl__ms_vm_genid_set`) and xl generates an ID only when it parses
 * `ms_vm_genid = "generate"` (`tools/xl/xl_parse.c`).
 */
import { XlError } from '../errors.ts';
import type { RandomSource } from '../random-bytes.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import type { DomainConfig } from '../types/domain-config.ts';

/**
 * What the domain's config asks for: `generate` (`ms_vm_genid = "generate"`), an explicit ID the
 * user gave, or `none` (also every PV and PVH domain). With `none` there is never an ID.
 */
export type GenidMode = 'generate' | 'explicit' | 'none';

export type LifecycleOperation =
  | 'create'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'save-checkpoint'
  | 'save'
  | 'restore'
  | 'restore-with-config'
  | 'restore-other-host'
  | 'migrate'
  | 'migrate-with-config'
  | 'migrate-failed'
  | 'destroy'
  | 'vm-genid-new'
  | 'vm-genid-set';

/**
 * - `new-random`: a fresh random ID, never all-zero, never equal to the current one;
 * - `keep`: the current ID, unchanged;
 * - `requested`: the ID the operation was given (the config's explicit ID, or `vm-genid --set`);
 * - `remove`: the ID goes away with the domain.
 */
export type GenidAction = 'new-random' | 'keep' | 'requested' | 'remove';

/** When the running guest gets an ACPI Notify(VGID, 0x80) (beyond Xen, which never notifies). */
export type GenidNotify = 'never' | 'always' | 'if-changed';

export interface GenidPolicyRow {
  readonly operation: LifecycleOperation;
  /** The xl command the row describes. */
  readonly command: string;
  /** Microsoft scenario(s) (spec anchors §2), or `-`. */
  readonly scenario: string;
  readonly generate: GenidAction;
  readonly explicit: GenidAction;
  readonly notify: GenidNotify;
  /** What real xl 4.17 does on this row. */
  readonly xl417: 'same' | 'keeps the saved ID' | 'new random (re-parsed)' | 'no such command';
}

/** `spec/lifecycle.md`, row by row. */
export const GENID_POLICY: readonly GenidPolicyRow[] = [
  { operation: 'create', command: 'xl create cfg', scenario: 'first boot / new VM', generate: 'new-random', explicit: 'requested', notify: 'never', xl417: 'same' },
  { operation: 'reboot', command: 'guest reboot, xl reboot', scenario: 'S2', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'pause', command: 'xl pause', scenario: 'S1', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'unpause', command: 'xl unpause', scenario: 'S1', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'save-checkpoint', command: 'xl save -c dom file', scenario: 'S10', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'save', command: 'xl save dom file', scenario: '-', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'restore', command: 'xl restore file', scenario: 'S4, S5, S7', generate: 'new-random', explicit: 'new-random', notify: 'always', xl417: 'keeps the saved ID' },
  { operation: 'restore-with-config', command: 'xl restore cfg file', scenario: 'S4, S5, S7', generate: 'new-random', explicit: 'new-random', notify: 'always', xl417: 'new random (re-parsed)' },
  { operation: 'restore-other-host', command: 'xl restore file (another host file)', scenario: 'S6', generate: 'new-random', explicit: 'new-random', notify: 'always', xl417: 'keeps the saved ID' },
  { operation: 'migrate', command: 'xl migrate dom host', scenario: 'S8', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'migrate-with-config', command: 'xl migrate -C cfg dom host', scenario: 'S8', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'new random (re-parsed)' },
  { operation: 'migrate-failed', command: 'migration fails before the receiver is cleared', scenario: '-', generate: 'keep', explicit: 'keep', notify: 'never', xl417: 'same' },
  { operation: 'destroy', command: 'xl destroy', scenario: '-', generate: 'remove', explicit: 'remove', notify: 'never', xl417: 'same' },
  { operation: 'vm-genid-new', command: 'xl vm-genid --new dom', scenario: 'forced renewal', generate: 'new-random', explicit: 'new-random', notify: 'always', xl417: 'no such command' },
  { operation: 'vm-genid-set', command: 'xl vm-genid --set ID dom', scenario: 'forced value', generate: 'requested', explicit: 'requested', notify: 'if-changed', xl417: 'no such command' },
];

const rowsByOperation = new Map(GENID_POLICY.map((row) => [row.operation, row]));

/** The row of `operation`. */
export function genidPolicyRow(operation: LifecycleOperation): GenidPolicyRow {
  const row = rowsByOperation.get(operation);
  if (!row) throw new XlError('INVAL', `no generation-ID policy for operation ${JSON.stringify(operation)}`);
  return row;
}

export interface GenidQuestion {
  readonly operation: LifecycleOperation;
  readonly mode: GenidMode;
  /** The domain's ID before the operation (the saved one for a restore); zero or absent for none. */
  readonly current?: MsVmGenid;
  /** For `requested`: the explicit ID of the config, or the `vm-genid --set` value. */
  readonly requested?: MsVmGenid;
  /** Where a new random ID comes from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
}

export interface GenidDecision {
  readonly row: GenidPolicyRow;
  /** What applied: `none` when the domain has no ID. */
  readonly action: GenidAction | 'none';
  /** The ID after the operation: all-zero when there is none (`none` mode, or `remove`). */
  readonly genid: MsVmGenid;
  /** True when `genid` differs from `current`. */
  readonly changed: boolean;
  /** True when the running guest must get an ACPI Notify on VGID. */
  readonly notify: boolean;
}

const MAX_DRAWS = 8;

/**
 * A new random ID for a domain whose ID was `previous`: never all-zero and never equal to
 * `previous` (a source that keeps returning either is a failure, `XlError('FAIL')`).
 */
export function newRandomGenid(previous: MsVmGenid | undefined, random?: RandomSource): MsVmGenid {
  for (let draw = 0; draw < MAX_DRAWS; draw += 1) {
    const genid = MsVmGenid.generate(random);
    if (!genid.isZero() && !(previous && genid.equals(previous))) return genid;
  }
  throw new XlError('FAIL', 'the random source keeps returning a zero or unchanged generation ID');
}

/** Which ID now? Applies the row of `question.operation` to the domain's mode and current ID. */
export function decideGenid(question: GenidQuestion): GenidDecision {
  const row = genidPolicyRow(question.operation);
  const current = question.current ?? MsVmGenid.zero();
  if (question.mode === 'none') {
    if (question.operation === 'vm-genid-new' || question.operation === 'vm-genid-set') {
      throw new XlError('INVAL', 'the domain has no VM generation ID (ms_vm_genid is "none", or it is not an HVM guest)');
    }
    return { row, action: 'none', genid: MsVmGenid.zero(), changed: !current.isZero(), notify: false };
  }
  const action = question.mode === 'generate' ? row.generate : row.explicit;
  let genid: MsVmGenid;
  switch (action) {
    case 'new-random':
      genid = newRandomGenid(current.isZero() ? undefined : current, question.random);
      break;
    case 'keep':
      if (current.isZero()) {
        throw new XlError('INVAL', `${row.command}: the domain should have a generation ID to keep, but it is all-zero`);
      }
      genid = current.copy();
      break;
    case 'requested':
      if (!question.requested || question.requested.isZero()) {
        throw new XlError('INVAL', `${row.command}: a non-zero generation ID must be given`);
      }
      genid = question.requested.copy();
      break;
    case 'remove':
      genid = MsVmGenid.zero();
      break;
  }
  const changed = !genid.equals(current);
  const notify = row.notify === 'always' || (row.notify === 'if-changed' && changed);
  return { row, action, genid, changed, notify };
}

/**
 * The mode a stored config implies: `none` for a non-HVM domain or an all-zero ID, else
 * `generate` (libxl's stored config keeps only the bytes; `generate` and `explicit` act the same
 * on every row after create).
 */
export function genidModeOfConfig(config: DomainConfig): GenidMode {
  const u = config.buildInfo.u;
  if (u.type !== 'hvm' || u.msVmGenid.isZero()) return 'none';
  return 'generate';
}

/** The config's ID: all-zero for a non-HVM domain. */
export function genidOfConfig(config: DomainConfig): MsVmGenid {
  const u = config.buildInfo.u;
  return u.type === 'hvm' ? u.msVmGenid : MsVmGenid.zero();
}

/** Sets the config's ID in place; `XlError('INVAL')` for a non-zero ID on a non-HVM config. */
export function setGenidOfConfig(config: DomainConfig, genid: MsVmGenid): void {
  const u = config.buildInfo.u;
  if (u.type === 'hvm') {
    u.msVmGenid = genid.copy();
    return;
  }
  if (!genid.isZero()) throw new XlError('INVAL', `a ${u.type} domain cannot have a VM generation ID`);
}
