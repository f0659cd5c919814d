/**
 * Parses the guest's serial console: the `GENID:` lines of `/init` (see `init-script.ts`) into
 * what Linux enumerated, bound and read. Kernel messages on the same console are ignored here;
 * the ones that matter arrive again through `dmesg` lines.
 */
import { LOG_PREFIX } from './init-script.ts';

/** One ACPI device the kernel enumerated for the VGID (`/sys/bus/acpi/devices/<name>`). */
export interface EnumeratedDevice {
  /** `XEN0000:00`. */
  readonly name: string;
  /** ACPI path as Linux prints it, with padded segments: `\_SB_.PCI0.ISA_.VGID`. */
  readonly path: string;
  readonly hid: string;
  readonly uid: string;
  /** `_STA` as Linux evaluated it (15 = present, enabled, shown, functioning). */
  readonly status: number | undefined;
  /** `acpi:XEN0000:VM_GEN_COUNTER:` when present; empty when `_STA` is 0. */
  readonly modalias: string;
  /** The bound driver's name, or undefined when none bound. */
  readonly driver: string | undefined;
}

/** One kprobe hit carrying 16 ID bytes. */
export interface KprobeHit {
  /** The trace line as the kernel wrote it. */
  readonly line: string;
  /** The 16 bytes, in memory order. */
  readonly bytes: Uint8Array;
  /** `vmgenid_add+0x118/0x170` for `add_device_randomness`. */
  readonly caller: string | undefined;
}

export type RenewalPhase = 'unchanged' | 'changed' | 'again';
export const RENEWAL_PHASES: readonly RenewalPhase[] = ['unchanged', 'changed', 'again'];

export interface PhaseLog {
  /** Notifies the driver received (`vmgenid_notify` or `vmgenid_acpi_handler` entries). */
  readonly notifies: number;
  /** `add_vmfork_randomness` hits, with the bytes the driver passed. */
  readonly vmfork: readonly KprobeHit[];
  /** `crng reseeded due to virtual machine fork` lines. */
  readonly forkMessages: readonly string[];
  readonly dmesg: readonly string[];
}

export interface GuestLog {
  readonly kernelRelease: string | undefined;
  /** `/init` ran to its end (it powers off next). */
  readonly completed: boolean;
  readonly devices: readonly EnumeratedDevice[];
  /** `add_device_randomness` called from `vmgenid_add`: the read at probe. */
  readonly probeReads: readonly KprobeHit[];
  /** dmesg lines at boot that mention vmgenid, VGID, table upgrades or ACPI errors. */
  readonly bootDmesg: readonly string[];
  /** Present only when the guest was asked to renew. */
  readonly phases: Partial<Record<RenewalPhase, PhaseLog>>;
  /** `GENID: error` lines of `/init`. */
  readonly errors: readonly string[];
}

/** Parses `id={0x5e,0x1f,...}` (16 values) out of a trace line. */
export function parseKprobeBytes(line: string): Uint8Array | undefined {
  const match = /\bid=\{([0-9a-fx,]*)\}/i.exec(line);
  if (!match?.[1]) return undefined;
  const values = match[1].split(',').map((item) => Number.parseInt(item, 16));
  if (values.length !== 16 || values.some((value) => !Number.isInteger(value) || value < 0 || value > 0xff)) return undefined;
  return Uint8Array.from(values);
}

function fields(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const match of text.matchAll(/(\w+)=(\S*)/g)) result.set(match[1] ?? '', match[2] ?? '');
  return result;
}

function kprobeHit(line: string): KprobeHit | undefined {
  const bytes = parseKprobeBytes(line);
  if (!bytes) return undefined;
  return { line, bytes, caller: /\bcaller=(\S+)/.exec(line)?.[1] };
}

interface MutablePhase {
  notifies: number;
  vmfork: KprobeHit[];
  forkMessages: string[];
  dmesg: string[];
}

/** Reads the `GENID:` lines of a console transcript. */
export function parseGuestLog(consoleText: string): GuestLog {
  let kernelRelease: string | undefined;
  let completed = false;
  const devices: EnumeratedDevice[] = [];
  const probeReads: KprobeHit[] = [];
  const bootDmesg: string[] = [];
  const errors: string[] = [];
  const phases: Partial<Record<RenewalPhase, MutablePhase>> = {};
  const phase = (name: string): MutablePhase | undefined => {
    if (!(RENEWAL_PHASES as readonly string[]).includes(name)) return undefined;
    const key = name as RenewalPhase;
    return (phases[key] ??= { notifies: 0, vmfork: [], forkMessages: [], dmesg: [] });
  };
  for (const rawLine of consoleText.split(/\r?\n/)) {
    const at = rawLine.indexOf(`${LOG_PREFIX} `);
    if (at < 0) continue;
    const line = rawLine.slice(at + LOG_PREFIX.length + 1).replace(/\r/g, '');
    const [kind = '', ...rest] = line.split(' ');
    const body = rest.join(' ');
    if (kind === 'begin') {
      kernelRelease = fields(body).get('kernel');
    } else if (kind === 'end') {
      completed = true;
    } else if (kind === 'error') {
      errors.push(body);
    } else if (kind === 'phase') {
      phase(body.trim());
    } else if (kind === 'device') {
      const values = fields(body);
      const status = values.get('status');
      const driver = values.get('driver');
      devices.push({
        name: values.get('name') ?? '',
        path: values.get('path') ?? '',
        hid: values.get('hid') ?? '',
        uid: values.get('uid') ?? '',
        status: status && /^\d+$/.test(status) ? Number(status) : undefined,
        modalias: values.get('modalias') ?? '',
        driver: driver && driver !== 'none' ? driver : undefined,
      });
    } else if (kind === 'trace' || kind === 'dmesg') {
      const [where = '', ...textParts] = rest;
      const text = textParts.join(' ');
      const target = where === 'boot' ? undefined : phase(where);
      if (kind === 'dmesg') {
        if (target) {
          target.dmesg.push(text);
          if (/crng reseeded due to virtual machine fork/.test(text)) target.forkMessages.push(text);
        } else bootDmesg.push(text);
      } else if (/\bvgrand:/.test(text) && /caller=vmgenid/.test(text)) {
        const hit = kprobeHit(text);
        if (hit && !target) probeReads.push(hit);
      } else if (/\bvgfork:/.test(text)) {
        const hit = kprobeHit(text);
        if (hit && target) target.vmfork.push(hit);
      } else if (/\bvg(ntf|nth):/.test(text) && target) {
        target.notifies += 1;
      }
    }
  }
  return { kernelRelease, completed, devices, probeReads, bootDmesg, phases, errors };
}
