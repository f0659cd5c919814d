/**
 * `libxl_retrieve_domain_configuration` (`tools/libs/light/libxl_domain.c`,
 * `retrieve_domain_configuration_end`): the stored config (`libxl__get_domain_configuration`)
 * brought up to date with what the live domain says, as `xl list -l`, `xl save` and `xl migrate`
 * see it: its name in xenstore, its handle, the vCPUs a PV or PVH guest has online
 * (`libxl__update_avail_vcpus_xenstore`), its memory target and maximum in xenstore
 * (`libxl__get_memory_target`, `libxl_mem.c`, which fills in Domain-0's from the hypervisor the
 * first time) and its scheduler parameters (`libxl_domain_sched_params_get`, `libxl_sched.c`).
 * Devices stay as stored (docs/divergences.md).
 */
import { UINT64_MAX, domainPath } from '@xen-genid/xc-params';
import type { XsOperations } from '@xen-genid/xenstore';
import { XlError } from '../errors.ts';
import { existingDomain, getDomainConfiguration } from '../stored-config.ts';
import type { DomainConfig } from '../types/domain-config.ts';
import { UNTIL_COMMITTED, type LibxlInternals } from './internal.ts';
import { getSchedParams } from './sched-params.ts';
import { targetMemFudge } from './xenstore-layout.ts';

export function retrieveDomainConfiguration(ctx: LibxlInternals, domid: number): DomainConfig {
  const info = existingDomain(ctx.hypervisor, domid);
  const config = getDomainConfiguration(ctx, domid);
  const dom = domainPath(domid);
  // libxl_domid_to_name: without a name libxl logs and keeps the stored one.
  const name = ctx.xs.tryReadString(`${dom}/name`);
  if (name !== undefined) config.createInfo.name = name;
  config.createInfo.uuid = info.uuid;
  const build = config.buildInfo;
  if (build.u.type !== 'hvm') build.availVcpus = onlineVcpus(ctx.xs, dom, build.maxVcpus);
  const { target, max } = memoryTarget(ctx, domid);
  build.targetMemkb = (target + targetMemFudge(build.u.type === 'hvm', build)) & UINT64_MAX;
  build.maxMemkb = max;
  build.schedParams = getSchedParams(ctx.hypervisor, domid);
  return config;
}

/** `libxl__update_avail_vcpus_xenstore`: the vCPUs below `maxVcpus` whose `availability` is `online`. */
function onlineVcpus(xs: XsOperations, dom: string, maxVcpus: number): number[] {
  const online: number[] = [];
  for (let vcpu = 0; vcpu < maxVcpus; vcpu++) {
    if (xs.tryReadString(`${dom}/cpu/${vcpu}/availability`) === 'online') online.push(vcpu);
  }
  return online;
}

/**
 * `libxl__get_memory_target`: `memory/target` and `memory/static-max` of the domain. Domain-0's,
 * when missing, are written from the hypervisor's record in one transaction
 * (`libxl__fill_dom0_memory_info`); a guest without them fails as libxl logs it.
 */
function memoryTarget(ctx: LibxlInternals, domid: number): { target: bigint; max: bigint } {
  const dom = domainPath(domid);
  const read = (xs: XsOperations, key: string) => xs.tryReadString(`${dom}/memory/${key}`);
  // libxl says "target" of either key.
  const parse = (text: string, key: string): bigint => {
    if (!/^[0-9]+$/.test(text)) throw new XlError('FAIL', `Domain ${domid}:Invalid memory target ${text} from ${dom}/memory/${key}`);
    return BigInt(text) & UINT64_MAX;
  };
  const target = read(ctx.xs, 'target');
  const max = read(ctx.xs, 'static-max');
  if (target !== undefined && max !== undefined) return { target: parse(target, 'target'), max: parse(max, 'static-max') };
  if (domid !== 0) {
    const missing = target === undefined ? 'target' : 'static-max';
    throw new XlError('FAIL', `Domain ${domid}:Cannot get target memory info from ${dom}/memory/${missing}`);
  }
  return ctx.xs.transaction((transaction) => {
    const kb = BigInt(existingDomain(ctx.hypervisor, 0).maxMemKb);
    const filled = { target: kb, max: kb };
    const nowTarget = read(transaction, 'target');
    const nowMax = read(transaction, 'static-max');
    if (nowTarget === undefined) transaction.write(`${dom}/memory/target`, kb.toString());
    else filled.target = parse(nowTarget, 'target');
    if (nowMax === undefined) transaction.write(`${dom}/memory/static-max`, kb.toString());
    else filled.max = parse(nowMax, 'static-max');
    return filled;
  }, UNTIL_COMMITTED);
}
