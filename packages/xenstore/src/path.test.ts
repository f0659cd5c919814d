import { describe, expect, it } from 'vitest';
import { canonicalizePath, isPathAtOrBelow, isValidNodeName, parentPath } from './path.ts';
import { parsePermission, permissionFor, XS_PERM_OWNER, XS_PERM_READ, XS_PERM_WRITE } from './perms.ts';
import { XsError } from './errors.ts';

describe('node names (is_valid_nodename)', () => {
  it('accepts what Xen accepts', () => {
    for (const path of ['/', '/a', '/local/domain/1/platform/generation-id', '/A-z_0@9', '/@x']) expect(isValidNodeName(path)).toBe(true);
  });
  it('rejects relative, trailing slash, double slash, bad characters and empty', () => {
    for (const path of ['', 'a', '/a/', '/a//b', '/a b', '/a.b', '/a:b', '/ä', '/a\0']) expect(isValidNodeName(path)).toBe(false);
  });
  it('limits length to 2048 after any /local/domain/<N>/ prefix', () => {
    expect(isValidNodeName(`/${'a'.repeat(2047)}`)).toBe(true);
    expect(isValidNodeName(`/${'a'.repeat(2048)}`)).toBe(false);
    const home = '/local/domain/12345/';
    expect(isValidNodeName(`${home}${'a'.repeat(2048)}`)).toBe(true);
    expect(isValidNodeName(`${home}${'a'.repeat(2049)}`)).toBe(false);
    // More than 5 digits is not a domain home: the whole path counts.
    expect(isValidNodeName(`/local/domain/123456/${'a'.repeat(2030)}`)).toBe(false);
    expect(isValidNodeName(`/${'a'.repeat(100)}`, 50)).toBe(false);
  });
  it('resolves relative paths under the domain home and leaves @ paths alone', () => {
    expect(canonicalizePath(3, 'platform/generation-id')).toBe('/local/domain/3/platform/generation-id');
    expect(canonicalizePath(3, '/abs')).toBe('/abs');
    expect(canonicalizePath(3, '@releaseDomain')).toBe('@releaseDomain');
  });
  it('finds parents and ancestry', () => {
    expect(parentPath('/a')).toBe('/');
    expect(parentPath('/a/b/c')).toBe('/a/b');
    expect(isPathAtOrBelow('/a/b', '/a')).toBe(true);
    expect(isPathAtOrBelow('/a', '/a')).toBe(true);
    expect(isPathAtOrBelow('/ab', '/a')).toBe(false);
    expect(isPathAtOrBelow('/anything', '/')).toBe(true);
  });
});

describe('permissions (perm_for_conn, xs_strings_to_perms)', () => {
  const perms = [{ id: 0, access: 'r' as const }, { id: 1, access: 'w' as const }, { id: 2, access: 'n' as const }];
  it('gives owners and privileged callers everything', () => {
    expect(permissionFor(perms, 0, false)).toBe(XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER);
    expect(permissionFor(perms, 7, true)).toBe(XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER);
  });
  it('uses a matching entry, else the owner entry as default', () => {
    expect(permissionFor(perms, 1, false)).toBe(XS_PERM_WRITE);
    expect(permissionFor(perms, 2, false)).toBe(0);
    expect(permissionFor(perms, 9, false)).toBe(XS_PERM_READ);
  });
  it('parses ids as strtol(…, 0) does and rejects bad letters or ids', () => {
    expect(parsePermission('b0')).toEqual({ id: 0, access: 'b' });
    expect(parsePermission('r0x10')).toEqual({ id: 16, access: 'r' });
    expect(parsePermission('w010')).toEqual({ id: 8, access: 'w' });
    for (const bad of ['x1', 'r', 'rabc', 'r1x', '']) {
      expect(() => parsePermission(bad), bad).toThrow(XsError);
    }
  });
});
