/**
 * xl's `parse_config_data` (tools/xl/xl_parse.c, Xen 4.17): from the libxlutil settings to
 * libxl's `libxl_domain_config`, for the keys this toolstack models, in xl's order and with xl's
 * messages. Where xl would `exit(1)`, the result has `exitCode: 1` and no config. Keys xl knows
 * but this model does not (and unknown keys) are ignored; `disk` entries go through libxlutil's
 * disk parser and `vif` entries through xl's nic parser into `disks` and `nics`.
 */
import {
  MsVmGenid,
  XlError,
  defaultDomainConfig,
  osRandomSource,
  randomBytes,
  type ActionOnShutdown,
  type DomainConfig,
  type LibxlDomainType,
  type RandomSource,
} from '@xen-genid/xl-lib';
import { getDefbool, getList, getListItem, getLong, getString, type XlCfgResult } from './getters.ts';
import { parseDiskSpec } from './disk-spec.ts';
import { parseXlCfg } from './parse-xl-cfg.ts';
import { VifExit, parseVifSpec } from './vif-spec.ts';
import type { XlCfg, XlCfgDiagnostic } from './xl-cfg.ts';

/** Options of `parseConfigData`. */
export interface ParseConfigDataOptions {
  /** The name in libxlutil's messages (`config_source`): the config file path as given. */
  readonly source?: string;
  /** Where the random uuid and a generated `ms_vm_genid` come from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
}

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

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `libxl_uuid_generate`: a random (version 4) uuid, lower-case. */
function generateUuid(random: RandomSource): string {
  const bytes = randomBytes(16, random);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

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
  try {
    const config = buildDomainConfig(parsed.config, options.source ?? 'config', random, diagnostics, devices);
    return { config, diagnostics, devices };
  } catch (stop) {
    if (stop instanceof Exit) return { exitCode: stop.code, diagnostics, devices };
    throw stop;
  }
}

function buildDomainConfig(
  cfg: XlCfg,
  source: string,
  random: RandomSource,
  diagnostics: XlCfgDiagnostic[],
  devices: { disks: string[]; vifs: string[] },
): DomainConfig {
  /** Takes a getter's result, printing its warning as libxlutil would. */
  const take = <T>(result: XlCfgResult<T>): T | undefined => {
    if (result.ok) return result.value;
    if (result.warning) diagnostics.push(result.warning);
    return undefined;
  };
  const exit = (message: string): never => {
    diagnostics.push(xlMessage(message));
    throw new Exit(1);
  };

  let type: LibxlDomainType = 'invalid';
  const typeText = take(getString(cfg, 'type'));
  if (typeText !== undefined) {
    if (isPrefixOf(typeText, 'hvm')) type = 'hvm';
    else if (isPrefixOf(typeText, 'pv')) type = 'pv';
    else if (isPrefixOf(typeText, 'pvh')) type = 'pvh';
    else exit(`Invalid domain type ${typeText}.`);
  }
  // Deprecated since Xen 4.10, still honoured.
  const builder = take(getString(cfg, 'builder'));
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
  cInfo.runHotplugScripts = 'true'; // xl.conf's run_hotplug_scripts, default 1

  const name = take(getString(cfg, 'name'));
  if (name === undefined) exit('Domain name must be specified.');
  cInfo.name = name;

  const uuidText = take(getString(cfg, 'uuid'));
  if (uuidText !== undefined) {
    if (!UUID_TEXT.test(uuidText)) exit(`Failed to parse UUID: ${uuidText}`);
    cInfo.uuid = uuidText.toLowerCase();
  } else {
    cInfo.uuid = generateUuid(random);
  }

  const memory = take(getLong(cfg, 'memory'));
  if (memory !== undefined) bInfo.targetMemkb = BigInt.asUintN(64, memory * 1024n);
  const maxmem = take(getLong(cfg, 'maxmem'));
  if (maxmem !== undefined) bInfo.maxMemkb = BigInt.asUintN(64, maxmem * 1024n);

  let vcpus = 0n;
  const vcpusValue = take(getLong(cfg, 'vcpus'));
  if (vcpusValue !== undefined) {
    vcpus = vcpusValue;
    if (vcpus < 0n) {
      // libxl logs its own error before xl's message
      diagnostics.push(xlMessage('libxl: error: libxl_utils.c:809:libxl_cpu_bitmap_alloc: invalid number of cpus provided'));
      exit('Unable to allocate cpumap');
    }
    if (vcpus > 0xffffffn) exit('Unable to allocate cpumap');
    bInfo.availVcpus = Array.from({ length: Number(vcpus) }, (_, bit) => bit);
  }
  const maxvcpus = take(getLong(cfg, 'maxvcpus'));
  if (maxvcpus !== undefined) bInfo.maxVcpus = Number(BigInt.asIntN(32, maxvcpus));

  if (bInfo.maxMemkb === DEFAULT_MEMKB) bInfo.maxMemkb = bInfo.targetMemkb;
  if (bInfo.maxVcpus === 0) bInfo.maxVcpus = Number(BigInt.asIntN(32, vcpus));
  if (BigInt(bInfo.maxVcpus) < vcpus) exit('xl: maxvcpus < vcpus');

  bInfo.claimMode = 'true'; // xl.conf's claim_mode, default 1

  const action = (key: string, fallback: string): ActionOnShutdown => {
    const text = take(getString(cfg, key)) ?? fallback;
    const value = ACTION_NAMES[text];
    if (value === undefined) exit(`Unknown ${key} action "${text}" specified`);
    return value!;
  };
  config.onPoweroff = action('on_poweroff', 'destroy');
  config.onReboot = action('on_reboot', 'restart');
  config.onWatchdog = action('on_watchdog', 'destroy');
  config.onCrash = action('on_crash', 'destroy');
  config.onSoftReset = action('on_soft_reset', 'soft-reset');

  bInfo.kernel = take(getString(cfg, 'kernel')) ?? bInfo.kernel;
  bInfo.ramdisk = take(getString(cfg, 'ramdisk')) ?? bInfo.ramdisk;
  bInfo.cmdline = parseCmdline(cfg, take, diagnostics);

  const acpi = take(getDefbool(cfg, 'acpi'));
  if (acpi !== undefined) bInfo.acpi = acpi ? 'true' : 'false';
  bInfo.bootloader = take(getString(cfg, 'bootloader')) ?? bInfo.bootloader;

  if (bInfo.u.type === 'hvm') {
    const kernel = bInfo.kernel;
    if (kernel !== undefined && basename(kernel) === 'hvmloader') {
      diagnostics.push(
        xlMessage(
          'WARNING: you seem to be using "kernel" directive to override HVM guest firmware. Ignore that. ' +
            'Use "firmware_override" instead if you really want a non-default firmware',
        ),
      );
      bInfo.kernel = undefined;
    }
    const bios = take(getString(cfg, 'bios'));
    if (bios !== undefined) {
      const type = biosType(bios);
      if (type === undefined) exit(`ERROR: invalid value "${bios}" for "bios"`);
      bInfo.u.bios = type!;
    }
    const genid = take(getString(cfg, 'ms_vm_genid'));
    if (genid !== undefined) {
      if (genid === 'generate') {
        bInfo.u.msVmGenid = generateGenid(random, exit);
      } else if (genid !== 'none') {
        bInfo.u.msVmGenid = explicitGenid(genid, exit);
      }
    }
    // `firmware`: a BIOS name, `uefi`/`bios` (any prefix), or else a path to a custom firmware.
    const firmware = take(getString(cfg, 'firmware'));
    if (firmware !== undefined) {
      const type = biosType(firmware);
      if (type !== undefined) bInfo.u.bios = type;
      else if (isPrefixOf(firmware, 'uefi')) bInfo.u.bios = 'ovmf';
      else if (!isPrefixOf(firmware, 'bios')) bInfo.u.firmware = firmware;
    }
  }

  if (bInfo.u.type === 'pv' || bInfo.u.type === 'pvh') {
    // `firmware` names a PV-GRUB image (pvgrub32 / pvgrub64, any prefix) in Xen's firmware dir.
    const firmware = take(getString(cfg, 'firmware'));
    if (firmware !== undefined) {
      if (bInfo.kernel !== undefined) exit('ERROR: both kernel and firmware specified');
      if (!isPrefixOf(firmware, 'pvgrub32') && !isPrefixOf(firmware, 'pvgrub64')) {
        exit('ERROR: only pvgrub{32|64} supported as firmware options');
      }
      bInfo.kernel = `${XENFIRMWAREDIR}/${firmware}.bin`;
    }
    if (bInfo.bootloader === undefined && bInfo.kernel === undefined) exit('Neither kernel nor bootloader specified');
  }

  // Disks: each entry through libxlutil's xlu_disk_parse; xl exits on its failure.
  const disks = take(getList(cfg, 'disk'));
  for (let index = 0; disks && getListItem(disks, index) !== undefined; index += 1) {
    const spec = getListItem(disks, index)!;
    devices.disks.push(spec);
    const parsed = parseDiskSpec([spec], source);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.disk) throw new Exit(1);
    config.disks.push(parsed.disk);
  }
  // Nics: devid is the entry's index; each token through parse_nic_config.
  const vifs = take(getList(cfg, 'vif'));
  for (let index = 0; vifs && getListItem(vifs, index) !== undefined; index += 1) {
    const spec = getListItem(vifs, index)!;
    devices.vifs.push(spec);
    try {
      config.nics.push(parseVifSpec(spec, index, source, diagnostics));
    } catch (stop) {
      if (stop instanceof VifExit) throw new Exit(stop.code);
      throw stop;
    }
  }

  return config;
}

const DEFAULT_MEMKB = 2n ** 64n - 1n;

/** `XENFIRMWAREDIR` of Debian's Xen 4.17 packages, where `firmware = "pvgrub64"` points. */
const XENFIRMWAREDIR = '/usr/lib/xen-4.17/boot';

/**
 * Beyond Xen (real xl accepts only "generate" and "none"): an explicit ID, as a GUID
 * (`44332211-6655-8877-99aa-bbccddeeff00`, bytes swapped as QEMU and libvirt do) or in xenstore's
 * `"<lo>:<hi>"` decimal form. Anything else gets xl's own message.
 */
function explicitGenid(text: string, exit: (message: string) => never): MsVmGenid {
  const form = /^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/.test(text) ? 'guid' : /^[0-9]+:[0-9]+$/.test(text) ? 'xenstore' : undefined;
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
