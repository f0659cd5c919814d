/**
 * The referees a documented command calls by name (Debian's xenstore-utils, QEMU and busybox for a
 * real Linux guest), so that the docs and README tests skip that block, with the reason, where one
 * is missing, as every referee test does (`@xen-genid/test-utils`), and fail under
 * `XEN_GENID_REQUIRE_REFEREES=1`.
 */
import { findReferee } from '@xen-genid/test-utils';

const XENSTORE_TOOLS = /\bxenstore-(?:ls|read|write|rm|list|exists|watch|chmod)\b/g;
/** A real Linux guest: `boot-linux` (but its `--help`), as linux-renewal.serial.test.ts needs it. */
const LINUX_GUEST = /\bboot-linux\b(?!\s+--help)/;

/** Why `code` cannot run here (what is not installed), or undefined when it can. */
export function missingReferee(code: string): string | undefined {
  const xenstoreTools = [...new Set(code.match(XENSTORE_TOOLS) ?? [])];
  const needs = [
    ...(xenstoreTools.length > 0 ? [findReferee('xenstore-utils', xenstoreTools)] : []),
    ...(LINUX_GUEST.test(code)
      ? [findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb'])]
      : []),
  ];
  const missing = needs.flatMap((referee) => (referee.missing === undefined ? [] : [referee.missing]));
  return missing.length > 0 ? missing.join('; ') : undefined;
}
