import { describe, expect, it } from 'vitest';
import { createSeededRandomSource, type RandomSource } from '../random-bytes.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import {
  GENID_POLICY,
  decideGenid,
  genidModeOfConfig,
  genidOfConfig,
  genidPolicyRow,
  newRandomGenid,
  setGenidOfConfig,
  type LifecycleOperation,
} from './lifecycle-policy.ts';

const current = MsVmGenid.fromHex('0123456789abcdef0123456789abcdef');
const requested = MsVmGenid.fromHex('fedcba9876543210fedcba9876543210');
const random = () => createSeededRandomSource(3);

/** spec/lifecycle.md, as (operation, generate column, explicit column, notify, real xl 4.17). */
const SPEC_ROWS: [LifecycleOperation, string, string, boolean, string][] = [
  ['create', 'new', 'requested', false, 'same'],
  ['reboot', 'same', 'same', false, 'same'],
  ['pause', 'same', 'same', false, 'same'],
  ['unpause', 'same', 'same', false, 'same'],
  ['save-checkpoint', 'same', 'same', false, 'same'],
  ['save', 'same', 'same', false, 'same'],
  ['restore', 'new', 'new', true, 'keeps the saved ID'],
  ['restore-with-config', 'new', 'new', true, 'new random (re-parsed)'],
  ['restore-other-host', 'new', 'new', true, 'keeps the saved ID'],
  ['migrate', 'same', 'same', false, 'same'],
  ['migrate-with-config', 'same', 'same', false, 'new random (re-parsed)'],
  ['migrate-failed', 'same', 'same', false, 'same'],
  ['destroy', 'gone', 'gone', false, 'same'],
  ['vm-genid-new', 'new', 'new', true, 'no such command'],
];

function outcome(operation: LifecycleOperation, mode: 'generate' | 'explicit') {
  const decision = decideGenid({ operation, mode, current, requested, random: random() });
  if (decision.genid.isZero()) return 'gone';
  if (decision.genid.equals(current)) return 'same';
  if (decision.genid.equals(requested)) return 'requested';
  return 'new';
}

describe('the lifecycle policy, row by row', () => {
  it('has exactly the rows of spec/lifecycle.md', () => {
    expect(GENID_POLICY.map((row) => row.operation)).toEqual([...SPEC_ROWS.map(([operation]) => operation), 'vm-genid-set']);
  });

  for (const [operation, generate, explicit, notify, xl417] of SPEC_ROWS) {
    it(`${operation}: generate → ${generate}, explicit → ${explicit}, notify ${notify}`, () => {
      expect(outcome(operation, 'generate')).toBe(generate);
      expect(outcome(operation, 'explicit')).toBe(explicit);
      expect(decideGenid({ operation, mode: 'generate', current, requested, random: random() }).notify).toBe(notify);
      expect(genidPolicyRow(operation).xl417).toBe(xl417);
      if (!operation.startsWith('vm-genid')) {
        const none = decideGenid({ operation, mode: 'none', current: MsVmGenid.zero() });
        expect([none.action, none.genid.isZero(), none.notify]).toEqual(['none', true, false]);
      }
    });
  }

  it('vm-genid --set: the requested ID, notify only when it changed', () => {
    const changed = decideGenid({ operation: 'vm-genid-set', mode: 'generate', current, requested });
    expect([changed.genid.equals(requested), changed.changed, changed.notify]).toEqual([true, true, true]);
    const same = decideGenid({ operation: 'vm-genid-set', mode: 'generate', current, requested: current });
    expect([same.changed, same.notify]).toEqual([false, false]);
  });

  it('refuses vm-genid on a domain without an ID, and a zero requested ID', () => {
    expect(() => decideGenid({ operation: 'vm-genid-new', mode: 'none' })).toThrow('no VM generation ID');
    expect(() => decideGenid({ operation: 'vm-genid-set', mode: 'generate', current, requested: MsVmGenid.zero() })).toThrow(
      'non-zero generation ID',
    );
    expect(() => decideGenid({ operation: 'create', mode: 'explicit' })).toThrow('non-zero generation ID');
    expect(() => decideGenid({ operation: 'reboot', mode: 'generate', current: MsVmGenid.zero() })).toThrow('all-zero');
    expect(() => genidPolicyRow('teleport' as LifecycleOperation)).toThrow('no generation-ID policy');
  });

  it('a new random ID is never zero and never the previous one', () => {
    let calls = 0;
    const stubborn: RandomSource = {
      fill(buffer) {
        calls += 1;
        if (calls === 1) buffer.fill(0);
        else if (calls === 2) buffer.set(current.bytes);
        else buffer.fill(7);
      },
    };
    expect(newRandomGenid(current, stubborn).toHex()).toBe('07'.repeat(16));
    expect(calls).toBe(3);
    const stuck: RandomSource = { fill: (buffer) => buffer.fill(0) };
    expect(() => newRandomGenid(undefined, stuck)).toThrow(expect.objectContaining({ code: 'FAIL' }));
    const same: RandomSource = { fill: (buffer) => buffer.set(current.bytes) };
    expect(() => decideGenid({ operation: 'restore', mode: 'generate', current, random: same })).toThrow('unchanged');
  });
});

describe('config helpers', () => {
  it('reads, sets and classifies the config ID', () => {
    const config = defaultDomainConfig('hvm');
    expect(genidModeOfConfig(config)).toBe('none');
    setGenidOfConfig(config, requested);
    expect(genidOfConfig(config).equals(requested)).toBe(true);
    expect(genidModeOfConfig(config)).toBe('generate');
    const pv = defaultDomainConfig('pv');
    expect(genidOfConfig(pv).isZero()).toBe(true);
    expect(genidModeOfConfig(pv)).toBe('none');
    setGenidOfConfig(pv, MsVmGenid.zero());
    expect(() => setGenidOfConfig(pv, requested)).toThrow('cannot have a VM generation ID');
  });
});
