/**
 * xl's `parse_config_data` (tools/xl/xl_parse.c, Xen 4.17): from the libxlutil settings to
 * libxl's `libxl_domain_config`, every key in xl's order, with xl's defaults, messages and exit
 * statuses. Where xl would `exit()`, the result has its `exitCode` and no config. Keys xl does not
 * know are ignored, as xl ignores them (with `verbose`, a warning names each). `disk` entries go
 * through libxlutil's disk parser, `vif` entries through xl's nic parser, the other device lists
 * through `device-lists.ts`, `cpuid` through libxl's CPUID policy parsers.
 */
import {
  DeviceVfb,
  DeviceVkb,
  LIBXL_INVALID_GFN,
  MsVmGenid,
  SdlInfo,
  VncInfo,
  VnodeInfo,
  XlError,
  cpuidParseConfig,
  cpuidParseConfigXend,
  defaultDomainConfig,
  defaultOf,
  generateUuid,
  osRandomSource,
  type ActionOnShutdown,
  type Defbool,
  type DomainBuildInfo,
  type DomainConfig,
  type HvmBuildInfo,
  type LibxlDomainType,
  type MsVmGenidTextForm,
  type RandomSource,
} from '@xen-genid/xl-lib';
import { parseUlong, scanNumber, strtoul } from './c-numbers.ts';
import { CpuRangeError, parseCpuRange, parseRange } from './cpu-range.ts';
import {
  parseChannelEntry,
  parseP9Entry,
  parsePciEntry,
  parsePvcallsEntry,
  parseRdmSpec,
  parseUsbctrlEntry,
  parseUsbdevEntry,
  parseVdisplEntry,
  parseVfbEntry,
  parseVkbEntry,
  parseVsndCard,
  parseVtpmEntry,
  uuidFromString,
  type P9Fields,
} from './device-lists.ts';
import { getBoundedLong, getDefbool, getList, getListItem, getLong, getString, valueGetList, valueGetString, type XlCfgResult } from './getters.ts';
import { parseDiskSpec } from './disk-spec.ts';
import { XL_CFG_KEYS } from './known-keys.ts';
import { parseXlCfg } from './parse-xl-cfg.ts';
import { parseVifSpec } from './vif-spec.ts';
import { EXIT_ERROR_FAIL, XlExit } from './xl-exit.ts';
import type { XlCfg, XlCfgDiagnostic, XlCfgList } from './xl-cfg.ts';

/** Options of `parseConfigData`. */
export interface ParseConfigDataOptions {
  /** The name in libxlutil's messages (`config_source`): the config file path as given. */
  readonly source?: string;
  /** Where the random uuid and a generated `ms_vm_genid` come from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /** The host's physical CPUs, the width of a cpu map (`cpus="all"`); default `HOST_CPUS`. */
  readonly hostCpus?: number;
  /** `xl -v`: warn once about each key xl does not read (beyond xl, which ignores them silently). */
  readonly verbose?: boolean;
}

/** The physical CPUs of the simulated host (one NUMA node), as the referee's stub reports them. */
export const HOST_CPUS = 8;

/** The device spec strings of the config, as written. */
export interface ConfigDeviceSpecs {
  readonly disks: readonly string[];
  readonly vifs: readonly string[];
}

/** The result of `parseConfigData`: the config, or the exit status xl would stop with. */
export interface ParseConfigDataResult {
  readonly config?: DomainConfig;
  /** Set when xl would exit: always 1 for the checks modelled here. */
  readonly exitCode?: number;
  /** Everything xl and libxlutil print to stderr while parsing, in order. */
  readonly diagnostics: readonly XlCfgDiagnostic[];
  readonly devices: ConfigDeviceSpecs;
}

/** xl's names for `libxl_action_on_shutdown` (`action_on_shutdown_names` in xl_parse.c). */
const ACTION_NAMES: Record<string, ActionOnShutdown> = {
  destroy: 'destroy',
  restart: 'restart',
  'rename-restart': 'restart_rename',
  preserve: 'preserve',
  'coredump-destroy': 'coredump_destroy',
  'coredump-restart': 'coredump_restart',
  'soft-reset': 'soft_reset',
};

/** xl's own messages; these are not libxlutil's and carry no line number. */
const xlMessage = (message: string): XlCfgDiagnostic => ({ severity: 'error', message });

/** `strncmp(value, word, strlen(value)) == 0`: `value` is a prefix of `word` (the empty string too). */
const isPrefixOf = (value: string, word: string): boolean => word.startsWith(value);

/**
 * Appends the `KEY=VALUE` arguments of `xl create cfg KEY=VALUE...` to the config text as xl
 * does: each argument and a newline make `extra_config`, added as `"\n" + extra_config + "\n"`.
 * @see main_create, create_domain (tools/xl/xl_vmcontrol.c)
 */
export function appendExtraConfig(data: Uint8Array, extras: readonly string[]): Uint8Array {
  const extra = extras.map((item) => `${item}\n`).join('');
  if (extra.length === 0) return data;
  return Buffer.concat([data, Buffer.from(`\n${extra}\n`, 'utf8')]);
}

/**
 * `parse_config_data`: parses xl.cfg text and builds the domain config xl would hand to libxl.
 * @see parse_config_data (tools/xl/xl_parse.c)
 */
export function parseConfigData(input: string | Uint8Array, options: ParseConfigDataOptions = {}): ParseConfigDataResult {
  const diagnostics: XlCfgDiagnostic[] = [];
  const devices = { disks: [] as string[], vifs: [] as string[] };
  const parsed = parseXlCfg(input, { source: options.source ?? 'config' });
  diagnostics.push(...parsed.diagnostics);
  if (!parsed.ok) {
    diagnostics.push(xlMessage('Failed to parse config: Invalid argument'));
    return { exitCode: 1, diagnostics, devices };
  }
  const random = options.random ?? osRandomSource;
  if (options.verbose) diagnostics.push(...unknownKeyWarnings(parsed.config));
  try {
    const config = buildDomainConfig(parsed.config, options.source ?? 'config', random, diagnostics, devices, options.hostCpus ?? HOST_CPUS);
    return { config, diagnostics, devices };
  } catch (stop) {
    if (stop instanceof XlExit) return { exitCode: stop.code, diagnostics, devices };
    throw stop;
  }
}

/** The stderr text of a parse's diagnostics, as xl prints them. */
export function formatDiagnostics(diagnostics: readonly XlCfgDiagnostic[]): string {
  return diagnostics.map((diagnostic) => (diagnostic.unterminated ? diagnostic.message : `${diagnostic.message}\n`)).join('');
}

/** Beyond xl (`xl -v`): one warning per key xl does not read, at its first setting. */
function unknownKeyWarnings(cfg: XlCfg): XlCfgDiagnostic[] {
  const seen = new Set<string>();
  const warnings: XlCfgDiagnostic[] = [];
  for (const setting of cfg.settings) {
    if (XL_CFG_KEYS.has(setting.name) || seen.has(setting.name)) continue;
    seen.add(setting.name);
    warnings.push({
      severity: 'warning',
      line: setting.line,
      message: `${cfg.source}:${setting.line}: warning: unknown key \`${setting.name}' ignored (xl does not read it)`,
    });
  }
  return warnings;
}

/** `XEN_HVM_MCA_CAP_LMCE` (xen/include/public/hvm/params.h). */
const XEN_HVM_MCA_CAP_LMCE = 1n;
/** `HVM_BELOW_4G_MMIO_LENGTH` and `HVM_BELOW_4G_MMIO_START` (xen/include/public/hvm/e820.h): the `mmio_hole` bounds, in bytes. */
const HVM_BELOW_4G_MMIO_LENGTH = 0x10000000n;
const HVM_BELOW_4G_MMIO_START = 0xf0000000n;
/** `LIBXL_BUILDINFO_HVM_VIRIDIAN_ENABLE_DISABLE_WIDTH`: the bits "all" sets. */
const VIRIDIAN_WIDTH = 64;

/** `libxl_viridian_enlightenment`, by value. */
const VIRIDIAN_ENLIGHTENMENTS = [
  'base', 'freq', 'time_ref_count', 'reference_tsc', 'hcall_remote_tlb_flush', 'apic_assist', 'crash_ctl',
  'synic', 'stimer', 'hcall_ipi', 'ex_processor_masks', 'no_vp_limit', 'cpu_hotplug',
] as const;
/** `libxl_tsc_mode` and `libxl_timer_mode`, by value (timer_mode's `unknown` is -1). */
const TSC_MODES = ['default', 'always_emulate', 'native', 'native_paravirt'] as const;
const TIMER_MODES = ['delay_for_missed_ticks', 'no_delay_for_missed_ticks', 'no_missed_ticks_pending', 'one_missed_tick_pending'] as const;
const ALTP2M_MODES = ['disabled', 'mixed', 'external', 'limited'] as const;

/** `libxl_<enum>_from_string`: the name in any case. */
function enumFromString<const N extends string>(names: readonly N[], text: string): N | undefined {
  const lower = text.toLowerCase();
  return names.find((name) => name === lower);
}

/** A C `long` stored into an `int` / `uint32_t` / a MemKB from MiB. */
const toInt = (value: bigint): number => Number(BigInt.asIntN(32, value));
const toUint32 = (value: bigint): number => Number(BigInt.asUintN(32, value));
const mibToKb = (value: bigint): bigint => BigInt.asUintN(64, value * 1024n);

/** The state `parse_config_data` works on: the settings, what it prints, how it stops. */
class ConfigReader {
  readonly cfg: XlCfg;
  readonly diagnostics: XlCfgDiagnostic[];
  constructor(cfg: XlCfg, diagnostics: XlCfgDiagnostic[]) {
    this.cfg = cfg;
    this.diagnostics = diagnostics;
  }

  /** A getter's result, printing its warning as libxlutil would. */
  take<T>(result: XlCfgResult<T>): T | undefined {
    if (result.ok) return result.value;
    if (result.warning) this.diagnostics.push(result.warning);
    return undefined;
  }
  string(name: string, dontWarn = false): string | undefined {
    return this.take(getString(this.cfg, name, { dontWarn }));
  }
  long(name: string, dontWarn = false): bigint | undefined {
    return this.take(getLong(this.cfg, name, { dontWarn }));
  }
  /** `xlu_cfg_get_defbool`: sets the member when the key is a number; true when it did. */
  defbool(name: string, set: (value: Defbool) => void, dontWarn = false): boolean {
    const value = this.take(getDefbool(this.cfg, name, { dontWarn }));
    if (value === undefined) return false;
    set(value ? 'true' : 'false');
    return true;
  }
  /** `xlu_cfg_get_list`: the list and its errno (warning printed unless `dontWarn`). */
  list(name: string, dontWarn = false): XlCfgResult<XlCfgList> {
    const result = getList(this.cfg, name, { dontWarn });
    if (!result.ok && result.warning) this.diagnostics.push(result.warning);
    return result;
  }
  /** The strings of a list up to its first nested list (`xlu_cfg_get_listitem` returns NULL there). */
  items(list: XlCfgList): string[] {
    const items: string[] = [];
    for (let index = 0; ; index += 1) {
      const item = getListItem(list, index, this.cfg);
      if (item === undefined) return items;
      items.push(item);
    }
  }
  /** `xlu_cfg_get_list_as_string_list`: a string list ends at its first NULL (a nested list). */
  stringList(name: string, dontWarn = false): XlCfgResult<string[]> {
    const result = this.list(name, dontWarn);
    return result.ok ? { ok: true, value: this.items(result.value) } : result;
  }
  say(message: string): void {
    this.diagnostics.push(xlMessage(message));
  }
  exit(message: string, code = 1): never {
    this.say(message);
    throw new XlExit(code);
  }
}

/** A device list key: its entries' strings, or undefined when absent (`xlu_cfg_get_list(..., 0)`). */
function deviceList(reader: ConfigReader, name: string): string[] | undefined {
  const list = reader.list(name);
  return list.ok ? reader.items(list.value) : undefined;
}

function buildDomainConfig(
  cfg: XlCfg,
  source: string,
  random: RandomSource,
  diagnostics: XlCfgDiagnostic[],
  devices: { disks: string[]; vifs: string[] },
  hostCpus: number,
): DomainConfig {
  const reader = new ConfigReader(cfg, diagnostics);
  const exit: (message: string, code?: number) => never = (message, code) => reader.exit(message, code);
  const take = reader.take.bind(reader);

  let ssidLabel: string | undefined;
  let execSsidLabel: string | undefined;
  // xl reads these keys twice (get, then replace), so a wrong kind warns twice.
  if (reader.string('init_seclabel') !== undefined) ssidLabel = reader.string('init_seclabel');
  if (reader.string('seclabel') !== undefined) {
    if (ssidLabel !== undefined) execSsidLabel = reader.string('seclabel');
    else ssidLabel = reader.string('seclabel');
  }

  let type: LibxlDomainType = 'invalid';
  const typeText = reader.string('type');
  if (typeText !== undefined) {
    if (isPrefixOf(typeText, 'hvm')) type = 'hvm';
    else if (isPrefixOf(typeText, 'pv')) type = 'pv';
    else if (isPrefixOf(typeText, 'pvh')) type = 'pvh';
    else exit(`Invalid domain type ${typeText}.`);
  }
  // Deprecated since Xen 4.10, still honoured.
  const builder = reader.string('builder');
  if (builder !== undefined) {
    let builderType: LibxlDomainType = 'invalid';
    if (isPrefixOf(builder, 'hvm')) builderType = 'hvm';
    else if (isPrefixOf(builder, 'generic')) builderType = 'pv';
    else exit(`Invalid domain type ${builder}.`);
    if (type !== 'invalid' && type !== builderType) exit('Contradicting "builder" and "type" options specified.');
    type = builderType;
  }
  if (type === 'invalid') type = 'pv'; // x86; Arm would default to PVH

  const config = defaultDomainConfig(type);
  const cInfo = config.createInfo;
  const bInfo = config.buildInfo;
  const hvm = bInfo.u.type === 'hvm' ? bInfo.u : undefined;
  cInfo.ssidLabel = ssidLabel;
  bInfo.execSsidLabel = execSsidLabel;
  cInfo.runHotplugScripts = 'true'; // xl.conf's run_hotplug_scripts, default 1

  reader.defbool('hap', (value) => (cInfo.hap = value));
  const name = reader.string('name');
  if (name === undefined) exit('Domain name must be specified.');
  cInfo.name = name;

  const uuidText = reader.string('uuid');
  if (uuidText !== undefined) {
    const uuid = uuidFromString(uuidText);
    if (uuid === undefined) exit(`Failed to parse UUID: ${uuidText}`);
    cInfo.uuid = uuid;
  } else {
    cInfo.uuid = generateUuid(random);
  }
  reader.defbool('oos', (value) => (cInfo.oos = value));
  if (reader.string('pool') !== undefined) cInfo.poolName = reader.string('pool');

  if (bInfo.u.type === 'pvh') {
    const pvh = bInfo.u;
    reader.defbool('pvshim', (value) => (pvh.pvshim = value));
    if (reader.string('pvshim_path') !== undefined) pvh.pvshimPath = reader.string('pvshim_path');
    if (reader.string('pvshim_cmdline') !== undefined) pvh.pvshimCmdline = reader.string('pvshim_cmdline');
    if (reader.string('pvshim_extra') !== undefined) pvh.pvshimExtra = reader.string('pvshim_extra');
  }

  const sched = bInfo.schedParams;
  const schedKeys = [
    ['cpu_weight', 'weight'],
    ['cap', 'cap'],
    ['period', 'period'],
    ['slice', 'slice'],
    ['latency', 'latency'],
    ['extratime', 'extratime'],
  ] as const;
  for (const [key, member] of schedKeys) {
    const value = reader.long(key);
    if (value !== undefined) sched[member] = toInt(value);
  }

  const memory = reader.long('memory');
  if (memory !== undefined) bInfo.targetMemkb = mibToKb(memory);
  const maxmem = reader.long('maxmem');
  if (maxmem !== undefined) bInfo.maxMemkb = mibToKb(maxmem);

  let vcpus = 0n;
  const vcpusValue = reader.long('vcpus');
  if (vcpusValue !== undefined) {
    vcpus = vcpusValue;
    if (vcpus < 0n) {
      // libxl logs its own error before xl's message
      reader.say('libxl: error: libxl_utils.c:809:libxl_cpu_bitmap_alloc: invalid number of cpus provided');
      exit('Unable to allocate cpumap');
    }
    if (vcpus > 0xffffffn) exit('Unable to allocate cpumap');
    bInfo.availVcpus = Array.from({ length: Number(vcpus) }, (_, bit) => bit);
  }
  const maxvcpus = reader.long('maxvcpus');
  if (maxvcpus !== undefined) bInfo.maxVcpus = toInt(maxvcpus);

  const vuart = reader.string('vuart');
  if (vuart !== undefined) {
    const value = enumFromString(['unknown', 'sbsa_uart'] as const, vuart);
    if (value === undefined) exit(`ERROR: invalid value "${vuart}" for "vuart"`);
    bInfo.archArm.vuart = value;
  }

  parseVnuma(reader, bInfo, hostCpus);

  if (bInfo.maxMemkb === DEFAULT_MEMKB) bInfo.maxMemkb = bInfo.targetMemkb;
  if (bInfo.maxVcpus === 0) bInfo.maxVcpus = toInt(vcpus);
  if (BigInt(bInfo.maxVcpus) < vcpus) exit('xl: maxvcpus < vcpus');

  for (const hard of [true, false]) {
    const key = hard ? 'cpus' : 'cpus_soft';
    const list = reader.list(key, true);
    const text = list.ok ? undefined : reader.string(key);
    if (!list.ok && text === undefined) continue;
    const affinity = parseVcpuAffinity(reader, list.ok ? reader.items(list.value) : undefined, list.ok ? list.value.items.length : 0, text, bInfo.maxVcpus, hostCpus);
    if (hard) bInfo.vcpuHardAffinity = affinity;
    else bInfo.vcpuSoftAffinity = affinity;
    if (list.ok || !hard) bInfo.numaPlacement = 'false';
  }

  // Out of range or not a number: xl exits without a word (the getter is told not to warn).
  for (const [key, member] of [
    ['max_grant_frames', 'maxGrantFrames'],
    ['max_maptrack_frames', 'maxMaptrackFrames'],
    ['max_grant_version', 'maxGrantVersion'],
  ] as const) {
    const result = getBoundedLong(cfg, key, 0n, 0x7fffffffn, { dontWarn: true });
    if (result.ok) bInfo[member] = Number(result.value);
    else if (result.errno !== 'ESRCH') throw new XlExit(1);
  }

  bInfo.claimMode = 'true'; // xl.conf's claim_mode, default 1

  const action = (key: string, fallback: string): ActionOnShutdown => {
    const text = reader.string(key) ?? fallback;
    const value = ACTION_NAMES[text];
    if (value === undefined) exit(`Unknown ${key} action "${text}" specified`);
    return value;
  };
  config.onPoweroff = action('on_poweroff', 'destroy');
  config.onReboot = action('on_reboot', 'restart');
  config.onWatchdog = action('on_watchdog', 'destroy');
  config.onCrash = action('on_crash', 'destroy');
  config.onSoftReset = action('on_soft_reset', 'soft-reset');

  if (bInfo.u.type === 'pv') {
    const pv = bInfo.u;
    reader.defbool('e820_host', (value) => (pv.e820Host = value));
  }

  const pciFlag = (key: string): boolean => {
    const value = reader.long(key);
    return value !== undefined && BigInt.asIntN(32, value) !== 0n;
  };
  const pciMsitranslate = pciFlag('pci_msitranslate');
  const pciPowerMgmt = pciFlag('pci_power_mgmt');
  const pciPermissive = pciFlag('pci_permissive');
  const pciSeize = pciFlag('pci_seize');

  const rdm = reader.string('rdm');
  if (rdm !== undefined) {
    const parsed = parseRdmSpec(reader, rdm);
    // Divergence (docs/divergences.md): xl copies an uninitialised policy here; we leave it unset.
    if (parsed && hvm) hvm.rdm.strategy = parsed.strategy;
  }

  const pcis = deviceList(reader, 'pci');
  if (pcis) {
    // Outside HVM, xl reads the policy from the other arm's zeroed memory: "strict".
    const rdmPolicy = hvm ? hvm.rdm.policy : 'strict';
    const defaults = { msitranslate: pciMsitranslate, powerMgmt: pciPowerMgmt, permissive: pciPermissive, seize: pciSeize, rdmPolicy };
    config.pcidevs = pcis.map((spec) => parsePciEntry(reader, spec, defaults));
    if (config.pcidevs.length > 0 && bInfo.u.type === 'pv') bInfo.u.e820Host = 'true';
  }

  const dtdevs = deviceList(reader, 'dtdev');
  if (dtdevs) config.dtdevs = dtdevs.map((path) => ({ path }));

  const passthrough = reader.string('passthrough');
  if (passthrough !== undefined) {
    const value = enumFromString(['default', 'disabled', 'enabled', 'sync_pt', 'share_pt'] as const, passthrough);
    if (value === undefined) exit(`ERROR: unknown passthrough option '${passthrough}'`);
    cInfo.passthrough = value;
  }

  const shadow = reader.long('shadow_memory');
  if (shadow !== undefined) bInfo.shadowMemkb = mibToKb(shadow);
  reader.defbool('nomigrate', (value) => (bInfo.disableMigrate = value));

  const tscNumber = reader.long('tsc_mode', true);
  if (tscNumber !== undefined) {
    const name = tscNumber >= 0n && tscNumber < BigInt(TSC_MODES.length) ? TSC_MODES[Number(tscNumber)] : undefined;
    reader.say(`WARNING: specifying "tsc_mode" as an integer is deprecated. Please use the named parameter variant. ${name ? `e.g. tsc_mode="${name}"` : ''}`);
    if (name === undefined) exit(`ERROR: invalid value ${tscNumber} for "tsc_mode"`);
    bInfo.tscMode = name;
  } else {
    const tscText = reader.string('tsc_mode');
    if (tscText !== undefined) {
      reader.say(`got a tsc mode string: "${tscText}"`);
      const value = enumFromString(TSC_MODES, tscText);
      if (value === undefined) exit(`ERROR: invalid value "${tscText}" for "tsc_mode"`);
      bInfo.tscMode = value;
    }
  }

  const rtc = reader.long('rtc_timeoffset');
  if (rtc !== undefined) bInfo.rtcTimeoffset = toUint32(rtc);
  if (reader.long('vncviewer') !== undefined) {
    reader.say('WARNING: ignoring "vncviewer" option. Use "-V" option of "xl create" to automatically spawn vncviewer.');
  }
  reader.defbool('localtime', (value) => (bInfo.localtime = value));
  const videoram = reader.long('videoram');
  if (videoram !== undefined) bInfo.videoMemkb = mibToKb(videoram);
  const eventChannels = reader.long('max_event_channels');
  if (eventChannels !== undefined) bInfo.eventChannels = toUint32(eventChannels);

  bInfo.kernel = reader.string('kernel') ?? bInfo.kernel;
  bInfo.ramdisk = reader.string('ramdisk') ?? bInfo.ramdisk;
  bInfo.deviceTree = reader.string('device_tree') ?? bInfo.deviceTree;
  bInfo.cmdline = parseCmdline(cfg, take, diagnostics);

  reader.defbool('driver_domain', (value) => (cInfo.driverDomain = value));
  reader.defbool('acpi', (value) => (bInfo.acpi = value));

  bInfo.bootloader = reader.string('bootloader') ?? bInfo.bootloader;
  const bootloaderArgs = reader.stringList('bootloader_args', true);
  if (bootloaderArgs.ok) bInfo.bootloaderArgs = bootloaderArgs.value;
  else if (bootloaderArgs.errno === 'EINVAL') {
    const text = reader.string('bootloader_args');
    if (text !== undefined) {
      reader.say('WARNING: Specifying "bootloader_args" as a string is deprecated. Please use a list of arguments.');
      bInfo.bootloaderArgs = text.split(/[ \t\n]/).filter((word) => word !== '');
    }
  }

  const timerNumber = reader.long('timer_mode', true);
  const timerText = timerNumber === undefined ? reader.string('timer_mode') : undefined;
  if (timerNumber !== undefined || timerText !== undefined) {
    if (bInfo.u.type === 'pv') exit('ERROR: "timer_mode" option is not supported for PV guests.', EXIT_ERROR_FAIL);
  }
  if (timerNumber !== undefined) {
    const name = timerNumber >= -1n && timerNumber < BigInt(TIMER_MODES.length) ? (timerNumber === -1n ? 'unknown' : TIMER_MODES[Number(timerNumber)]) : undefined;
    reader.say(`WARNING: specifying "timer_mode" as an integer is deprecated. Please use the named parameter variant. ${name ? `e.g. timer_mode="${name}"` : ''}`);
    if (timerNumber < 0n || timerNumber >= BigInt(TIMER_MODES.length)) exit(`ERROR: invalid value ${timerNumber} for "timer_mode"`);
    bInfo.timerMode = TIMER_MODES[Number(timerNumber)]!;
  } else if (timerText !== undefined) {
    const value = enumFromString(['unknown', ...TIMER_MODES] as const, timerText);
    if (value === undefined) exit(`ERROR: invalid value "${timerText}" for "timer_mode"`);
    bInfo.timerMode = value;
  }

  reader.defbool('nestedhvm', (value) => (bInfo.nestedHvm = value));

  if (hvm) {
    const kernel = bInfo.kernel;
    if (kernel !== undefined && basename(kernel) === 'hvmloader') {
      reader.say(
        'WARNING: you seem to be using "kernel" directive to override HVM guest firmware. Ignore that. ' +
          'Use "firmware_override" instead if you really want a non-default firmware',
      );
      bInfo.kernel = undefined;
    }
    hvm.firmware = reader.string('firmware_override') ?? hvm.firmware;
    hvm.systemFirmware = reader.string('bios_path_override') ?? hvm.systemFirmware;
    const bios = reader.string('bios');
    if (bios !== undefined) {
      const value = biosType(bios);
      if (value === undefined) exit(`ERROR: invalid value "${bios}" for "bios"`);
      hvm.bios = value;
    } else if (hvm.systemFirmware !== undefined) {
      reader.say('WARNING: bios_path_override given without specific bios name');
    }
    reader.defbool('pae', (value) => (hvm.pae = value));
    reader.defbool('acpi_s3', (value) => (hvm.acpiS3 = value));
    reader.defbool('acpi_s4', (value) => (hvm.acpiS4 = value));
    reader.defbool('acpi_laptop_slate', (value) => (hvm.acpiLaptopSlate = value));
    reader.defbool('nx', (value) => (hvm.nx = value));
    reader.defbool('hpet', (value) => (hvm.hpet = value));
    reader.defbool('vpt_align', (value) => (hvm.vptAlign = value));
    reader.defbool('apic', (value) => (bInfo.apic = value));

    parseViridian(reader, hvm);

    const mmioHole = reader.long('mmio_hole');
    if (mmioHole !== undefined) {
      hvm.mmioHoleMemkb = mibToKb(mmioHole);
      const bytes = BigInt.asUintN(64, hvm.mmioHoleMemkb * 1024n);
      if (bytes < HVM_BELOW_4G_MMIO_LENGTH || bytes > HVM_BELOW_4G_MMIO_START) exit(`ERROR: invalid value ${mmioHole} for "mmio_hole"`);
    }
    if (reader.defbool('altp2mhvm', (value) => (hvm.altp2m = value))) {
      reader.say('WARNING: Specifying "altp2mhvm" is deprecated. Please use "altp2m" instead.');
    }
    hvm.smbiosFirmware = reader.string('smbios_firmware') ?? hvm.smbiosFirmware;
    hvm.acpiFirmware = reader.string('acpi_firmware') ?? hvm.acpiFirmware;

    const genid = reader.string('ms_vm_genid');
    if (genid !== undefined) {
      if (genid === 'generate') hvm.msVmGenid = generateGenid(random, exit);
      else if (genid !== 'none') hvm.msVmGenid = explicitGenid(genid, exit);
    }

    const boundary = reader.long('rdm_mem_boundary');
    if (boundary !== undefined) hvm.rdmMemBoundaryMemkb = mibToKb(boundary);

    const mcaCaps = reader.list('mca_caps', true);
    if (mcaCaps.ok) {
      for (let index = 0; index < mcaCaps.value.items.length; index += 1) {
        const cap = getListItem(mcaCaps.value, index, cfg);
        if (cap === 'lmce') hvm.mcaCaps |= XEN_HVM_MCA_CAP_LMCE;
        else exit(`ERROR: unrecognized MCA capability '${cap ?? '(null)'}'.`, EXIT_ERROR_FAIL);
      }
    } else if (mcaCaps.errno !== 'ESRCH') {
      exit('ERROR: unable to parse mca_caps.', EXIT_ERROR_FAIL);
    }

    // `firmware`: a BIOS name, `uefi`/`bios` (any prefix), or else a path to a custom firmware.
    const firmware = reader.string('firmware');
    if (firmware !== undefined) {
      const value = biosType(firmware);
      if (value !== undefined) hvm.bios = value;
      else if (isPrefixOf(firmware, 'uefi')) hvm.bios = 'ovmf';
      else if (!isPrefixOf(firmware, 'bios')) hvm.firmware = reader.string('firmware');
    }
  } else {
    // `firmware` names a PV-GRUB image (pvgrub32 / pvgrub64, any prefix) in Xen's firmware dir.
    const firmware = reader.string('firmware');
    if (firmware !== undefined) {
      if (bInfo.kernel !== undefined) exit('ERROR: both kernel and firmware specified');
      if (!isPrefixOf(firmware, 'pvgrub32') && !isPrefixOf(firmware, 'pvgrub64')) {
        exit('ERROR: only pvgrub{32|64} supported as firmware options');
      }
      bInfo.kernel = `${XENFIRMWAREDIR}/${firmware}.bin`;
    }
    if (bInfo.bootloader === undefined && bInfo.kernel === undefined) exit('Neither kernel nor bootloader specified');
  }

  const altp2mNumber = reader.long('altp2m', true);
  if (altp2mNumber !== undefined) {
    if (altp2mNumber < 0n || altp2mNumber >= BigInt(ALTP2M_MODES.length)) exit(`ERROR: invalid value ${altp2mNumber} for "altp2m"`);
    bInfo.altp2m = ALTP2M_MODES[Number(altp2mNumber)]!;
  } else {
    const altp2mText = reader.string('altp2m');
    if (altp2mText !== undefined) {
      const value = enumFromString(ALTP2M_MODES, altp2mText);
      if (value === undefined) exit(`ERROR: invalid value "${altp2mText}" for "altp2m"`);
      bInfo.altp2m = value;
    }
  }
  const vmtrace = reader.long('vmtrace_buf_kb', true);
  if (vmtrace !== undefined && vmtrace !== 0n) bInfo.vmtraceBufKb = toInt(vmtrace);

  parseIoLists(reader, bInfo);

  // Disks: each entry through libxlutil's xlu_disk_parse; xl exits on its failure.
  for (const spec of deviceList(reader, 'disk') ?? []) {
    devices.disks.push(spec);
    const parsed = parseDiskSpec([spec], source);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.disk) throw new XlExit(1);
    config.disks.push(parsed.disk);
  }

  const p9s = deviceList(reader, 'p9');
  if (p9s) {
    const fields: P9Fields = {};
    config.p9s = p9s.map((spec) => parseP9Entry(reader, spec, fields));
  }
  config.vtpms = deviceList(reader, 'vtpm')?.map((spec, index) => parseVtpmEntry(reader, spec, index)) ?? [];
  config.vdispls = deviceList(reader, 'vdispl')?.map((spec, index) => parseVdisplEntry(reader, spec, index)) ?? [];
  config.pvcallsifs = deviceList(reader, 'pvcalls')?.map((spec, index) => parsePvcallsEntry(reader, spec, index)) ?? [];
  parseVsnds(reader, config);
  config.channels = deviceList(reader, 'channel')?.map((spec, index) => parseChannelEntry(reader, spec, index)) ?? [];

  // Nics: devid is the entry's index; each token through parse_nic_config.
  for (const [index, spec] of (deviceList(reader, 'vif') ?? []).entries()) {
    devices.vifs.push(spec);
    config.nics.push(parseVifSpec(spec, index, source, diagnostics));
  }
  if (reader.list('vif2').ok) reader.say('WARNING: vif2: netchannel2 is deprecated and not supported by xl');

  for (const [index, spec] of (deviceList(reader, 'vfb') ?? []).entries()) {
    config.vfbs.push(parseVfbEntry(spec, index));
    config.vkbs.push({ ...defaultOf(DeviceVkb), devid: index });
  }
  config.usbctrls = deviceList(reader, 'usbctrl')?.map((spec, index) => parseUsbctrlEntry(reader, spec, index)) ?? [];
  config.usbdevs = deviceList(reader, 'usbdev')?.map((spec) => parseUsbdevEntry(reader, spec)) ?? [];

  parseCpuid(reader, bInfo);
  parseDeviceModel(reader, bInfo, type);

  // Top-level VNC and SDL: a PV guest without vfb entries gets a vfb (and vkb) from them; for PVH
  // (and PV with vfbs) xl writes them into the HVM arm's memory, which nothing prints.
  if (type === 'pv' && config.vfbs.length === 0) {
    const vnc = reader.long('vnc');
    if (vnc !== undefined && vnc !== 0n) {
      const vfb = { ...defaultOf(DeviceVfb), devid: 0 };
      parseTopLevelDisplay(reader, vfb.vnc, vfb.sdl);
      vfb.keymap = reader.string('keymap') ?? vfb.keymap;
      config.vfbs.push(vfb);
      config.vkbs.push({ ...defaultOf(DeviceVkb), devid: 0 });
    }
  } else {
    const vnc = defaultOf(VncInfo);
    const sdl = defaultOf(SdlInfo);
    parseTopLevelDisplay(reader, hvm?.vnc ?? vnc, hvm?.sdl ?? sdl);
  }

  reader.defbool('dm_restrict', (value) => (bInfo.dmRestrict = value));

  if (hvm) parseHvmDevices(reader, hvm);

  const gic = reader.string('gic_version', true);
  if (gic !== undefined) {
    const value = enumFromString(['default', 'v2', 'v3'] as const, gic);
    if (value === undefined) exit(`Unknown gic_version "${gic}" specified`, EXIT_ERROR_FAIL);
    bInfo.archArm.gicVersion = value;
  }
  const tee = reader.string('tee', true);
  if (tee !== undefined) {
    const value = enumFromString(['none', 'optee'] as const, tee);
    if (value === undefined) exit(`Unknown tee "${tee}" specified`, EXIT_ERROR_FAIL);
    bInfo.tee = value;
  }

  for (const spec of deviceList(reader, 'vkb') ?? []) config.vkbs.push(parseVkbEntry(reader, spec, config.vkbs.length));

  reader.defbool('xend_suspend_evtchn_compat', (value) => (cInfo.xendSuspendEvtchnCompat = value));
  if (reader.defbool('msr_relaxed', (value) => (bInfo.archX86.msrRelaxed = value))) {
    reader.say('WARNING: msr_relaxed will be removed in future versions.\nIf it fixes an issue you are having please report to xen-devel@lists.xenproject.org.');
  }
  reader.defbool('vpmu', (value) => (bInfo.vpmu = value));

  return config;
}

/** xl's words for `libxl_cpuid_parse_config_xend`'s results. */
const XEND_CPUID_ERRORS = ['', 'illegal leaf number', 'illegal subleaf number', 'missing colon', 'invalid register name (must be e[abcd]x)', 'policy string must be exactly 32 characters long'];
/** xl's words for `libxl_cpuid_parse_config`'s results. */
const CPUID_FLAG_ERRORS = ['', 'missing "=" in key=value', 'unknown CPUID flag name', 'illegal CPUID value (must be: [0|1|x|k|s])'];

/**
 * `cpuid`: the xend list form (`['1:ecx=xxxx...,edx=...', ...]`) or libxl's string form
 * (`"host,name=value,..."`). A bad item is reported and skipped; xl goes on.
 */
function parseCpuid(reader: ConfigReader, bInfo: DomainBuildInfo): void {
  const list = reader.list('cpuid', true);
  if (list.ok) {
    for (const item of reader.items(list.value)) {
      const error = cpuidParseConfigXend(bInfo.cpuid, item);
      if (error === 0) continue;
      reader.say(`while parsing CPUID line: "${item}":`);
      reader.say(`  error #${error}: ${XEND_CPUID_ERRORS[error]}`);
    }
    return;
  }
  if (list.errno !== 'EINVAL') return;
  const text = reader.string('cpuid');
  // strtok_r: the words between commas, empty ones skipped.
  const [first, ...flags] = (text ?? '').split(',').filter((word) => word !== '');
  if (first === undefined) return;
  if (first !== 'host') {
    reader.say(`while parsing CPUID string: "${text}":`);
    reader.say('  error: first word must be "host"');
    return;
  }
  for (const flag of flags) {
    const error = cpuidParseConfig(bInfo.cpuid, flag);
    if (error === 0) continue;
    reader.say(`while parsing CPUID flag: "${flag}":`);
    reader.say(`  error #${error}: ${CPUID_FLAG_ERRORS[error]}`);
  }
}

/** The host's NUMA nodes (`physinfo.nr_nodes`): the simulated host has one. */
const HOST_NODES = 1n;

/** `parse_vnuma_config`: `vnuma = [ [ "pnode=0", "size=512", "vcpus=0-1", "vdistances=10,20" ], ... ]`. */
function parseVnuma(reader: ConfigReader, bInfo: DomainBuildInfo, hostCpus: number): void {
  const list = reader.list('vnuma', true);
  if (!list.ok || list.value.items.length === 0) return;
  const count = list.value.items.length;
  // Each node's vcpu map is as wide as max_vcpus (the host's cpus when 0), in whole bytes.
  const width = Math.ceil((bInfo.maxVcpus > 0 ? bInfo.maxVcpus : hostCpus) / 8) * 8;
  const nodes = Array.from({ length: count }, () => ({ ...defaultOf(VnodeInfo), distances: new Array<number>(count).fill(0) }));
  let maxVcpus = 0n;
  let maxMemkb = 0n;
  for (const [index, spec] of list.value.items.entries()) {
    const node = nodes[index]!;
    const options = reader.take(valueGetList(reader.cfg, spec));
    if (!options) reader.exit('xl: cannot get vnode config option list');
    const vcpus = new Set<number>();
    for (const option of options.items) {
      if (option.type !== 'string') continue;
      const text = reader.take(valueGetString(reader.cfg, option))!;
      const pair = text.split('=').filter((piece) => piece !== '');
      if (pair.length < 2) reader.exit(`xl: failed to split "${text}" into pair`);
      const [name, value] = pair.map((piece) => piece.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')) as [string, string];
      if (name === 'pnode') {
        const pnode = parseUlong(value, reader.diagnostics);
        if (pnode >= HOST_NODES) reader.exit(`xl: invalid pnode number: ${pnode}`);
        node.pnode = Number(pnode);
        bInfo.numaPlacement = 'false';
      } else if (name === 'size') {
        node.memkb = BigInt.asUintN(64, parseUlong(value, reader.diagnostics) << 10n);
        maxMemkb = BigInt.asUintN(64, maxMemkb + node.memkb);
      } else if (name === 'vcpus') {
        for (const range of value.split(',').filter((piece) => piece !== '')) {
          const { first, last } = parseRange(range);
          for (let vcpu = first; vcpu <= last; vcpu += 1n) {
            if (vcpu < BigInt(width)) vcpus.add(Number(vcpu));
            maxVcpus += 1n;
          }
        }
      } else if (name === 'vdistances') {
        value
          .split(',')
          .filter((piece) => piece !== '')
          .forEach((distance, slot) => {
            const parsed = parseUlong(distance, reader.diagnostics);
            if (slot < count) node.distances[slot] = Number(BigInt.asUintN(32, parsed));
          });
      }
    }
    node.vcpus = [...vcpus].sort((left, right) => left - right);
  }
  if (bInfo.maxVcpus !== 0) {
    if (BigInt(bInfo.maxVcpus) !== maxVcpus) reader.exit('xl: vnuma vcpus and maxvcpus= mismatch');
  } else {
    if (BigInt(hostCpus) < maxVcpus) reader.exit('xl: vnuma specifies more vcpus than pcpus, use maxvcpus= to override this check.');
    bInfo.maxVcpus = Number(maxVcpus);
  }
  if (bInfo.maxMemkb !== DEFAULT_MEMKB && bInfo.maxMemkb !== maxMemkb) reader.exit('xl: maxmem and vnuma memory size mismatch');
  bInfo.maxMemkb = maxMemkb;
  bInfo.vnumaNodes = nodes;
}

/** `parse_vcpu_affinity`: a string applies to every vcpu, a list entry to its vcpu. */
function parseVcpuAffinity(
  reader: ConfigReader,
  items: string[] | undefined,
  listLength: number,
  text: string | undefined,
  maxVcpus: number,
  hostCpus: number,
): number[][] {
  const parse = (spec: string): number[] => {
    try {
      return parseCpuRange(spec, hostCpus);
    } catch (error) {
      if (error instanceof CpuRangeError) {
        reader.diagnostics.push(error.diagnostic);
        throw new XlExit(1);
      }
      throw error;
    }
  };
  if (text !== undefined) {
    const cpus = parse(text);
    return Array.from({ length: Math.max(0, maxVcpus) }, () => [...cpus]);
  }
  const count = Math.min(listLength, Math.max(0, maxVcpus));
  return items!.slice(0, count).map(parse);
}

/** The `viridian` key: a list of groups (`all`, `defaults`, names, `!name`) or a boolean. */
function parseViridian(reader: ConfigReader, hvm: HvmBuildInfo): void {
  const list = reader.list('viridian', true);
  if (list.ok) {
    const enable = new Set<number>();
    const disable = new Set<number>();
    for (let index = 0; index < list.value.items.length; index += 1) {
      const item = getListItem(list.value, index, reader.cfg) ?? '';
      if (item === 'all') for (let bit = 0; bit < VIRIDIAN_WIDTH; bit += 1) enable.add(bit);
      else if (item === 'defaults') hvm.viridian = 'true';
      else {
        const negate = item.startsWith('!');
        const name = negate ? item.slice(1) : item;
        const bit = VIRIDIAN_ENLIGHTENMENTS.indexOf(enumFromString(VIRIDIAN_ENLIGHTENMENTS, name) as never);
        if (bit < 0) reader.exit(`xl: unknown viridian enlightenment '${name}'`, EXIT_ERROR_FAIL);
        (negate ? disable : enable).add(bit);
        (negate ? enable : disable).delete(bit);
      }
    }
    hvm.viridianEnable = [...enable].sort((left, right) => left - right);
    hvm.viridianDisable = [...disable].sort((left, right) => left - right);
  } else if (list.errno === 'EINVAL') {
    reader.defbool('viridian', (value) => (hvm.viridian = value), true);
  }
}

/** `ioports`, `irqs` and `iomem`. */
function parseIoLists(reader: ConfigReader, bInfo: DomainBuildInfo): void {
  const UINT32_MAX = 0xffffffffn;
  const entries = (key: string, what: string): string[] | undefined => {
    const list = reader.list(key);
    if (!list.ok) return undefined;
    return list.value.items.map((item, index) => {
      if (item.type !== 'string') reader.exit(`xl: Unable to get element ${what === 'ioport' ? '#' : ''}${index} in ${what} list`);
      return getListItem(list.value, index, reader.cfg)!;
    });
  };
  const ioports = entries('ioports', 'ioport');
  if (ioports) {
    bInfo.ioports = ioports.map((text) => {
      const first = strtoul(text, 16);
      if (first.end === 0) reader.exit(`xl: Invalid argument parsing ioport: ${text}`);
      if (first.value >= UINT32_MAX) reader.exit(`xl: ioport ${first.value.toString(16)} too big`);
      let last = first.value;
      if (text[first.end] === '-') {
        const rest = text.slice(first.end + 1);
        const second = strtoul(rest, 16);
        if (second.end === 0 || second.end !== rest.length) reader.exit(`xl: Invalid argument parsing ioport: ${text}`);
        if (second.value >= UINT32_MAX) reader.exit(`xl: ioport ${second.value.toString(16)} too big`);
        last = second.value;
      } else if (first.end !== text.length) {
        reader.say(`xl: Invalid argument parsing ioport: ${text}`);
      }
      return { first: Number(first.value), number: Number(BigInt.asUintN(32, last - first.value + 1n)) };
    });
  }
  const irqs = entries('irqs', 'irq');
  if (irqs) {
    bInfo.irqs = irqs.map((text) => {
      const irq = strtoul(text, 10);
      if (irq.end === 0 || irq.end !== text.length) reader.exit(`xl: Invalid argument parsing irq: ${text}`);
      if (irq.value >= UINT32_MAX) reader.exit(`xl: irq ${irq.value.toString(16)} too big`);
      return Number(irq.value);
    });
  }
  const iomem = entries('iomem', 'iomem');
  if (iomem) {
    bInfo.iomem = iomem.map((text) => {
      // sscanf(text, "%lx,%lx%n@%lx%n")
      const start = scanNumber(text, 0, 16, 64);
      const number = start && text[start.end] === ',' ? scanNumber(text, start.end + 1, 16, 64) : undefined;
      if (!start || !number) return reader.exit(`xl: Invalid argument parsing iomem: ${text}`);
      let used = number.end;
      let gfn = LIBXL_INVALID_GFN;
      if (text[used] === '@') {
        const scanned = scanNumber(text, used + 1, 16, 64);
        if (scanned) {
          gfn = scanned.value;
          used = scanned.end;
        }
      }
      if (used !== text.length) reader.exit(`xl: Invalid argument parsing iomem: ${text}`);
      return { start: start.value, number: number.value, gfn };
    });
  }
}

/** `vsnd = [ [ card items ], ... ]`. */
function parseVsnds(reader: ConfigReader, config: DomainConfig): void {
  const list = reader.list('vsnd');
  if (!list.ok) return;
  config.vsnds = [];
  for (const card of list.value.items) {
    const cardList = reader.take(valueGetList(reader.cfg, card));
    if (!cardList) reader.exit('Failed to get vsnd card list: Invalid argument');
    config.vsnds.push(parseVsndCard(reader, reader.items(cardList), config.vsnds.length));
  }
}

/** `parse_top_level_vnc_options` and `parse_top_level_sdl_options`. */
function parseTopLevelDisplay(reader: ConfigReader, vnc: VncInfo, sdl: SdlInfo): void {
  reader.defbool('vnc', (value) => (vnc.enable = value));
  vnc.listen = reader.string('vnclisten') ?? vnc.listen;
  vnc.passwd = reader.string('vncpasswd') ?? vnc.passwd;
  const display = reader.long('vncdisplay');
  if (display !== undefined) vnc.display = toInt(display);
  reader.defbool('vncunused', (value) => (vnc.findunused = value));
  reader.defbool('sdl', (value) => (sdl.enable = value));
  reader.defbool('opengl', (value) => (sdl.opengl = value));
  sdl.display = reader.string('display') ?? sdl.display;
  sdl.xauthority = reader.string('xauthority') ?? sdl.xauthority;
}

/** The `device_model*` and `stubdomain_*` keys. */
function parseDeviceModel(reader: ConfigReader, bInfo: DomainBuildInfo, type: LibxlDomainType): void {
  const deviceModel = reader.string('device_model');
  if (deviceModel !== undefined) {
    reader.say('WARNING: ignoring device_model directive.\nWARNING: Use "device_model_override" instead if you really want a non-default device_model');
    if (deviceModel.includes('stubdom-dm')) {
      if (type === 'hvm') reader.say('WARNING: Or use "device_model_stubdomain_override" if you  want to enable stubdomains');
      else reader.say('WARNING: ignoring "device_model_stubdomain_override" directive for pv guest');
    }
  }
  bInfo.deviceModel = reader.string('device_model_override') ?? bInfo.deviceModel;
  const version = reader.string('device_model_version');
  if (version !== undefined) {
    if (version === 'qemu-xen-traditional') bInfo.deviceModelVersion = 'qemu_xen_traditional';
    else if (version === 'qemu-xen') bInfo.deviceModelVersion = 'qemu_xen';
    else reader.exit(`Unknown device_model_version "${version}" specified`);
  } else if (bInfo.deviceModel !== undefined) {
    reader.say('WARNING: device model override given without specific DM version');
  }
  reader.defbool('device_model_stubdomain_override', (value) => (bInfo.deviceModelStubdomain = value));
  if (reader.string('device_model_stubdomain_seclabel') !== undefined) bInfo.deviceModelSsidLabel = reader.string('device_model_stubdomain_seclabel');
  bInfo.deviceModelUser = reader.string('device_model_user') ?? bInfo.deviceModelUser;
  bInfo.stubdomainKernel = reader.string('stubdomain_kernel') ?? bInfo.stubdomainKernel;
  bInfo.stubdomainCmdline = reader.string('stubdomain_cmdline') ?? bInfo.stubdomainCmdline;
  bInfo.stubdomainRamdisk = reader.string('stubdomain_ramdisk') ?? bInfo.stubdomainRamdisk;
  const stubdomainMemory = reader.long('stubdomain_memory');
  if (stubdomainMemory !== undefined) bInfo.stubdomainMemkb = mibToKb(stubdomainMemory);
  for (const [suffix, member] of [
    ['', 'extra'],
    ['_pv', 'extraPv'],
    ['_hvm', 'extraHvm'],
  ] as const) {
    const args = reader.stringList(`device_model_args${suffix}`);
    if (args.ok) bInfo[member] = args.value;
    else if (args.errno !== 'ESRCH') reader.exit(`xl: Unable to parse device_model_args${suffix}.`, EXIT_ERROR_FAIL);
  }
}

/** The HVM-only display, USB, serial and platform keys. */
function parseHvmDevices(reader: ConfigReader, hvm: HvmBuildInfo): void {
  const vga = reader.string('vga');
  if (vga !== undefined) {
    const kinds = { stdvga: 'std', cirrus: 'cirrus', none: 'none', qxl: 'qxl' } as const;
    const kind = Object.hasOwn(kinds, vga) ? kinds[vga as keyof typeof kinds] : undefined;
    if (kind === undefined) reader.exit(`Unknown vga "${vga}" specified`);
    hvm.vga.kind = kind;
  } else {
    const stdvga = reader.long('stdvga');
    if (stdvga !== undefined) hvm.vga.kind = stdvga !== 0n ? 'std' : 'cirrus';
  }
  const hdtype = reader.string('hdtype');
  if (hdtype !== undefined) {
    const value = enumFromString(['ide', 'ahci'] as const, hdtype);
    if (value === undefined) reader.exit(`ERROR: invalid value "${hdtype}" for "hdtype"`);
    hvm.hdtype = value;
  }
  hvm.keymap = reader.string('keymap') ?? hvm.keymap;
  const spice = hvm.spice;
  reader.defbool('spice', (value) => (spice.enable = value));
  const spicePort = reader.long('spiceport');
  if (spicePort !== undefined) spice.port = toInt(spicePort);
  const spiceTlsPort = reader.long('spicetls_port');
  if (spiceTlsPort !== undefined) spice.tlsPort = toInt(spiceTlsPort);
  spice.host = reader.string('spicehost') ?? spice.host;
  reader.defbool('spicedisable_ticketing', (value) => (spice.disableTicketing = value));
  spice.passwd = reader.string('spicepasswd') ?? spice.passwd;
  reader.defbool('spiceagent_mouse', (value) => (spice.agentMouse = value));
  reader.defbool('spicevdagent', (value) => (spice.vdagent = value));
  reader.defbool('spice_clipboard_sharing', (value) => (spice.clipboardSharing = value));
  const usbRedirection = reader.long('spiceusbredirection');
  if (usbRedirection !== undefined) spice.usbredirection = toInt(usbRedirection);
  spice.imageCompression = reader.string('spice_image_compression') ?? spice.imageCompression;
  spice.streamingVideo = reader.string('spice_streaming_video') ?? spice.streamingVideo;
  reader.defbool('nographic', (value) => (hvm.nographic = value));

  const gfxNumber = reader.long('gfx_passthru', true);
  if (gfxNumber !== undefined) hvm.gfxPassthru = gfxNumber !== 0n ? 'true' : 'false';
  else {
    const gfxText = reader.string('gfx_passthru');
    if (gfxText !== undefined) {
      const kind = enumFromString(['default', 'igd'] as const, gfxText);
      if (kind === undefined) reader.exit(`ERROR: invalid value "${gfxText}" for "gfx_passthru"`);
      hvm.gfxPassthruKind = kind;
      hvm.gfxPassthru = 'true';
    }
  }

  // A list, else a single string; anything else is an error.
  const listOrString = (key: 'serial' | 'usbdevice', setList: (list: string[]) => void, setString: (text: string) => void): void => {
    const list = reader.stringList(key, true);
    if (list.ok) return setList(list.value);
    if (list.errno === 'ESRCH') return;
    const text = reader.string(key);
    if (text === undefined) reader.exit(`xl: Unable to parse ${key}.`, EXIT_ERROR_FAIL);
    setString(text);
  };
  listOrString('serial', (list) => (hvm.serialList = list), (text) => (hvm.serial = text));
  hvm.boot = reader.string('boot') ?? hvm.boot;
  reader.defbool('usb', (value) => (hvm.usb = value));
  const usbversion = reader.long('usbversion');
  if (usbversion !== undefined) hvm.usbversion = toInt(usbversion);
  listOrString('usbdevice', (list) => (hvm.usbdeviceList = list), (text) => (hvm.usbdevice = text));
  reader.defbool('vkb_device', (value) => (hvm.vkbDevice = value));
  hvm.soundhw = reader.string('soundhw') ?? hvm.soundhw;
  reader.defbool('xen_platform_pci', (value) => (hvm.xenPlatformPci = value));

  if (hvm.vnc.listen !== undefined && hvm.vnc.display !== 0 && hvm.vnc.listen.includes(':')) {
    reader.exit('ERROR: Display specified both in vnclisten and vncdisplay!');
  }
  const vendor = reader.string('vendor_device');
  if (vendor !== undefined) {
    const value = enumFromString(['none', 'xenserver'] as const, vendor);
    if (value === undefined) reader.exit(`xl: unknown vendor_device '${vendor}'`, EXIT_ERROR_FAIL);
    hvm.vendorDevice = value;
  }
}

const DEFAULT_MEMKB = 2n ** 64n - 1n;

/** `XENFIRMWAREDIR` of Debian's Xen 4.17 packages, where `firmware = "pvgrub64"` points. */
const XENFIRMWAREDIR = '/usr/lib/xen-4.17/boot';

/** The forms of xl-lib's table an xl.cfg `ms_vm_genid` may give an ID in. */
const CONFIG_GENID_FORMS = ['guid', 'xenstore'] as const satisfies readonly MsVmGenidTextForm[];

/**
 * Beyond Xen (real xl accepts only "generate" and "none"): an explicit ID, as a GUID
 * (`44332211-6655-8877-99aa-bbccddeeff00`, bytes swapped as QEMU and libvirt do) or in xenstore's
 * `"<lo>:<hi>"` decimal form. Anything else gets xl's own message.
 */
function explicitGenid(text: string, exit: (message: string) => never): MsVmGenid {
  const form = MsVmGenid.formOf(text, CONFIG_GENID_FORMS);
  if (form === undefined) return exit('ERROR: "ms_vm_genid" option must be "generate" or "none"');
  let genid: MsVmGenid;
  try {
    genid = MsVmGenid.parse(text, form);
  } catch (error) {
    if (XlError.is(error)) return exit(`ERROR: "ms_vm_genid" = "${text}": ${error.message}`);
    throw error;
  }
  if (genid.isZero()) return exit(`ERROR: "ms_vm_genid" = "${text}" is all-zero: use "none" for no generation ID`);
  return genid;
}

/** `libxl_ms_vm_genid_generate`; a failing random source is xl's "failed to generate" exit. */
function generateGenid(random: RandomSource, exit: (message: string) => never): MsVmGenid {
  try {
    return MsVmGenid.generate(random);
  } catch (error) {
    if (XlError.is(error)) return exit('ERROR: failed to generate a VM Generation ID');
    throw error;
  }
}

/** `libxl_bios_type_from_string`: libxl's enum names, in any case. */
function biosType(text: string): 'unknown' | 'rombios' | 'seabios' | 'ovmf' | undefined {
  const name = text.toLowerCase();
  return name === 'unknown' || name === 'rombios' || name === 'seabios' || name === 'ovmf' ? name : undefined;
}

/** `libxl_basename`. */
function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** xl's `parse_cmdline`: `cmdline`, else `root=` and `extra`. */
function parseCmdline(
  cfg: XlCfg,
  take: <T>(result: XlCfgResult<T>) => T | undefined,
  diagnostics: XlCfgDiagnostic[],
): string | undefined {
  const cmdline = take(getString(cfg, 'cmdline'));
  const root = take(getString(cfg, 'root'));
  const extra = take(getString(cfg, 'extra'));
  if (cmdline !== undefined) {
    if (root !== undefined || extra !== undefined) diagnostics.push(xlMessage('Warning: ignoring root= and extra= in favour of cmdline='));
    return cmdline;
  }
  if (root !== undefined && extra !== undefined) return `root=${root} ${extra}`;
  if (root !== undefined) return `root=${root}`;
  return extra;
}
