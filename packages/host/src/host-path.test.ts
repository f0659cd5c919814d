import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostError } from './errors.ts';
import { defaultHostPath } from './host-path.ts';

describe('defaultHostPath', () => {
  it('uses $XDG_STATE_HOME/xen-genid/host.db', () => {
    expect(defaultHostPath({ XDG_STATE_HOME: '/state', HOME: '/home/u' })).toBe('/state/xen-genid/host.db');
  });

  it('falls back to ~/.local/state when XDG_STATE_HOME is unset, empty or relative', () => {
    expect(defaultHostPath({ HOME: '/home/u' })).toBe('/home/u/.local/state/xen-genid/host.db');
    expect(defaultHostPath({ HOME: '/home/u', XDG_STATE_HOME: '' })).toBe('/home/u/.local/state/xen-genid/host.db');
    expect(defaultHostPath({ HOME: '/home/u', XDG_STATE_HOME: 'rel' })).toBe('/home/u/.local/state/xen-genid/host.db');
    expect(defaultHostPath({}, { home: '/h' })).toBe('/h/.local/state/xen-genid/host.db');
  });

  it('prefers $XEN_GENID_HOST, and an explicit path over everything', () => {
    const env = { XEN_GENID_HOST: '/srv/a.db', XDG_STATE_HOME: '/state', HOME: '/home/u' };
    expect(defaultHostPath(env)).toBe('/srv/a.db');
    expect(defaultHostPath(env, { explicit: '/tmp/b.db' })).toBe('/tmp/b.db');
    expect(defaultHostPath({ XEN_GENID_HOST: 'rel.db' })).toBe(resolve('rel.db'));
    expect(defaultHostPath({ XEN_GENID_HOST: '', HOME: '/home/u' })).toBe('/home/u/.local/state/xen-genid/host.db');
  });

  it('refuses an empty explicit path', () => {
    expect(() => defaultHostPath({}, { explicit: '' })).toThrow(HostError);
  });
});
