/**
 * Producing an `xl save` image from a domain held by a `Hypervisor`, record by record in 4.17's
 * order (`save_domain_core_writeconfig`, `libxl__stream_write_start`, `xc_domain_save` → `save()`):
 *
 * xl header + JSON config (+ our tail: frame count, the ID's timeline) · libxl header · LIBXC_CONTEXT · libxc image header + domain header ·
 * X86_CPUID_POLICY · X86_MSR_POLICY · STATIC_DATA_END · PAGE_DATA × ⌈pages/1024⌉ · X86_TSC_INFO ·
 * HVM_CONTEXT · HVM_PARAMS (non-zero params of `write_hvm_params`' list only; omitted if all zero) ·
 * libxc END · EMULATOR_CONTEXT (a domain with a device model: its state, `libxl_stream_write.c`
 * write_emulator_context_record) · libxl END.
 *
 * No EMULATOR_XENSTORE_DATA is written (the device model keeps nothing in xenstore). Only the pages
 * the guest ever touched are sent (the simulated p2m has no others), all of type NOTAB; a domain
 * with no memory at all sends pfn 0 as XTAB.
 */
import {
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_BUFIOREQ_PFN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_IDENT_PT,
  HVM_PARAM_IOREQ_PFN,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_MCA_CAP,
  HVM_PARAM_MONITOR_RING_PFN,
  HVM_PARAM_NR_IOREQ_SERVER_PAGES,
  HVM_PARAM_PAGING_RING_PFN,
  HVM_PARAM_SHARING_RING_PFN,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_VIRIDIAN,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_X87_FIP_WIDTH,
  type Hypervisor,
} from '@xen-genid/xc-params';
import { XlError } from '../errors.ts';
import { EMULATOR_ID_QEMU_UPSTREAM } from '../lifecycle/device-model.ts';
import { PROGRESS_END_OF_STREAM, PROGRESS_FRAMES_SENT, PROGRESS_START_OF_STREAM, type LibxcLog, type ProgressReport } from '../progress.ts';
import { SIMULATED_CPUID_POLICY, SIMULATED_MSR_POLICY, encodeCpuidPolicy, encodeMsrPolicy } from './cpu-policy.ts';
import { DHDR_TYPE_X86_HVM, MAX_BATCH_SIZE, PFINFO, REC_TYPE, REC_TYPE_LIBXL } from './format.ts';
import { encodeHvmContext } from './hvm-context.ts';
import { domainTypeName, encodeHvmParams, encodeLibxcHeaders, encodePageData, encodeRecord, encodeTscInfo, pageDataOffset, pageDataSize, type PageEntry } from './libxc-stream.ts';
import { encodeLibxlHeader, encodeXlHeader } from './save-image.ts';

/** The params `write_hvm_params` saves, in its order (`xg_sr_save_x86_hvm.c`). */
export const SAVED_HVM_PARAMS: readonly number[] = [
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_IOREQ_PFN,
  HVM_PARAM_BUFIOREQ_PFN,
  HVM_PARAM_PAGING_RING_PFN,
  HVM_PARAM_MONITOR_RING_PFN,
  HVM_PARAM_SHARING_RING_PFN,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_VIRIDIAN,
  HVM_PARAM_IDENT_PT,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_NR_IOREQ_SERVER_PAGES,
  HVM_PARAM_X87_FIP_WIDTH,
  HVM_PARAM_MCA_CAP,
];

/** The simulated guest TSC frequency (kHz) and `TSC_MODE_DEFAULT`. */
export const SIMULATED_TSC_KHZ = 2_000_000;
const TSC_MODE_DEFAULT = 0;

export interface SaveImageOptions {
  /** The domain's config as libxl JSON, carried in the xl header; none when undefined. */
  readonly configJson?: string;
  /** Milliseconds since the epoch, for TSC_INFO's elapsed time (default `Date.now`). */
  readonly now?: () => number;
  /** Told the frames sent before each batch and at the end, as libxc's `send_all_pages` reports. */
  readonly progress?: ProgressReport;
  /** Told libxc's messages, as its save prints them. */
  readonly log?: LibxcLog;
  /** The generation ID's timeline, carried in the xl header's optional data. */
  readonly genidHistory?: readonly unknown[];
  /**
   * The device model's state (`DeviceModelPort.saveState`), asked for once the libxc stream is
   * written (the domain stays paused); undefined or none: no EMULATOR_CONTEXT record.
   */
  readonly deviceModelState?: () => Uint8Array | undefined;
  /**
   * The consumer is done with each chunk before it asks for the next (it wrote or copied it): the
   * PAGE_DATA records then share one buffer, rather than a new 4 MiB one each.
   */
  readonly reuseChunks?: boolean;
}

/** The EMULATOR_CONTEXT record: `libxl__sr_emulator_hdr` (id, index) then the emulator's data. */
export function encodeEmulatorContext(data: Uint8Array): Uint8Array {
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, EMULATOR_ID_QEMU_UPSTREAM, true);
  return encodeRecord(REC_TYPE_LIBXL.EMULATOR_CONTEXT, header, data);
}

/**
 * The image of domain `domid`, as chunks (one per record, pages read batch by batch). The domain
 * should be paused or suspended while the chunks are consumed, as libxc's non-live save requires.
 */
export function* saveImageChunks(hypervisor: Hypervisor, domid: number, options: SaveImageOptions = {}): Generator<Uint8Array> {
  const info = hypervisor.getDomain(domid);
  if (!info) throw new XlError('DOMAIN_NOTFOUND', `domain ${domid} does not exist`);
  if (info.type === 'pv') throw new XlError('INVAL', `domain ${domid} is PV: only HVM and PVH guests can be saved`);
  const now = options.now ?? Date.now;
  const progress = options.progress ?? (() => undefined);
  const pfns = hypervisor.touchedPages(domid);
  // A domain that never ran has no memory yet; as libxc marks a pfn without a page, send pfn 0 as
  // XTAB, so the image still has its PAGE_DATA.
  const frames = Math.max(1, pfns.length);

  yield encodeXlHeader(options.configJson, {
    frames,
    ...(options.genidHistory === undefined ? {} : { genidHistory: options.genidHistory }),
  });
  yield encodeLibxlHeader();
  yield encodeRecord(REC_TYPE_LIBXL.LIBXC_CONTEXT);

  options.log?.(`Saving domain ${domid}, type ${domainTypeName(DHDR_TYPE_X86_HVM)}`);
  yield encodeLibxcHeaders(DHDR_TYPE_X86_HVM);
  yield encodeRecord(REC_TYPE.X86_CPUID_POLICY, encodeCpuidPolicy(SIMULATED_CPUID_POLICY));
  yield encodeRecord(REC_TYPE.X86_MSR_POLICY, encodeMsrPolicy(SIMULATED_MSR_POLICY));
  yield encodeRecord(REC_TYPE.STATIC_DATA_END);
  progress(PROGRESS_START_OF_STREAM, 0, 0);

  if (pfns.length === 0) yield encodePageData([{ pfn: 0, type: PFINFO.XTAB }]);
  let record: Uint8Array | undefined;
  for (let first = 0; first < pfns.length; first += MAX_BATCH_SIZE) {
    progress(PROGRESS_FRAMES_SENT, first, frames);
    const batchPfns = pfns.slice(first, first + MAX_BATCH_SIZE);
    // Reusing the record, the pages are read straight into the place each takes in it.
    if (options.reuseChunks) record ??= new Uint8Array(pageDataSize(batchPfns.map((pfn) => ({ pfn, type: PFINFO.NOTAB }))));
    const contents = hypervisor.readPages(domid, batchPfns, record?.subarray(pageDataOffset(batchPfns.length)));
    const batch: PageEntry[] = batchPfns.map((pfn, index) => {
      const data = contents[index];
      return data ? { pfn, type: PFINFO.NOTAB, data } : { pfn, type: PFINFO.NOTAB };
    });
    yield encodePageData(batch, record);
  }
  progress(PROGRESS_FRAMES_SENT, frames, frames);

  const elapsedMs = Math.max(0, now() - info.createdAt);
  yield encodeTscInfo({ mode: TSC_MODE_DEFAULT, khz: SIMULATED_TSC_KHZ, nsec: BigInt(Math.round(elapsedMs)) * 1_000_000n, incarnation: 0 });
  const cpuidLeaf1 = SIMULATED_CPUID_POLICY.find((leaf) => leaf.leaf === 1)!;
  yield encodeRecord(REC_TYPE.HVM_CONTEXT, encodeHvmContext({ cpuid: cpuidLeaf1.a, gtscKhz: SIMULATED_TSC_KHZ }));
  const params = SAVED_HVM_PARAMS.map((index) => [index, hypervisor.readParam(domid, index)] as const).filter(([, value]) => value !== 0n);
  if (params.length > 0) yield encodeHvmParams(params);
  yield encodeRecord(REC_TYPE.END);
  progress(PROGRESS_END_OF_STREAM, 0, 0);

  const emulator = options.deviceModelState?.();
  if (emulator !== undefined) yield encodeEmulatorContext(emulator);
  yield encodeRecord(REC_TYPE_LIBXL.END);
}
