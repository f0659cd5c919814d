/**
 * A domain handle's text (`xen_domain_handle_t`, printed by libxl's `LIBXL_UUID_FMT`): the one
 * pattern of a uuid every package checks against.
 */

/** 8-4-4-4-12 hexadecimal digits in any case, as `libxl_uuid_from_string` takes them. */
export const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid as the hypervisor keeps it and libxl prints it: `UUID_TEXT` in lower case. */
export function isCanonicalUuid(text: string): boolean {
  return UUID_TEXT.test(text) && text === text.toLowerCase();
}
