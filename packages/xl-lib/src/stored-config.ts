/**
 * What libxl keeps about a domain besides the hypervisor's own record: the existence check of
 * `libxl_domain_info` (`tools/libs/light/libxl_domain.c`) and the stored `libxl-json` config
 * (`libxl__get_domain_configuration` / `libxl__set_domain_configuration`,
 * `tools/libs/light/libxl_internal.c`), on the userdata store.
 */
import type { DomainInfo, Hypervisor } from '@xen-genid/xc-params';
import { XlError, wrapFailure } from './errors.ts';
import { domainConfigFromJsonText, domainConfigToJsonText, type DomainConfig } from './types/domain-config.ts';
import { USERDATA_LIBXL_JSON, retrieveUserdataText, storeUserdataText, type UserdataStore } from './userdata.ts';

/** The hypervisor's record of `domid`; `XlError('DOMAIN_NOTFOUND')` for an unknown domid. */
export function existingDomain(hypervisor: Hypervisor, domid: number): DomainInfo {
  const info = hypervisor.getDomain(domid);
  if (!info) throw new XlError('DOMAIN_NOTFOUND', `domain ${domid} does not exist`);
  return info;
}

/**
 * `libxl__get_domain_configuration`: the stored `libxl-json` config as the toolstack last wrote it
 * (`lifecycle/retrieve.ts` adds what the live domain says). `XlError('DOMAIN_NOTFOUND')` for an
 * unknown domain, `XlError('FAIL')` when none is stored (a domain libxl did not create).
 */
export function getDomainConfiguration(
  port: { readonly hypervisor: Hypervisor; readonly userdata: UserdataStore },
  domid: number,
): DomainConfig {
  existingDomain(port.hypervisor, domid);
  const text = retrieveUserdataText(port.userdata, domid, USERDATA_LIBXL_JSON);
  if (text === undefined) throw new XlError('FAIL', `domain ${domid}: no stored libxl configuration`);
  return domainConfigFromJsonText(text);
}

/** `libxl__set_domain_configuration`: replaces the stored config (e.g. after the ID changed). */
export function storeDomainConfiguration(userdata: UserdataStore, domid: number, config: DomainConfig): void {
  try {
    storeUserdataText(userdata, domid, USERDATA_LIBXL_JSON, domainConfigToJsonText(config));
  } catch (error) {
    throw wrapFailure(`domain ${domid}: failed to store the domain configuration`, error);
  }
}

/**
 * Whether the guest of `domid` has Xen's PV drivers, as the guest model asks at boot: an HVM guest
 * has them unless its config turns off the Xen platform PCI device (`xen_platform_pci = 0`,
 * libxl's default is on), without which a Linux guest loads none (docs/xl-cfg.md). A domain
 * without a stored config (one not made by libxl) has them. `parse` reads the stored text (a
 * caller that has parsed the same text already can hand back its config, read only).
 */
export function hasPvDrivers(
  port: { readonly hypervisor: Hypervisor; readonly userdata: UserdataStore },
  domid: number,
  parse: (text: string) => DomainConfig = domainConfigFromJsonText,
): boolean {
  const text = retrieveUserdataText(port.userdata, domid, USERDATA_LIBXL_JSON);
  if (text === undefined) return true;
  const { u } = parse(text).buildInfo;
  return u.type !== 'hvm' || u.xenPlatformPci !== 'false';
}
