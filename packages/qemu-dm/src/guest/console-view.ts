/**
 * What the running kernel said on its serial console (the resident `/init`'s `GENID:` lines and the
 * kernel's own messages): whether vmgenid bound, the ID it read at probe, the notifies it received,
 * each changed ID it re-read after one, and the reseed messages. The guest's view of the ID is the last of those reads.
 */
import { parseKprobeBytes } from '../linux/guest-log.ts';
import { LOG_PREFIX } from '../linux/init-script.ts';

export const FORK_MESSAGE = 'crng reseeded due to virtual machine fork';

export interface GuestConsoleView {
  readonly kernelRelease: string | undefined;
  /** `/init` has reported and waits (the guest is up). */
  readonly ready: boolean;
  readonly bound: boolean;
  /** 32 hex digits in memory order, as the driver read them at probe. */
  readonly bootRead: string | undefined;
  /** Each ID the driver re-read and found changed (`add_vmfork_randomness`), in order. */
  readonly forkReads: readonly string[];
  /** ACPI notifies the vmgenid driver received (`vmgenid_notify`). */
  readonly notifies: number;
  /** `random: crng reseeded due to virtual machine fork` lines. */
  readonly reseeds: number;
  /** The ID the kernel holds now: the last fork read, else the boot read. */
  readonly current: string | undefined;
}

function bytesHex(line: string): string | undefined {
  const bytes = parseKprobeBytes(line);
  return bytes ? Buffer.from(bytes).toString('hex') : undefined;
}

export function parseGuestConsole(text: string): GuestConsoleView {
  let kernelRelease: string | undefined;
  let ready = false;
  let bound = false;
  let bootRead: string | undefined;
  const forkReads: string[] = [];
  let notifies = 0;
  let reseeds = 0;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.includes(FORK_MESSAGE)) reseeds += 1;
    const at = raw.indexOf(`${LOG_PREFIX} `);
    if (at < 0) continue;
    const line = raw.slice(at + LOG_PREFIX.length + 1);
    const [word] = line.split(' ', 1);
    if (word === 'begin') {
      // A reboot starts the record again.
      kernelRelease = /kernel=(\S+)/.exec(line)?.[1];
      ready = false;
      bound = false;
      bootRead = undefined;
      forkReads.length = 0;
      notifies = 0;
      reseeds = 0;
    } else if (word === 'device' && / driver=vmgenid\b/.test(line)) bound = true;
    else if (word === 'read') bootRead ??= bytesHex(line);
    else if (word === 'fork') {
      const hex = bytesHex(line);
      if (hex) forkReads.push(hex);
    } else if (word === 'notify') notifies += 1;
    else if (word === 'ready') ready = true;
  }
  return { kernelRelease, ready, bound, bootRead, forkReads, notifies, reseeds, current: forkReads.at(-1) ?? bootRead };
}
