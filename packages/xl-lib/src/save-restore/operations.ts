/**
 * Save, restore and migrate over a libxl context: `libxl_domain_suspend` + xl's `save_domain`
 * (`tools/libs/light/libxl_dom_save.c`, `tools/xl/xl_saverestore.c`), `libxl_domain_create_restore`
 * (`tools/libs/light/libxl_create.c`: the stream is read, then `libxl__build_post` applies the
 * config's ID with `libxl__ms_vm_genid_set`), and the two halves of `xl migrate` /
 * `xl migrate-receive` (`tools/xl/xl_migrate.c`).
 *
 * Which ID a domain has afterwards is the lifecycle policy's call (`decideGenid`), not xl 4.17's:
 * a restore gets a new random ID, a migration keeps it. The firmware never runs again: the restored
 * domain's pending start is `resume`, so the guest reads the ID once through ACPI when unpaused.
 */
import { HVM_PARAM_CONSOLE_PFN, HVM_PARAM_STORE_PFN, type Hypervisor } from '@xen-genid/xc-params';
import { XlError } from '../errors.ts';
import type { DeviceModelPort } from '../lifecycle/device-model.ts';
import {
  decideGenid,
  genidModeOfConfig,
  genidOfConfig,
  setGenidOfConfig,
  type GenidDecision,
  type LifecycleOperation,
} from '../genid/lifecycle-policy.ts';
import type { RandomSource } from '../random-bytes.ts';
import type { DomainConfig } from '../types/domain-config.ts';
import { copyDomainConfig, domainConfigFromJsonText, domainConfigToJsonText } from '../types/domain-config.ts';
import { applyDomidPolicy } from '../types/domain-create-info.ts';
import type { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { checkSaveImage, type SaveImageProblem } from '../stream/check-save-image.ts';
import type { LibxcLog, ProgressReport } from '../progress.ts';
import type { UserdataStore } from '../userdata.ts';
import {
  appendGenidHistory,
  genidTimeline,
  lifecycleEntry,
  parseGenidHistory,
  startGenidHistory,
  type GenidHistoryEntry,
} from '../genid/history.ts';
import { XL_HEADER_SIZE } from '../stream/format.ts';
import { readSaveImage, type SaveImage } from '../stream/save-image.ts';
import type { ByteSource } from '../stream/byte-source.ts';
import { saveImageChunks, type SaveImageOptions } from '../stream/write-save-image.ts';
import { CONSOLE_EVTCHN, STORE_EVTCHN } from '../lifecycle/hvm-build.ts';
import { applySaveImage } from './apply-image.ts';
import type { ByteChannel } from './channel.ts';
import { readSaveFile, writeSaveFile } from './save-file.ts';

/**
 * What the operations need from a libxl context: `Libxl` (`../lifecycle/libxl.ts`) provides all of
 * it; any other object with these members will do.
 */
export interface SaveRestoreContext {
  readonly hypervisor: Hypervisor;
  /** libxl's userdata: where the ID's timeline is kept (without it, no timeline is written or kept). */
  readonly userdata?: UserdataStore;
  /** Where new random IDs come from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /** `libxl_retrieve_domain_configuration`: the stored config, with the ID the domain has now. */
  retrieveDomainConfiguration(domid: number): DomainConfig;
  /**
   * `libxl_domain_create_restore` when `restore` is given: `restore.load` fills memory and params,
   * then build_post applies the config's ID; no firmware boot (pending start `resume`). On failure
   * nothing of the domain is left.
   */
  createDomain(config: DomainConfig, options: { readonly paused?: boolean; readonly restore?: { load(domid: number): void } }): number;
  destroyDomain(domid: number): void;
  pauseDomain(domid: number): void;
  unpauseDomain(domid: number): void;
  /** `libxl_domain_rename` (a migration arrives as `<name>--incoming`, renamed once it is cleared). */
  renameDomain(domid: number, oldName: string | undefined, newName: string): void;
  /** `libxl_name_to_domid`: throws when no domain has that name. */
  nameToDomid(name: string): number;
  /**
   * Beyond Xen: tells the guest its ID changed (an ACPI notify, delivered once the domain runs).
   * Called for a restore that renews the ID; without it no notify is sent.
   */
  notifyGenidChange?(domid: number): unknown;
  /** The device models: their state goes into the image's EMULATOR_CONTEXT record and back. */
  readonly deviceModel?: DeviceModelPort;
}

export interface SaveOptions {
  /** `xl save -c`: the domain keeps running afterwards (checkpoint). */
  readonly checkpoint?: boolean;
  /** `xl save -p`: leave the domain paused afterwards (implies it is not destroyed). */
  readonly leavePaused?: boolean;
  /** `xl save dom file cfg`: store this config in the file instead of the domain's own. */
  readonly config?: DomainConfig;
  /** Told the frames sent (libxc's progress). */
  readonly progress?: ProgressReport;
  /** Told libxc's messages, as its save prints them. */
  readonly log?: LibxcLog;
}

export interface SaveResult {
  /** Bytes written. */
  readonly length: number;
  /** The ID the domain had, which the file records. */
  readonly genid: MsVmGenid;
  /** True when the domain was destroyed after the save. */
  readonly destroyed: boolean;
  /** The xl header written (xl prints it: `Saving to <file> new xl format (info 0x%x/0x%x/%u)`). */
  readonly header: XlHeaderInfo;
}

/** The numbers of an xl save-file header. */
export interface XlHeaderInfo {
  readonly mandatoryFlags: number;
  readonly optionalFlags: number;
  readonly optionalDataLength: number;
}

async function writeImage(
  context: SaveRestoreContext,
  domid: number,
  imageOptions: SaveImageOptions,
  target: { readonly file: string } | { readonly channel: ByteChannel },
): Promise<{ length: number; header: XlHeaderInfo }> {
  let header: XlHeaderInfo | undefined;
  // A file is written chunk by chunk, synchronously; a channel may say it keeps nothing either.
  const reuseChunks = 'file' in target || target.channel.releasesWrites === true;
  const chunks = (function* () {
    for (const chunk of saveImageChunks(context.hypervisor, domid, { ...imageOptions, reuseChunks })) {
      header ??= xlHeaderInfoOf(chunk);
      yield chunk;
    }
  })();
  let length = 0;
  if ('file' in target) length = await writeSaveFile(target.file, chunks);
  else {
    for (const chunk of chunks) {
      await target.channel.write(chunk);
      length += chunk.length;
    }
    // The image is complete (a file channel makes it durable here) before the domain may go.
    target.channel.end();
  }
  return { length, header: header! };
}

/** The image option that asks the context's device model for `domid`'s state. */
export function deviceModelStateOf(context: SaveRestoreContext, domid: number): Pick<SaveImageOptions, 'deviceModelState'> {
  const port = context.deviceModel;
  return port ? { deviceModelState: () => port.saveState(domid) } : {};
}

/** The numbers of the xl header that starts the first chunk of an image. */
function xlHeaderInfoOf(chunk: Uint8Array): XlHeaderInfo {
  const view = new DataView(chunk.buffer, chunk.byteOffset, XL_HEADER_SIZE);
  return { mandatoryFlags: view.getUint32(36, true), optionalFlags: view.getUint32(40, true), optionalDataLength: view.getUint32(44, true) };
}

/** The domain's timeline with `step` (under way) at its end, for an image; undefined without userdata. */
export function timelineWith(context: SaveRestoreContext, domid: number, genid: MsVmGenid, step: GenidHistoryEntry): GenidHistoryEntry[] | undefined {
  if (!context.userdata) return undefined;
  return genidTimeline({ hypervisor: context.hypervisor, userdata: context.userdata }, domid, genid, [step]);
}

export function domainOrThrow(context: SaveRestoreContext, domid: number) {
  const info = context.hypervisor.getDomain(domid);
  if (!info || domid === 0) throw new XlError('DOMAIN_NOTFOUND', `domain ${domid} does not exist (or is Domain-0)`);
  return info;
}

/**
 * `xl save [-c] [-p] dom file [cfg]`: pauses the domain, writes the image (to a temporary file
 * renamed into place, or down a channel), then destroys the domain, or with `checkpoint` /
 * `leavePaused` keeps it. On failure the domain is resumed as it was and the error rethrown.
 */
export async function saveDomain(
  context: SaveRestoreContext,
  domid: number,
  target: { readonly file: string } | { readonly channel: ByteChannel },
  options: SaveOptions = {},
): Promise<SaveResult> {
  const info = domainOrThrow(context, domid);
  const stored = context.retrieveDomainConfiguration(domid);
  const operation: LifecycleOperation = options.checkpoint ? 'save-checkpoint' : 'save';
  const decision = decideGenid({ operation, mode: genidModeOfConfig(stored), current: genidOfConfig(stored) }); // keeps: nothing to apply
  const step = lifecycleEntry('saved', decision);
  const config = options.config ?? stored;
  const configJson = domainConfigToJsonText(config);
  const wasRunning = !info.paused;
  if (wasRunning) context.pauseDomain(domid);
  let written: { length: number; header: XlHeaderInfo };
  try {
    const genidHistory = timelineWith(context, domid, genidOfConfig(stored), step);
    written = await writeImage(
      context,
      domid,
      {
        configJson,
        ...(options.progress ? { progress: options.progress } : {}),
        ...(options.log ? { log: options.log } : {}),
        ...(genidHistory ? { genidHistory } : {}),
        ...deviceModelStateOf(context, domid),
      },
      target,
    );
  } catch (error) {
    if (wasRunning) context.unpauseDomain(domid);
    const detail = error instanceof Error ? error.message : String(error);
    throw new XlError(XlError.is(error) ? error.code : 'FAIL', `Failed to save domain ${domid}, resuming domain: ${detail}`, { cause: error });
  }
  const keep = options.checkpoint || options.leavePaused;
  if (keep && context.userdata) appendGenidHistory({ hypervisor: context.hypervisor, userdata: context.userdata }, domid, genidOfConfig(stored), [step]);
  if (!keep) context.destroyDomain(domid);
  else if (wasRunning && !options.leavePaused) context.unpauseDomain(domid);
  return { length: written.length, genid: genidOfConfig(stored), destroyed: !keep, header: written.header };
}

export interface RestoreOptions {
  /** `xl restore cfg file`: use this config instead of the one in the file. */
  readonly config?: DomainConfig;
  /** `xl restore -p`: leave the restored domain paused. */
  readonly paused?: boolean;
  /** The file was saved on another host (disaster recovery, S6). */
  readonly otherHost?: boolean;
  /** Told the frames read (against the total the image declares). */
  readonly progress?: ProgressReport;
  /** Told libxc's messages, as its restore prints them. */
  readonly log?: LibxcLog;
  /** xl's `domid_policy` (`applyDomidPolicy`). */
  readonly domidPolicy?: number;
}

export interface RestoreResult {
  readonly domid: number;
  /** The ID the restored domain has (also in xenstore and guest memory). */
  readonly genid: MsVmGenid;
  readonly decision: GenidDecision;
  /** The image's xl header (xl prints `Loading new save file <file> (new xl fmt info 0x%x/0x%x/%u)`). */
  readonly header: XlHeaderInfo;
}

/** The problems that make an image unfit to restore (ID mismatches are repaired by the restore). */
function refuseUnfit(image: SaveImage, where: string): void {
  const blocking = checkSaveImage(image).filter((problem: SaveImageProblem) => problem.kind !== 'genid');
  if (blocking.length > 0) {
    throw new XlError('INVAL', `${where}: ${blocking.map((problem) => problem.message).join('; ')}`);
  }
}

function configOf(image: SaveImage, override: DomainConfig | undefined, where: string): DomainConfig {
  if (override) return copyDomainConfig(override);
  if (image.xl.config === undefined) throw new XlError('INVAL', `${where}: Config file not specified and none in save file`);
  if (!image.xl.configIsJson) throw new XlError('INVAL', `${where}: the saved config is xl.cfg text, which only xl can parse`);
  try {
    return domainConfigFromJsonText(image.xl.config);
  } catch (error) {
    throw XlError.is(error) ? new XlError('INVAL', `${where}: saved config: ${error.message}`, { cause: error }) : error;
  }
}

/**
 * Creates a domain from a read image: the policy's ID for `operation`, memory and params loaded,
 * the ID applied by build_post, paused unless asked otherwise.
 */
export async function restoreImage(
  context: SaveRestoreContext,
  image: SaveImage,
  operation: LifecycleOperation,
  options: {
    readonly config?: DomainConfig;
    readonly paused?: boolean;
    readonly where?: string;
    /** Renames the domain before it is created (from its config's name to the returned one). */
    readonly rename?: (name: string | undefined) => string | undefined;
    /** Told libxc's messages at the end of its restore. */
    readonly log?: LibxcLog;
    /** xl's `domid_policy`: the config's `c_info.domid` unless it names a guest domid. */
    readonly domidPolicy?: number;
  } = {},
): Promise<RestoreResult> {
  const where = options.where ?? 'restore';
  refuseUnfit(image, where);
  const config = configOf(image, options.config, where);
  if (options.rename) config.createInfo.name = options.rename(config.createInfo.name);
  if (options.domidPolicy !== undefined) applyDomidPolicy(config, options.domidPolicy);
  // The ID the image was saved with: its own config's (xl does not even read it when given a cfg).
  let saved = config;
  if (options.config && image.xl.config !== undefined && image.xl.configIsJson) {
    try {
      saved = configOf(image, undefined, where);
    } catch {
      saved = config;
    }
  }
  const decision = decideGenid({
    operation,
    mode: genidModeOfConfig(config),
    current: genidOfConfig(saved),
    random: context.random,
  });
  setGenidOfConfig(config, decision.genid);
  const carried = image.xl.extras?.genidHistory === undefined ? [] : parseGenidHistory(image.xl.extras.genidHistory);
  const emulator = image.emulatorContext;
  if (emulator && !context.deviceModel) throw new XlError('INVAL', `${where}: the image carries a device model's state, and this toolstack runs no device model`);
  const domid = context.createDomain(config, {
    paused: true,
    restore: {
      load: (target) => {
        if (emulator) context.deviceModel!.restoreState(target, emulator);
        applySaveImage(context.hypervisor, target, image);
        if (options.log) logRestoreEnd(options.log, image);
      },
    },
  });
  try {
    // A domain saved before it ever ran has no memory: its firmware has still to run.
    if (image.libxc.pages.size === 0) context.hypervisor.setPendingStart(domid, 'boot');
    if (context.userdata) {
      const step = lifecycleEntry(operation.startsWith('migrate') ? 'received' : 'restored', decision);
      startGenidHistory({ hypervisor: context.hypervisor, userdata: context.userdata }, domid, carried, [step]);
    }
    // A renewed ID is notified to the guest after it resumes (on this unpause, or a later one).
    if (decision.notify) context.notifyGenidChange?.(domid);
    if (!options.paused) context.unpauseDomain(domid);
  } catch (error) {
    context.destroyDomain(domid);
    throw error;
  }
  const { mandatoryFlags, optionalFlags, optionalDataLength } = image.xl;
  return { domid, genid: decision.genid, decision, header: { mandatoryFlags, optionalFlags, optionalDataLength } };
}

/**
 * What libxc's restore prints once the image is in (`xc_domain_restore`, xg_sr_restore.c): the store
 * and console pages the image's params name (`%#lx`: `0` when unset) and the event channels libxl
 * allocated for them, the first two ports of a new domain.
 */
function logRestoreEnd(log: LibxcLog, image: SaveImage): void {
  const gfn = (param: number): string => {
    const value = image.libxc.params.get(param) ?? 0n;
    return value === 0n ? '0' : `0x${value.toString(16)}`;
  };
  log('Restore successful');
  log(`XenStore: mfn ${gfn(HVM_PARAM_STORE_PFN)}, dom 0, evt ${STORE_EVTCHN}`);
  log(`Console: mfn ${gfn(HVM_PARAM_CONSOLE_PFN)}, dom 0, evt ${CONSOLE_EVTCHN}`);
}

/**
 * `xl restore [-p] [cfg] file`: the whole image is read and checked first (a file is only read,
 * never written), so bad input leaves no domain behind. A new random ID (the policy's restore
 * rows). `from` is a file path or any byte source (a pipe, `xl restore`'s stdin...).
 */
export async function restoreDomain(
  context: SaveRestoreContext,
  from: string | ByteSource,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const readOptions = { ...(options.progress ? { progress: options.progress } : {}), ...(options.log ? { log: options.log } : {}) };
  const image = typeof from === 'string' ? await readSaveFile(from, readOptions) : await readSaveImage(from, readOptions);
  const operation: LifecycleOperation = options.config ? 'restore-with-config' : options.otherHost ? 'restore-other-host' : 'restore';
  return restoreImage(context, image, operation, {
    config: options.config,
    paused: options.paused,
    where: typeof from === 'string' ? from : 'restore stream',
    ...(options.domidPolicy === undefined ? {} : { domidPolicy: options.domidPolicy }),
    ...(options.log ? { log: options.log } : {}),
  });
}
