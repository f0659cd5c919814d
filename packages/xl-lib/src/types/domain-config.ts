/**
 * `libxl_domain_config` (`tools/libs/light/libxl_types.idl`, Xen 4.17): what `xl create` hands to
 * libxl, what libxl stores per domain as the `libxl-json` userdata, what `xl -N create` and
 * `xl list -l` print and what a save file carries. `virtios` (a later libxl's) is kept as opaque JSON.
 */
import { array, copyOf, enumeration, idlEqual, opaqueArray, struct, validate, type IdlValue } from './idl.ts';
import { DomainCreateInfo } from './domain-create-info.ts';
import { BuildInfoUnion, DomainBuildInfo } from './domain-build-info.ts';
import {
  DeviceChannel,
  DeviceDisk,
  DeviceDtdev,
  DeviceNic,
  DeviceP9,
  DevicePci,
  DevicePvcallsif,
  DeviceRdm,
  DeviceUsbctrl,
  DeviceUsbdev,
  DeviceVdispl,
  DeviceVfb,
  DeviceVkb,
  DeviceVsnd,
  DeviceVtpm,
} from './devices.ts';
import type { LibxlDomainType } from './domain-create-info.ts';
import { parseLibxlJson } from '../json/json-parse.ts';
import { yajlBeautify, type JsonValue } from '../json/yajl-gen.ts';
import { XlError } from '../errors.ts';

/** `libxl_action_on_shutdown`, by its libxl name. */
export const ACTIONS_ON_SHUTDOWN = [
  'destroy',
  'restart',
  'restart_rename',
  'preserve',
  'coredump_destroy',
  'coredump_restart',
  'soft_reset',
] as const;
export type ActionOnShutdown = (typeof ACTIONS_ON_SHUTDOWN)[number];

const actionField = () => enumeration('libxl_action_on_shutdown', ACTIONS_ON_SHUTDOWN, 'destroy');

export const DomainConfig = struct(
  'libxl_domain_config',
  {
    createInfo: DomainCreateInfo,
    buildInfo: DomainBuildInfo,
    disks: array(DeviceDisk),
    nics: array(DeviceNic),
    pcidevs: array(DevicePci),
    rdms: array(DeviceRdm),
    dtdevs: array(DeviceDtdev),
    vfbs: array(DeviceVfb),
    vkbs: array(DeviceVkb),
    virtios: opaqueArray('libxl_device_virtio'),
    vtpms: array(DeviceVtpm),
    p9s: array(DeviceP9),
    pvcallsifs: array(DevicePvcallsif),
    vdispls: array(DeviceVdispl),
    vsnds: array(DeviceVsnd),
    channels: array(DeviceChannel),
    usbctrls: array(DeviceUsbctrl),
    usbdevs: array(DeviceUsbdev),
    onPoweroff: actionField(),
    onReboot: actionField(),
    onWatchdog: actionField(),
    onCrash: actionField(),
    onSoftReset: actionField(),
  },
  { createInfo: 'c_info', buildInfo: 'b_info' },
);
export type DomainConfig = IdlValue<typeof DomainConfig>;

/**
 * `libxl_domain_config_init`, with `c_info.type` and the `b_info.u` arm set to `type`
 * (`libxl_domain_build_info_init_type`). Every other member is at its IDL default.
 */
export function defaultDomainConfig(type: LibxlDomainType = 'invalid'): DomainConfig {
  const config = DomainConfig.make();
  config.createInfo.type = type;
  config.buildInfo.u = BuildInfoUnion.armDefault(type);
  return config;
}

/** `libxl_domain_config_gen_json`, as a value for `yajlBeautify`. */
export function domainConfigToJson(config: DomainConfig): JsonValue {
  return DomainConfig.json.gen(config);
}

/**
 * `libxl_domain_config_to_json`: the beautified text, exactly as libxl's yajl generator writes it
 * (what `xl -N create` prints), ending with yajl's final newline.
 */
export function domainConfigToJsonText(config: DomainConfig): string {
  return yajlBeautify(DomainConfig.json.gen(config));
}

/**
 * `libxl_domain_config_from_json`: parses libxl's JSON. Malformed JSON or a member that does not
 * convert is `XlError('FAIL')` (libxl's `ERROR_FAIL`), naming the member.
 */
export function domainConfigFromJsonText(text: string): DomainConfig {
  if (text.trim() === '') throw new XlError('JSON_CONFIG_EMPTY', 'empty libxl JSON domain configuration');
  try {
    return DomainConfig.json.parse(parseLibxlJson(text), 'libxl_domain_config');
  } catch (error) {
    if (XlError.is(error)) {
      throw new XlError('FAIL', `unable to convert libxl__json_object to libxl_domain_config: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** `libxl_domain_config_copy`: a deep copy. */
export function copyDomainConfig(config: DomainConfig): DomainConfig {
  return copyOf(DomainConfig, config);
}

/** True when both configs are equal member by member (IDs compared byte by byte). */
export function domainConfigEquals(left: DomainConfig, right: DomainConfig): boolean {
  return idlEqual(left, right);
}

/** Checks a config built by hand against the schema: `XlError('INVAL')` listing every problem. */
export function validateDomainConfig(value: unknown): DomainConfig {
  return validate(DomainConfig, value, 'domain config');
}
