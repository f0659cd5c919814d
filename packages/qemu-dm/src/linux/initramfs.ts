/**
 * The guest's initrd: an uncompressed cpio of ACPI tables under `kernel/firmware/acpi/` (Linux's
 * initrd table upgrade, `drivers/acpi/tables.c` acpi_table_upgrade, which only looks at an
 * uncompressed archive at the very start), followed by the gzip'd busybox root
 * (`init/initramfs.c` unpacks concatenated archives in turn).
 */
import { QemuDmError } from '../errors.ts';
import { readFileSync } from 'node:fs';
import { zlib } from '../node-builtins.ts';
import { writeCpio, type CpioEntry } from './cpio.ts';
import { buildInitScript, type InitScriptOptions } from './init-script.ts';

/** Where Debian's `busybox-static` installs its binary. */
export const DEFAULT_BUSYBOX = '/bin/busybox';

/** Directory the kernel searches for upgraded tables. */
export const ACPI_UPGRADE_DIR = 'kernel/firmware/acpi';

/** A table for the initrd upgrade: `name` ends in `.aml`; the bytes are a complete, checksummed table. */
export interface UpgradeTable {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Extra files for the root, such as the renewal's new ID bytes. */
export interface RootFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface InitramfsOptions extends InitScriptOptions {
  readonly tables: readonly UpgradeTable[];
  readonly files?: readonly RootFile[];
  /** A statically linked busybox (default `/bin/busybox`). */
  readonly busybox?: string;
}

/** The cpio the kernel scans for upgraded ACPI tables. */
export function buildTableUpgradeCpio(tables: readonly UpgradeTable[]): Uint8Array {
  const entries: CpioEntry[] = [
    { kind: 'directory', path: 'kernel' },
    { kind: 'directory', path: 'kernel/firmware' },
    { kind: 'directory', path: ACPI_UPGRADE_DIR },
  ];
  const seen = new Set<string>();
  for (const table of tables) {
    if (!/^[A-Za-z0-9_.-]+\.aml$/.test(table.name) || seen.has(table.name)) {
      throw new QemuDmError('INVALID_ARGUMENT', `bad or duplicate upgrade table name: ${JSON.stringify(table.name)}`);
    }
    if (table.bytes.length < 36) throw new QemuDmError('INVALID_ARGUMENT', `${table.name}: shorter than an ACPI table header`);
    seen.add(table.name);
    entries.push({ kind: 'file', path: `${ACPI_UPGRADE_DIR}/${table.name}`, data: table.bytes });
  }
  return writeCpio(entries);
}

/** The gzip'd busybox root with `/init`. */
export function buildBusyboxRoot(options: Omit<InitramfsOptions, 'tables'>): Uint8Array {
  const busybox = readFileSync(options.busybox ?? DEFAULT_BUSYBOX);
  const entries: CpioEntry[] = [
    { kind: 'directory', path: 'bin' },
    { kind: 'directory', path: 'dev' },
    { kind: 'directory', path: 'proc' },
    { kind: 'directory', path: 'sys' },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: new TextEncoder().encode(buildInitScript(options)), mode: 0o755 },
  ];
  for (const file of options.files ?? []) entries.push({ kind: 'file', path: file.path, data: file.bytes });
  return zlib().gzipSync(writeCpio(entries), { level: 6 });
}

/** Table-upgrade cpio followed by the gzip'd root, as one initrd image. */
export function buildInitramfs(options: InitramfsOptions): Uint8Array {
  const upgrade = buildTableUpgradeCpio(options.tables);
  const root = buildBusyboxRoot(options);
  const image = new Uint8Array(upgrade.length + root.length);
  image.set(upgrade, 0);
  image.set(root, upgrade.length);
  return image;
}
