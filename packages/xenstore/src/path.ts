/**
 * Node names: validity, canonical form, parents.
 * @see is_valid_nodename, canonicalize, get_parent (tools/xenstore/xenstored_core.c)
 */
import { XsError } from './errors.ts';

/** xs_wire.h */
export const XENSTORE_ABS_PATH_MAX = 3072;
/** xs_wire.h; also 4.17 xenstored's default `quota_max_path_len`. */
export const XENSTORE_REL_PATH_MAX = 2048;

const LOCAL_DOMAIN = '/local/domain/';

/** `/local/domain/<domid>`, what XS_GET_DOMAIN_PATH returns. */
export function getDomainPath(domid: number): string {
  return `${LOCAL_DOMAIN}${domid}`;
}

function isNodeChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || code === 0x2f || code === 0x5f || code === 0x40 // - / _ @
  );
}

/**
 * Length of a leading `/local/domain/<N>/` (N of at most 5 digits), which does not count against
 * the path length quota; 0 when the path is elsewhere.
 */
function localPrefixLength(path: string): number {
  if (!path.startsWith(LOCAL_DOMAIN)) return 0;
  let index = LOCAL_DOMAIN.length;
  const start = index;
  while (index < path.length && index - start < 6) {
    const code = path.charCodeAt(index);
    if (code < 0x30 || code > 0x39) break;
    index += 1;
  }
  const digits = index - start;
  if (digits === 0 || digits > 5 || path.charCodeAt(index) !== 0x2f) return 0;
  return index + 1;
}

/**
 * Xen's node-name rule: starts with `/`, no trailing `/` (except `/`), no `//`, only
 * `A-Z a-z 0-9 - / _ @`, and at most `maxPathLength` characters after any `/local/domain/<N>/`.
 */
export function isValidNodeName(path: string, maxPathLength = XENSTORE_REL_PATH_MAX): boolean {
  const length = path.length;
  if (length === 0 || path.charCodeAt(0) !== 0x2f) return false;
  if (length === 1) return true;
  if (path.charCodeAt(length - 1) === 0x2f) return false;
  let previous = 0;
  for (let index = 0; index < length; index += 1) {
    const code = path.charCodeAt(index);
    if (!isNodeChar(code)) return false;
    if (code === 0x2f && previous === 0x2f) return false;
    previous = code;
  }
  return length <= localPrefixLength(path) + maxPathLength;
}

/** A watch path for the special events (`@introduceDomain`, `@releaseDomain`). */
export function isSpecialPath(path: string): boolean {
  return path.charCodeAt(0) === 0x40;
}

/**
 * Absolute form of a caller's path: relative paths are taken under the caller's domain home.
 * `@` paths are returned as they are.
 */
export function canonicalizePath(domid: number, path: string): string {
  const first = path.charCodeAt(0);
  if (first === 0x2f || first === 0x40) return path;
  return `${LOCAL_DOMAIN}${domid}/${path}`;
}

/** Validates an absolute node name, throwing `EINVAL`. */
export function checkNodeName(path: string, maxPathLength = XENSTORE_REL_PATH_MAX): void {
  if (!isValidNodeName(path, maxPathLength)) throw new XsError('EINVAL', `invalid node name: ${JSON.stringify(path)}`);
}

/** The parent of a valid node name other than `/`. */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** Last component of a valid node name other than `/`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `parent/child`, with `/` handled. */
export function childPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** True when `path` is `ancestor` or below it (`/` is above everything). @see is_child (xenstored_watch.c) */
export function isPathAtOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  if (!path.startsWith(ancestor)) return false;
  return path.length === ancestor.length || path.charCodeAt(ancestor.length) === 0x2f;
}
