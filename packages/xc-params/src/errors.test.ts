import { describe, expect, it } from 'vitest';
import { XcError, XC_ERRNO } from './errors.ts';

describe('XcError', () => {
  it('carries the errno name and number, with the name as default message', () => {
    const error = new XcError('ESRCH');
    expect(error.code).toBe('ESRCH');
    expect(error.errno).toBe(3);
    expect(error.message).toBe('ESRCH');
    expect(error.name).toBe('XcError');
    expect(new XcError('EPERM', 'no', { cause: 1 }).cause).toBe(1);
  });

  it('uses Linux errno numbers', () => {
    expect(XC_ERRNO).toMatchObject({ EPERM: 1, ESRCH: 3, ENOMEM: 12, EEXIST: 17, EINVAL: 22, EOPNOTSUPP: 95 });
  });

  it('is recognised by its marker, as from a second copy of the package, and nothing else is', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('xen-genid.xc-params.XcError')]: true, code: 'EPERM' });
    expect(XcError.is(new XcError('EINVAL'))).toBe(true);
    expect(XcError.is(foreign)).toBe(true);
    expect(XcError.is(new Error('EINVAL'))).toBe(false);
    expect(XcError.is(null)).toBe(false);
    expect(XcError.is('EINVAL')).toBe(false);
  });
});
