/**
 * From our firmware to a QEMU boot plan: run the table builder (`tools/libacpi/build.c`
 * acpi_build_tables, with new_vm_gid) for an ID under a QEMU platform layout, then take what it
 * left in guest memory: the DSDT for Linux's initrd table upgrade, and every page it wrote for
 * QEMU's loader device, inside the RAM the kernel is told to keep off.
 */
import { buildAcpiTables, type AcpiBuildResult } from '../acpi/build-tables.ts';
import { VGID_DEVICE_PATH } from '../acpi/dsdt.ts';
import { HvmloaderError } from '../errors.ts';
import { PagedMemory } from '../guest-memory.ts';
import type { PlatformLayout } from '../platform-layout.ts';
import { QEMU_PC_PLATFORM_LAYOUT } from '../platform/qemu-pc.ts';
import { QEMU_Q35_PLATFORM_LAYOUT } from '../platform/qemu-q35.ts';
import { generationIdBytes, type GenerationIdWords } from '../strtoll.ts';
import type { GuestBootPlan, GuestMemoryImage } from './boot.ts';
import type { QemuMachine } from './qemu.ts';

/** The platform layout our firmware uses on each QEMU machine. */
export function qemuLayoutFor(machine: QemuMachine): PlatformLayout {
  return machine === 'q35' ? QEMU_Q35_PLATFORM_LAYOUT : QEMU_PC_PLATFORM_LAYOUT;
}

export interface FirmwarePlan {
  readonly plan: GuestBootPlan;
  /** The 16 bytes the firmware placed (zeros when the ID is 0:0 and nothing was placed). */
  readonly idBytes: Uint8Array;
  readonly build: AcpiBuildResult;
  readonly memory: PagedMemory;
}

/** Contiguous runs of written pages, as loader images. */
function pageImages(memory: PagedMemory): GuestMemoryImage[] {
  const images: GuestMemoryImage[] = [];
  let runStart: number | undefined;
  let runEnd = 0;
  const flush = (): void => {
    if (runStart === undefined) return;
    images.push({ address: BigInt(runStart), bytes: memory.read(runStart, runEnd - runStart) });
    runStart = undefined;
  };
  for (const pfn of memory.touchedPages()) {
    const address = pfn * 4096;
    if (runStart !== undefined && address === runEnd) {
      runEnd += 4096;
      continue;
    }
    flush();
    runStart = address;
    runEnd = address + 4096;
  }
  flush();
  return images;
}

/**
 * Runs the firmware's table builder for `generationId` under the layout of `machine` (or
 * `layout`) and returns the boot plan. Fails if the firmware wrote outside its reserved area.
 */
export function planFirmwareBoot(options: {
  readonly generationId: GenerationIdWords;
  readonly machine: QemuMachine;
  readonly layout?: PlatformLayout;
}): FirmwarePlan {
  const layout = options.layout ?? qemuLayoutFor(options.machine);
  const memory = new PagedMemory();
  const build = buildAcpiTables(memory, { layout, generationId: options.generationId, vcpus: 1, com1: true });
  const start = Math.min(layout.infoAddress, layout.dynamicStart);
  const end = Math.max(layout.infoAddress + layout.infoSize, layout.dynamicEnd);
  const reserved = { address: BigInt(start), size: BigInt(end - start) };
  const images = pageImages(memory);
  for (const image of images) {
    if (image.address < reserved.address || image.address + BigInt(image.bytes.length) > reserved.address + reserved.size) {
      throw new HvmloaderError(
        'INVALID_ARGUMENT',
        `layout ${layout.name} puts firmware data at 0x${image.address.toString(16)}, outside 0x${start.toString(16)}-0x${(end - 1).toString(16)}`,
      );
    }
  }
  const dsdt = build.tables.find((table) => table.signature === 'DSDT');
  if (!dsdt) throw new HvmloaderError('INVALID_ARGUMENT', 'the firmware built no DSDT');
  return {
    plan: {
      machine: options.machine,
      tables: [{ name: 'dsdt.aml', bytes: memory.read(dsdt.address, dsdt.length) }],
      memory: images,
      reserved: [reserved],
      idAddress: BigInt(build.vmGenerationIdAddress),
      devicePath: VGID_DEVICE_PATH,
    },
    idBytes: generationIdBytes(options.generationId),
    build,
    memory,
  };
}
