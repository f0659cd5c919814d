/**
 * Node permissions: owner + default, then per-domain entries.
 * @see perm_for_conn (tools/xenstore/xenstored_core.c), xs_perm_to_string / xs_strings_to_perms (xs_lib.c)
 */
import { XsError } from './errors.ts';

/** `n` none, `r` read, `w` write, `b` both. */
export type XsAccess = 'n' | 'r' | 'w' | 'b';

/** One `xs_permissions` entry. The first entry of a list names the owner and the default access. */
export interface XsPermission {
  readonly id: number;
  readonly access: XsAccess;
}

/** Bits of `enum xs_perm_type`. */
export const XS_PERM_NONE = 0;
export const XS_PERM_READ = 1;
export const XS_PERM_WRITE = 2;
export const XS_PERM_OWNER = 8;

const ACCESS_BITS: Record<XsAccess, number> = { n: XS_PERM_NONE, r: XS_PERM_READ, w: XS_PERM_WRITE, b: XS_PERM_READ | XS_PERM_WRITE };

/** The permission bits a domain gets from `perms`. Privileged callers and the owner get everything. */
export function permissionFor(perms: readonly XsPermission[], domid: number, privileged: boolean): number {
  const owner = perms[0];
  if (privileged || owner === undefined || owner.id === domid) return XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
  for (let index = 1; index < perms.length; index += 1) {
    const entry = perms[index]!;
    if (entry.id === domid) return ACCESS_BITS[entry.access];
  }
  return ACCESS_BITS[owner.access];
}

/** `r1`, as on the wire and in `xenstore-ls -p`. */
export function formatPermission(perm: XsPermission): string {
  return `${perm.access}${perm.id}`;
}

/** C `strtol(s, &end, 0)` over the whole string: decimal, `0x` hex or `0` octal, optional sign. */
function parseCInteger(text: string): number | undefined {
  const match = /^[\t\n\v\f\r ]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const digits = match[2]!;
  let value: number;
  if (digits.length > 1 && (digits[1] === 'x' || digits[1] === 'X')) value = Number.parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') value = Number.parseInt(digits.slice(1), 8);
  else value = Number.parseInt(digits, 10);
  return match[1] === '-' ? -value : value;
}

/**
 * Parses one permission string (`b0`, `r1`, `n0x10`). Throws `EINVAL` on a bad letter or id.
 * The id is an unsigned 32-bit domain id as xenstored stores it.
 */
export function parsePermission(text: string): XsPermission {
  const letter = text[0];
  if (letter !== 'n' && letter !== 'r' && letter !== 'w' && letter !== 'b') {
    throw new XsError('EINVAL', `invalid permission ${JSON.stringify(text)}`);
  }
  const id = parseCInteger(text.slice(1));
  if (id === undefined || !Number.isSafeInteger(id)) throw new XsError('EINVAL', `invalid permission ${JSON.stringify(text)}`);
  return { id: id >>> 0, access: letter };
}

/** Parses a whole list; it must have at least one entry. */
export function parsePermissions(texts: readonly string[]): XsPermission[] {
  if (texts.length === 0) throw new XsError('EINVAL', 'a permission list needs at least one entry');
  return texts.map(parsePermission);
}

/** Checks a caller-supplied list and returns a frozen copy. */
export function normalizePermissions(perms: readonly XsPermission[]): readonly XsPermission[] {
  if (perms.length === 0) throw new XsError('EINVAL', 'a permission list needs at least one entry');
  return Object.freeze(
    perms.map((perm) => {
      if (!Number.isInteger(perm.id) || perm.id < 0 || perm.id > 0xffffffff) {
        throw new XsError('EINVAL', `invalid domain id in permission: ${String(perm.id)}`);
      }
      if (perm.access !== 'n' && perm.access !== 'r' && perm.access !== 'w' && perm.access !== 'b') {
        throw new XsError('EINVAL', `invalid access in permission: ${String(perm.access)}`);
      }
      return Object.freeze({ id: perm.id, access: perm.access });
    }),
  );
}
