/**
 * The xenstore half of the toolstack → firmware contract, defined once (ours, from
 * `docs/misc/xenstore-paths.pandoc`): the keys libxl writes under a domain's home and hvmloader
 * reads relative to it. libxl writes `~/platform/generation-id` as two unsigned decimal 64-bit
 * words `"<lo>:<hi>"`.
 */
export const PLATFORM_GENERATION_ID_KEY = 'platform/generation-id';

/** hvmloader's default when the key is absent (`xenstore_read(..., "0:0")`). */
export const PLATFORM_GENERATION_ID_DEFAULT = '0:0';

/**
 * Whether hvmloader builds ACPI tables (`~/platform/acpi`, "0" or "1"): libxl writes it for HVM
 * guests; hvmloader builds them when the value starts with "1", and a missing key reads as "1".
 */
export const PLATFORM_ACPI_KEY = 'platform/acpi';

/** Where every domain's home lies (`xs_get_domain_path` builds each below it). */
export const LOCAL_DOMAIN_PATH = '/local/domain';

/**
 * A domain's xenstore home, as `libxl__xs_get_dompath`: the one helper above xenstore (xenstore
 * itself answers XS_GET_DOMAIN_PATH with the same text, and depends on nothing).
 */
export function domainPath(domid: number): string {
  return `${LOCAL_DOMAIN_PATH}/${domid}`;
}
