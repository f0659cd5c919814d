/**
 * The proof a real consumer gives: run our firmware for an ID under a QEMU platform layout, boot
 * Debian's Linux on its tables and memory, and report what the kernel's vmgenid driver read.
 * Optionally the running guest then overwrites the buffer with a second ID and notifies the
 * device, as a toolstack renewal would, to show the driver's re-read (`vmgenid_notify`).
 */
import { QemuDmError } from '../errors.ts';
import { generationIdBytes, type GenerationIdWords } from '@xen-genid/hvmloader-sim';
import { bootLinuxGuest, missingBootTools, type LinuxBootReport } from './boot.ts';
import { planFirmwareBoot } from './firmware-plan.ts';
import { ensureKernel, type KernelImage } from './kernel.ts';
import type { QemuMachine } from '../device-model.ts';

const U64_MAX = 0xffffffffffffffffn;

/**
 * Parses `<lo>:<hi>`, the two unsigned decimal 64-bit words libxl writes to
 * `platform/generation-id` (`libxl__ms_vm_genid_set`, `"%"PRIu64":%"PRIu64`). Strict: anything
 * else is refused rather than read the lenient way hvmloader's `strtoll` would.
 */
export function parseGenerationIdArgument(text: string): GenerationIdWords {
  const match = /^(\d{1,20}):(\d{1,20})$/.exec(text);
  const low = match?.[1] !== undefined ? BigInt(match[1]) : undefined;
  const high = match?.[2] !== undefined ? BigInt(match[2]) : undefined;
  if (low === undefined || high === undefined || low > U64_MAX || high > U64_MAX) {
    throw new QemuDmError('INVALID_ARGUMENT', `generation ID must be <lo>:<hi>, two unsigned decimal 64-bit words, not ${JSON.stringify(text)}`);
  }
  return { low, high };
}

export interface BootLinuxOptions {
  readonly generationId: GenerationIdWords;
  /** QEMU machine type (default `pc`). */
  readonly machine?: QemuMachine;
  /** A bzImage; without it Debian's current `linux-image-amd64` kernel is fetched once into the cache. */
  readonly kernel?: string;
  /** Where fetched kernels are kept (default `$XDG_CACHE_HOME/xen-genid`). */
  readonly cacheDir?: string;
  /** A second ID for the running guest to write over the buffer, followed by notifies. */
  readonly renewalGenerationId?: GenerationIdWords;
  readonly qemu?: string;
  readonly busybox?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export type BootLinuxResult =
  | {
      readonly status: 'booted';
      readonly kernel: KernelImage;
      /** The platform layout the firmware ran under, and where it put the ID (0 when none). */
      readonly layout: string;
      readonly idAddress: bigint;
      readonly report: LinuxBootReport;
    }
  /** Something needed is not installed or cannot be fetched: nothing was booted. */
  | { readonly status: 'unavailable'; readonly missing: readonly string[] };

/** Runs the firmware for the ID, boots Linux on its tables, and reports. */
export async function bootLinux(options: BootLinuxOptions): Promise<BootLinuxResult> {
  const machine = options.machine ?? 'pc';
  const renewal = options.renewalGenerationId;
  if (renewal && options.generationId.low === 0n && options.generationId.high === 0n) {
    throw new QemuDmError('INVALID_ARGUMENT', 'a renewal needs a first ID other than 0:0 (without one the firmware places no buffer)');
  }
  const firmware = planFirmwareBoot({ generationId: options.generationId, machine });
  const missing = missingBootTools({ qemu: options.qemu, busybox: options.busybox, kernel: options.kernel });
  if (missing.length > 0) return { status: 'unavailable', missing };
  let kernel: KernelImage;
  if (options.kernel !== undefined) kernel = { path: options.kernel, bootImage: options.kernel };
  else {
    const fetched = await ensureKernel({ cacheDir: options.cacheDir });
    if ('missing' in fetched) return { status: 'unavailable', missing: [fetched.missing] };
    kernel = fetched;
  }
  const report = await bootLinuxGuest(firmware.plan, firmware.idBytes, {
    kernel: kernel.bootImage,
    qemu: options.qemu,
    busybox: options.busybox,
    renewalId: renewal ? generationIdBytes(renewal) : undefined,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  return { status: 'booted', kernel, layout: firmware.layout.name, idAddress: firmware.plan.idAddress, report };
}
