/**
 * Domains as xenstored knows them: XS_INTRODUCE, XS_RELEASE, XS_IS_DOMAIN_INTRODUCED, and the special
 * nodes `@introduceDomain` and `@releaseDomain` whose watches those fire.
 * @see tools/xenstore/xenstored_domain.c (do_introduce, do_release, do_is_domain_introduced,
 *   set_perms_special, check_perms_special)
 */
import type { XsChange } from './backend.ts';
import { XsError } from './errors.ts';
import { ROOT_PERMS, type StoreContext } from './limits.ts';
import type { XsPermission } from './perms.ts';
import { XS_PERM_OWNER, XS_PERM_READ, XS_PERM_WRITE } from './perms.ts';

/** Special watch paths fired by XS_INTRODUCE and XS_RELEASE. */
export const XS_INTRODUCE_DOMAIN = '@introduceDomain';
export const XS_RELEASE_DOMAIN = '@releaseDomain';

/** The permission lists of the special nodes; `access` gives a caller's permission bits for a list. */
export class SpecialNodes {
  readonly #perms = new Map<string, readonly XsPermission[]>([
    [XS_INTRODUCE_DOMAIN, ROOT_PERMS],
    [XS_RELEASE_DOMAIN, ROOT_PERMS],
  ]);

  /** @see check_perms_special */
  mayRead(path: string, access: (perms: readonly XsPermission[]) => number): boolean {
    const perms = this.#perms.get(path);
    return perms !== undefined && (access(perms) & XS_PERM_READ) !== 0;
  }

  /** @see set_perms_special */
  setPerms(path: string, list: readonly XsPermission[], access: (perms: readonly XsPermission[]) => number): void {
    const perms = this.#perms.get(path);
    if (!perms) throw new XsError('EINVAL', `no such special node: ${path}`);
    const needed = XS_PERM_WRITE | XS_PERM_OWNER;
    if ((access(perms) & needed) !== needed) throw new XsError('EACCES', `permission denied: ${path}`);
    this.#perms.set(path, list);
  }
}

/** EINVAL unless `domid` is a domain id from `lowest` up (XS_INTRODUCE's and XS_RELEASE's checks). */
export function checkDomid(domid: number, lowest = 0): void {
  if (!Number.isInteger(domid) || domid < lowest || domid > 0xffff) throw new XsError('EINVAL', `invalid domain id ${String(domid)}`);
}

/** Fires a special node's watches, here and (through the change log) in other processes. */
function fireSpecial(context: StoreContext, path: string): void {
  const change: XsChange = { path, exact: true, readers: [] };
  context.backend.commit({ checks: new Map(), writes: [], changes: [change], origin: context.origin });
  context.fire([change]);
}

/** Marks a domain introduced and fires `@introduceDomain`; nothing when it already is. @see do_introduce */
export function introduceDomain(context: StoreContext, domid: number): void {
  checkDomid(domid, 0);
  const backend = context.backend;
  if (backend.isDomainIntroduced(domid)) return;
  backend.setDomainIntroduced(domid, true);
  fireSpecial(context, XS_INTRODUCE_DOMAIN);
}

/** Forgets a domain and fires `@releaseDomain`. ENOENT when not introduced, EINVAL for Domain-0. @see do_release */
export function releaseDomain(context: StoreContext, domid: number): void {
  checkDomid(domid, 1);
  const backend = context.backend;
  if (!backend.isDomainIntroduced(domid)) throw new XsError('ENOENT', `domain ${domid} is not introduced`);
  backend.setDomainIntroduced(domid, false);
  fireSpecial(context, XS_RELEASE_DOMAIN);
}

