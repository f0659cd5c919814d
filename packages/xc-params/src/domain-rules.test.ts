import { describe, expect, it } from 'vitest';
import { DOMID_FIRST_RESERVED } from './hypervisor.ts';
import {
  allocateDomid,
  checkCreateDomainOptions,
  checkGpe,
  checkPendingStart,
  checkShutdownReason,
} from './domain-rules.ts';
import { XcError } from './errors.ts';

const code = (body: () => unknown) => {
  try {
    body();
  } catch (error) {
    return XcError.is(error) ? error.code : 'not an XcError';
  }
  return 'no error';
};

describe('domain rules shared by Hypervisor implementations', () => {
  it('fills in libxl-like defaults and a fresh uuid', () => {
    const checked = checkCreateDomainOptions({ type: 'hvm' });
    expect(checked).toMatchObject({ type: 'hvm', maxMemKb: 32 * 1024, vcpus: 1 });
    expect(checked.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(checkCreateDomainOptions({ type: 'hvm' }).uuid).not.toBe(checked.uuid);
  });

  it.each([
    [{ type: 'hvm2' as never }],
    [{ type: 'hvm' as const, uuid: 'ABCDEF00-0000-0000-0000-000000000000' }],
    [{ type: 'hvm' as const, maxMemKb: 0 }],
    [{ type: 'hvm' as const, maxMemKb: 1.5 }],
    [{ type: 'pv' as const, vcpus: 0 }],
    [{ type: 'pv' as const, vcpus: 129 }],
  ])('refuses %j with EINVAL', (options) => {
    expect(code(() => checkCreateDomainOptions(options))).toBe('EINVAL');
  });

  it('allocates after the rover, skipping used domids, and wraps to 1', () => {
    expect(allocateDomid(0, () => false)).toBe(1);
    expect(allocateDomid(4, (domid) => domid === 5)).toBe(6);
    expect(allocateDomid(DOMID_FIRST_RESERVED - 1, () => false)).toBe(1);
    expect(code(() => allocateDomid(7, () => true))).toBe('ENOMEM');
  });

  it('checks shutdown reasons, pending starts and GPE numbers', () => {
    expect(code(() => checkShutdownReason('reboot'))).toBe('no error');
    expect(code(() => checkShutdownReason('halt' as never))).toBe('EINVAL');
    expect(code(() => checkPendingStart(null))).toBe('no error');
    expect(code(() => checkPendingStart('wake' as never))).toBe('EINVAL');
    expect(code(() => checkGpe(255))).toBe('no error');
    expect(code(() => checkGpe(256))).toBe('EINVAL');
    expect(code(() => checkGpe(-1))).toBe('EINVAL');
  });
});
