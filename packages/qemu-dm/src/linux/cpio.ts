/**
 * A writer for the "newc" cpio format (`SVR4 no CRC`, magic `070701`), the only archive format the
 * Linux kernel unpacks as an initramfs (`init/initramfs.c`) and scans for ACPI table upgrades
 * (`lib/earlycpio.c` find_cpio_data, used by `drivers/acpi/tables.c` acpi_table_upgrade).
 */
import { QemuDmError } from '../errors.ts';

/** One member of an archive. Directories and symlinks carry no data of their own. */
export type CpioEntry =
  | { readonly kind: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: 'directory'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const HEADER_LENGTH = 110;
const TRAILER = 'TRAILER!!!';

function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new QemuDmError('INVALID_ARGUMENT', `cpio: header field out of range: ${value}`);
  }
  return value.toString(16).padStart(8, '0');
}

function padTo4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function checkPath(path: string): void {
  if (path.length === 0 || path.startsWith('/') || path.split('/').some((part) => part === '' || part === '..')) {
    throw new QemuDmError('INVALID_ARGUMENT', `cpio: member path must be relative and normalised: ${JSON.stringify(path)}`);
  }
}

function member(ino: number, mode: number, name: string, data: Uint8Array): Uint8Array[] {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const fields = [
    ino, mode, 0, 0, (mode & 0o170000) === S_IFDIR ? 2 : 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0,
  ];
  const header = new TextEncoder().encode(`070701${fields.map(hex8).join('')}`);
  return [
    header,
    nameBytes,
    new Uint8Array(padTo4(HEADER_LENGTH + nameBytes.length)),
    data,
    new Uint8Array(padTo4(data.length)),
  ];
}

/** Packs `entries`, in order, into one newc archive ending with the `TRAILER!!!` member. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  for (const entry of entries) {
    checkPath(entry.path);
    if (entry.kind === 'file') {
      parts.push(...member(ino++, S_IFREG | (entry.mode ?? 0o644), entry.path, entry.data));
    } else if (entry.kind === 'directory') {
      parts.push(...member(ino++, S_IFDIR | (entry.mode ?? 0o755), entry.path, new Uint8Array(0)));
    } else {
      parts.push(...member(ino++, S_IFLNK | 0o777, entry.path, new TextEncoder().encode(entry.target)));
    }
  }
  parts.push(...member(0, 0, TRAILER, new Uint8Array(0)));
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const archive = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    archive.set(part, offset);
    offset += part.length;
  }
  return archive;
}
