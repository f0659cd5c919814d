/**
 * The toolstack → firmware contract for the generation ID, defined once (ours, from
 * `docs/misc/xenstore-paths.pandoc`): libxl writes `~/platform/generation-id` as two unsigned
 * decimal 64-bit words `"<lo>:<hi>"`; hvmloader reads it relative to its domain's home.
 */
export const PLATFORM_GENERATION_ID_KEY = 'platform/generation-id';

/** hvmloader's default when the key is absent (`xenstore_read(..., "0:0")`). */
export const PLATFORM_GENERATION_ID_DEFAULT = '0:0';

/** A domain's xenstore home, as `libxl__xs_get_dompath`. */
export function domainPath(domid: number): string {
  return `/local/domain/${domid}`;
}
