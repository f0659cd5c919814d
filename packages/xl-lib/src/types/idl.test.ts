import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileMemberCopy } from './idl.ts';

describe('a struct default copies its template (the `_init` gentypes.py writes)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('copies every member, in order, into a new object', () => {
    const template = { backendDomid: 0, model: undefined, 'odd "name"': 'x', __proto__x: 1n };
    const copy = compileMemberCopy(Object.keys(template))(template);
    expect(copy).not.toBe(template);
    expect(Object.entries(copy)).toEqual(Object.entries(template));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    const proto = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, unknown>;
    expect(Object.entries(compileMemberCopy(Object.keys(proto))(proto))).toEqual([['__proto__', 1], ['a', 2]]);
  });

  it('spreads the template where code cannot be made from strings, with the same defaults', async () => {
    const { defaultDomainConfig, defaultOf, DeviceNic } = await import('../index.ts');
    const generated = { nic: defaultOf(DeviceNic), config: defaultDomainConfig('hvm') };
    vi.resetModules();
    vi.stubGlobal('Function', function refused() {
      throw new EvalError('Code generation from strings disallowed for this context');
    });
    const spread = await import('../index.ts');
    expect(() => new Function('return 1')).toThrow(EvalError);
    const fallback = { nic: spread.defaultOf(spread.DeviceNic), config: spread.defaultDomainConfig('hvm') };
    expect(JSON.stringify(Object.keys(fallback.nic))).toBe(JSON.stringify(Object.keys(generated.nic)));
    expect(fallback.nic).toStrictEqual(generated.nic);
    expect(Object.keys(fallback.config.buildInfo)).toEqual(Object.keys(generated.config.buildInfo));
    expect(spread.domainConfigToJsonText(fallback.config)).toBe(spread.domainConfigToJsonText(generated.config));
  });
});
