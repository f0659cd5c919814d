/** `libxl_domain_sched_params` (`tools/libs/light/libxl_types.idl`, Xen 4.17): `b_info.sched_params`. */
import { defaultOf, enumeration, integer, struct, type IdlValue } from './idl.ts';
import type { JsonValue } from '../json/yajl-gen.ts';

/** `LIBXL_DOMAIN_SCHED_PARAM_*_DEFAULT`: -1, "not set". */
export const LIBXL_DOMAIN_SCHED_PARAM_DEFAULT = -1;

export const DomainSchedParams = struct('libxl_domain_sched_params', {
  sched: enumeration('libxl_scheduler', ['unknown', 'sedf', 'credit', 'credit2', 'arinc653', 'rtds', 'null'] as const, 'unknown'),
  weight: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
  cap: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
  period: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
  budget: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
  extratime: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
  slice: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
  latency: integer(LIBXL_DOMAIN_SCHED_PARAM_DEFAULT),
});
export type DomainSchedParams = IdlValue<typeof DomainSchedParams>;

export function defaultDomainSchedParams(): DomainSchedParams {
  return defaultOf(DomainSchedParams);
}

export function domainSchedParamsToJson(value: DomainSchedParams): JsonValue {
  return DomainSchedParams.json.gen(value);
}
