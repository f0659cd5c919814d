/**
 * What `xen-init-dom0` (`tools/helpers/xen-init-dom0.c`) does once at a host's boot, here the first
 * time a libxl context opens the host: Domain-0's stub `libxl-json` config (`gen_stub_json_config`,
 * `tools/helpers/init-dom-json.c`: type PV, or PVH for an HVM Domain-0, and its handle unless it is
 * all zeros), then its `domid` and `name` and each cpupool's name in xenstore. Nothing is done when
 * Domain-0's `domid` and `name` are there already ("Dom0 is already set up").
 */
import { domainPath, type Hypervisor } from '@xen-genid/xc-params';
import type { XsOperations } from '@xen-genid/xenstore';
import { storeDomainConfiguration } from '../stored-config.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { NIL_UUID } from '../types/idl.ts';
import type { UserdataStore } from '../userdata.ts';

export function initDomain0(parts: { readonly xs: XsOperations; readonly hypervisor: Hypervisor; readonly userdata: UserdataStore }): void {
  const { xs, hypervisor, userdata } = parts;
  const dom = domainPath(0);
  if (xs.exists(`${dom}/domid`) && xs.exists(`${dom}/name`)) return;
  const domain0 = hypervisor.getDomain(0);
  const stub = defaultDomainConfig(domain0?.type === 'hvm' ? 'pvh' : 'pv');
  if (domain0 !== undefined && domain0.uuid !== NIL_UUID) stub.createInfo.uuid = domain0.uuid;
  storeDomainConfiguration(userdata, 0, stub);
  xs.write(`${dom}/domid`, '0');
  xs.write(`${dom}/name`, 'Domain-0');
  // One entry per cpupool; the simulated host has only Pool-0.
  xs.write('/local/pool/0/name', 'Pool-0');
}
