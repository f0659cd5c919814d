/** `libxl_domain_create_info` (`tools/libs/light/libxl_types.idl`, Xen 4.17): the `c_info` of a domain config. */
import { DOMID_FIRST_RESERVED } from '@xen-genid/xc-params';
import { defaultOf, defbool, domid, enumeration, keyValueList, string, struct, uint32, uuid, type IdlValue } from './idl.ts';
import type { JsonValue } from '../json/yajl-gen.ts';

/** `libxl_domain_type`, by its libxl name. */
export const DOMAIN_TYPES = ['invalid', 'hvm', 'pv', 'pvh'] as const;
export type LibxlDomainType = (typeof DOMAIN_TYPES)[number];

/** `libxl_domain_type` (init `LIBXL_DOMAIN_TYPE_INVALID`). */
export const domainTypeField = () => enumeration('libxl_domain_type', DOMAIN_TYPES, 'invalid');

/** `libxl_passthrough`. */
export const passthroughField = () =>
  enumeration('libxl_passthrough', ['default', 'disabled', 'enabled', 'sync_pt', 'share_pt'] as const, 'default');

export const DomainCreateInfo = struct('libxl_domain_create_info', {
  type: domainTypeField(),
  hap: defbool(),
  oos: defbool(),
  ssidref: uint32(),
  ssidLabel: string(),
  name: string(),
  domid: domid(),
  uuid: uuid(),
  xsdata: keyValueList(),
  platformdata: keyValueList(),
  poolid: uint32(),
  poolName: string(),
  runHotplugScripts: defbool(),
  driverDomain: defbool(),
  passthrough: passthroughField(),
  xendSuspendEvtchnCompat: defbool(),
});
export type DomainCreateInfo = IdlValue<typeof DomainCreateInfo>;

/** `libxl_domain_create_info_init`: every member at its IDL default. */
export function defaultDomainCreateInfo(): DomainCreateInfo {
  return defaultOf(DomainCreateInfo);
}

/** `libxl_domain_create_info_gen_json`, as a value for `yajlBeautify`. */
export function domainCreateInfoToJson(value: DomainCreateInfo): JsonValue {
  return DomainCreateInfo.json.gen(value);
}

/**
 * xl's `create_domain` (`tools/xl/xl_vmcontrol.c`) before a create, restore or incoming
 * migration: unless `c_info.domid` names a guest domid (`libxl_domid_valid_guest`), it becomes
 * xl's `domid_policy` (`INVALID_DOMID`, or `RANDOM_DOMID` where xl.conf asks for it), which the
 * stored config keeps (`xl list -l`).
 */
export function applyDomidPolicy(config: { readonly createInfo: DomainCreateInfo }, policy: number): void {
  const { domid } = config.createInfo;
  if (domid === 0 || domid >= DOMID_FIRST_RESERVED) config.createInfo.domid = policy;
}
