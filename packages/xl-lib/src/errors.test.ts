import { XcError } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { XL_ERROR, XlError, wrapFailure, xlErrorCodeOf } from './errors.ts';

describe('XlError', () => {
  it('carries libxl_error codes and numbers', () => {
    const error = new XlError('DOMAIN_NOTFOUND', 'no domain 7');
    expect([error.code, error.rc, error.name, error.message]).toEqual(['DOMAIN_NOTFOUND', -21, 'XlError', 'no domain 7']);
    expect(new XlError('FAIL').message).toBe('FAIL');
    expect(XL_ERROR).toMatchObject({ NONSPECIFIC: -1, FAIL: -3, INVAL: -6, NOTFOUND: -23, JSON_CONFIG_EMPTY: -16 });
    expect(xlErrorCodeOf(-6)).toBe('INVAL');
    expect(xlErrorCodeOf(-999)).toBeUndefined();
  });

  it('is recognised across copies by its marker', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('xen-genid.xl-lib.XlError')]: true });
    expect(XlError.is(foreign)).toBe(true);
    expect(XlError.is(new Error('x'))).toBe(false);
    expect(XlError.is(null)).toBe(false);
  });

  it('wraps lower-layer failures as ERROR_FAIL with the cause, keeping XlErrors', () => {
    const xc = new XcError('ESRCH', 'no such domain');
    const wrapped = wrapFailure('pause', xc);
    expect([wrapped.code, wrapped.message, wrapped.cause]).toEqual(['FAIL', 'pause: no such domain', xc]);
    const own = new XlError('INVAL', 'bad');
    expect(wrapFailure('x', own)).toBe(own);
  });
});
