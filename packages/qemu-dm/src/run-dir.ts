/**
 * Where a host file's device models keep their files, and which domains have some there: the light
 * part of `toolstack.ts`, for a caller that only needs to know whether there is anything to look at
 * (xl's listings, which then skip loading the device models). libxl keeps its device models' state
 * under `/var/run/xen` (`libxl__run_dir_path`); ours lives in a run directory per machine.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The identity of a host file: its device, inode and birth time, stable while the file exists and
 * not shared with a later file that reuses the inode.
 */
export function hostIdentity(hostPath: string): string {
  const stats = statSync(hostPath, { bigint: true });
  return `h${stats.dev.toString(36)}-${stats.ino.toString(36)}-${stats.birthtimeNs.toString(36)}`;
}

/**
 * Where device models keep their files: `/dev/shm/xen-genid-dm` where the machine has a shared
 * memory filesystem (a guest's RAM file then lives in memory, as QEMU's own RAM would: on a disk
 * the kernel's writes to it are written back, which slows its boot), else `$TMPDIR/xen-genid-dm`.
 */
export function defaultRunDir(): string {
  let shm = false;
  try {
    accessSync('/dev/shm', constants.W_OK);
    shm = statSync('/dev/shm').isDirectory();
  } catch {
    // No shared memory filesystem here.
  }
  return join(shm ? '/dev/shm' : tmpdir(), 'xen-genid-dm');
}

/** The domains of the host file `hostId` names with device model files in `runDir` (none when it does not exist). */
export function deviceModelDomids(runDir: string, hostId: string): Set<number> {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return new Set();
  }
  const domids = new Set<number>();
  const prefix = `${hostId}-`;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\./.exec(name.slice(prefix.length));
    if (match?.[1]) domids.add(Number(match[1]));
  }
  return domids;
}
