/**
 * From our firmware to a QEMU boot plan. The firmware runs as in a Xen domain (`runFirmware`,
 * hvmloader 4.17's `hvmloader_acpi_build_tables`): in a throw-away in-memory hypervisor and
 * xenstore, it reads `platform/generation-id` as libxl wrote it, builds the tables under a QEMU
 * platform layout, places the ID and sets HVM param 34. Then the plan takes what it left in the
 * domain: the DSDT for Linux's initrd table upgrade, every page it wrote for QEMU's loader device
 * (all inside the RAM the kernel is told to keep off), and param 34 as the ID's address.
 */
import {
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  MemoryHypervisor,
  XC_PAGE_SIZE,
  createGuestMemory,
  domainPath,
  pfnToAddress,
  PLATFORM_GENERATION_ID_KEY,
} from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { VGID_DEVICE_PATH, generationIdBytes, runFirmware, type FirmwareRun, type GenerationIdWords, type PlatformLayout } from '@xen-genid/hvmloader-sim';
import { QemuDmError } from '../errors.ts';
import { QEMU_PC_PLATFORM_LAYOUT } from '../platform/qemu-pc.ts';
import { QEMU_Q35_PLATFORM_LAYOUT } from '../platform/qemu-q35.ts';
import type { GuestBootPlan, GuestMemoryImage } from './boot.ts';
import type { QemuMachine } from '../device-model.ts';

/** The platform layout our firmware uses on each QEMU machine. */
export function qemuLayoutFor(machine: QemuMachine): PlatformLayout {
  return machine === 'q35' ? QEMU_Q35_PLATFORM_LAYOUT : QEMU_PC_PLATFORM_LAYOUT;
}

export interface FirmwarePlan {
  readonly plan: GuestBootPlan;
  /** The 16 bytes of the requested ID in memory order: what Linux must read. */
  readonly idBytes: Uint8Array;
  /** What the firmware did (the ID as it parsed it, the tables, where the ID went). */
  readonly firmware: FirmwareRun;
  readonly layout: PlatformLayout;
}

/** Contiguous runs of the domain's written pages, as loader images. */
function pageImages(hypervisor: MemoryHypervisor, domid: number): GuestMemoryImage[] {
  const runs: { start: number; count: number }[] = [];
  for (const pfn of hypervisor.touchedPages(domid)) {
    const last = runs[runs.length - 1];
    if (last && pfn === last.start + last.count) last.count += 1;
    else runs.push({ start: pfn, count: 1 });
  }
  const memory = createGuestMemory(hypervisor, domid);
  return runs.map(({ start, count }) => ({ address: pfnToAddress(start), bytes: memory.read(pfnToAddress(start), count * XC_PAGE_SIZE) }));
}

/**
 * Runs the firmware for `generationId` (written to `platform/generation-id` as libxl writes it:
 * `"<lo>:<hi>"` in decimal) under the layout of `machine` (or `layout`) and returns the boot plan.
 * Fails if the firmware wrote outside the layout's reserved area.
 */
export function planFirmwareBoot(options: {
  readonly generationId: GenerationIdWords;
  readonly machine: QemuMachine;
  readonly layout?: PlatformLayout;
}): FirmwarePlan {
  const layout = options.layout ?? qemuLayoutFor(options.machine);
  const hypervisor = new MemoryHypervisor();
  const store = createMemoryStore();
  const domid = hypervisor.createDomain({ type: 'hvm', vcpus: 1 }).domid;
  const toolstack = store.connect(0);
  try {
    toolstack.mkdir(domainPath(domid));
    toolstack.setPerms(domainPath(domid), [{ id: domid, access: 'n' }]);
    toolstack.write(`${domainPath(domid)}/${PLATFORM_GENERATION_ID_KEY}`, `${options.generationId.low}:${options.generationId.high}`);
  } finally {
    toolstack.close();
  }
  const firmware = runFirmware(hypervisor, store, domid, { layout });
  const dsdt = firmware.tables?.tables.find((table) => table.signature === 'DSDT');
  if (!firmware.tables || !dsdt) throw new QemuDmError('INVALID_ARGUMENT', 'the firmware built no DSDT');

  const start = Math.min(layout.infoAddress, layout.dynamicStart);
  const end = Math.max(layout.infoAddress + layout.infoSize, layout.dynamicEnd);
  const reserved = { address: BigInt(start), size: BigInt(end - start) };
  const images = pageImages(hypervisor, domid);
  for (const image of images) {
    if (image.address < reserved.address || image.address + BigInt(image.bytes.length) > reserved.address + reserved.size) {
      throw new QemuDmError(
        'INVALID_ARGUMENT',
        `layout ${layout.name} puts firmware data at 0x${image.address.toString(16)}, outside 0x${start.toString(16)}-0x${(end - 1).toString(16)}`,
      );
    }
  }
  const dsdtImage = images.find((image) => BigInt(dsdt.address) >= image.address && BigInt(dsdt.address + dsdt.length) <= image.address + BigInt(image.bytes.length));
  if (!dsdtImage) throw new QemuDmError('INVALID_ARGUMENT', 'the DSDT is not in the memory the firmware wrote');
  const dsdtOffset = dsdt.address - Number(dsdtImage.address);
  return {
    plan: {
      machine: options.machine,
      tables: [{ name: 'dsdt.aml', bytes: dsdtImage.bytes.slice(dsdtOffset, dsdtOffset + dsdt.length) }],
      memory: images,
      reserved: [reserved],
      idAddress: hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR),
      devicePath: VGID_DEVICE_PATH,
    },
    idBytes: generationIdBytes(options.generationId),
    firmware,
    layout,
  };
}
