/**
 * A domain's scheduler parameters as libxl reads and sets them (`libxl_domain_sched_params_get`,
 * `libxl_domain_sched_params_set`, `sched_credit2_domain_get/set` in `tools/libs/light/libxl_sched.c`)
 * on the simulated machine, whose only scheduler is credit2 (`SCHEDULER`).
 */
import { SCHEDULER, type Hypervisor } from '@xen-genid/xc-params';
import { XlError } from '../errors.ts';
import { LIBXL_DOMAIN_SCHED_PARAM_DEFAULT, defaultDomainSchedParams, type DomainSchedParams } from '../types/domain-sched-params.ts';

/** `libxl_domain_sched_params_get`: `sched` credit2, its weight and cap; the rest left at their defaults. */
export function getSchedParams(hypervisor: Hypervisor, domid: number): DomainSchedParams {
  const { weight, cap } = hypervisor.getSchedCredit2(domid);
  return { ...defaultDomainSchedParams(), sched: SCHEDULER, weight, cap };
}

/**
 * `libxl_domain_sched_params_set`: `unknown` means the domain's own scheduler. Under credit2, a
 * weight or cap left at `LIBXL_DOMAIN_SCHED_PARAM_*_DEFAULT` keeps the domain's; others are checked
 * as libxl checks them (`ERROR_INVAL`, with libxl's log line). Any other scheduler is not the
 * machine's: `ERROR_FAIL` (docs/divergences.md).
 */
export function setSchedParams(hypervisor: Hypervisor, domid: number, params: DomainSchedParams): void {
  const sched = params.sched === 'unknown' ? SCHEDULER : params.sched;
  if (sched !== SCHEDULER) {
    throw new XlError('FAIL', `Domain ${domid}:Setting domain sched ${sched}: the machine's scheduler is ${SCHEDULER}`);
  }
  const { vcpus } = hypervisor.getDomain(domid) ?? { vcpus: 0 };
  const current = hypervisor.getSchedCredit2(domid);
  const { weight, cap } = params;
  if (weight !== LIBXL_DOMAIN_SCHED_PARAM_DEFAULT && (weight < 1 || weight > 65535)) {
    throw new XlError(
      'INVAL',
      `libxl_sched.c:445:sched_credit2_domain_set: Domain ${domid}:Cpu weight out of range, valid values are within range from 1 to 65535`,
    );
  }
  if (cap !== LIBXL_DOMAIN_SCHED_PARAM_DEFAULT && (cap < 0 || cap > vcpus * 100)) {
    throw new XlError(
      'INVAL',
      `libxl_sched.c:455:sched_credit2_domain_set: Domain ${domid}:Cpu cap out of range, valid range is from 0 to ${vcpus * 100} for specified number of vcpus`,
    );
  }
  hypervisor.setSchedCredit2(domid, {
    weight: weight === LIBXL_DOMAIN_SCHED_PARAM_DEFAULT ? current.weight : weight,
    cap: cap === LIBXL_DOMAIN_SCHED_PARAM_DEFAULT ? current.cap : cap,
  });
}
