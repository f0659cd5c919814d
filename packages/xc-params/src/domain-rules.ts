/**
 * The argument checks and the domid allocator every `Hypervisor` implementation shares, so the
 * in-memory hypervisor and the SQLite host refuse the same input with the same errors.
 * Allocation follows `XEN_DOMCTL_createdomain` (`xen/common/domctl.c`): the next free domid after
 * the last one allocated, wrapping to 1 below `DOMID_FIRST_RESERVED`.
 */
import { XcError } from './errors.ts';
import { isCanonicalUuid } from './uuid.ts';
import {
  CONSOLE_LOG_LIMIT,
  DOMID_FIRST_RESERVED,
  XC_PAGE_SIZE,
  type ConsoleOutput,
  type CreateDomainOptions,
  type DomainInfo,
  type DomainTrigger,
  type DomainType,
  type PendingStart,
  type SchedCredit2,
  type ShutdownReason,
} from './hypervisor.ts';

/** libxl's default `max_memkb` (`libxl__domain_build_info_setdefault`): 32 MiB. */
const DEFAULT_MAX_MEM_KB = 32 * 1024;
/** `HVM_MAX_VCPUS` (`xen/include/public/hvm/hvm_info_table.h`). */
const MAX_VCPUS = 128;
/** ACPI GPE numbers fit in a byte (the GPE0 block of libacpi's FADT is far smaller). */
const MAX_GPE = 255;
const DOMAIN_TYPES: readonly DomainType[] = ['hvm', 'pvh', 'pv'];
const SHUTDOWN_REASONS: readonly ShutdownReason[] = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'];
const PENDING_STARTS: readonly PendingStart[] = ['boot', 'resume', null];

/** `createDomain`'s options checked, with defaults filled in (a random uuid when none is given). */
export function checkCreateDomainOptions(options: CreateDomainOptions): Required<CreateDomainOptions> {
  if (!DOMAIN_TYPES.includes(options.type)) {
    throw new XcError('EINVAL', `domain type ${String(options.type)} is not one of ${DOMAIN_TYPES.join(', ')}`);
  }
  const uuid = options.uuid ?? crypto.randomUUID();
  if (typeof uuid !== 'string' || !isCanonicalUuid(uuid)) {
    throw new XcError('EINVAL', `uuid ${String(uuid)} is not a lower-case 8-4-4-4-12 uuid`);
  }
  const maxMemKb = options.maxMemKb ?? DEFAULT_MAX_MEM_KB;
  if (!Number.isSafeInteger(maxMemKb) || maxMemKb <= 0) {
    throw new XcError('EINVAL', `maxMemKb ${String(maxMemKb)} is not a positive integer`);
  }
  const vcpus = options.vcpus ?? 1;
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) {
    throw new XcError('EINVAL', `vcpus ${String(vcpus)} is not an integer in 1..${MAX_VCPUS}`);
  }
  return { type: options.type, uuid, maxMemKb, vcpus };
}

/** The first free domid after `rover` (the last one allocated), wrapping; `ENOMEM` when none is free. */
export function allocateDomid(rover: number, inUse: (domid: number) => boolean): number {
  const usable = DOMID_FIRST_RESERVED - 1;
  for (let step = 0; step < usable; step += 1) {
    const candidate = ((rover + step) % usable) + 1;
    if (!inUse(candidate)) return candidate;
  }
  throw new XcError('ENOMEM', `all ${usable} domids are in use`);
}

export function checkShutdownReason(reason: ShutdownReason): void {
  if (!SHUTDOWN_REASONS.includes(reason)) {
    throw new XcError('EINVAL', `shutdown reason ${String(reason)} is not one of ${SHUTDOWN_REASONS.join(', ')}`);
  }
}

export function checkPendingStart(start: PendingStart): void {
  if (!PENDING_STARTS.includes(start)) {
    throw new XcError('EINVAL', `pending start ${String(start)} is not boot, resume or null`);
  }
}

export function checkGpe(gpe: number): void {
  if (!Number.isInteger(gpe) || gpe < 0 || gpe > MAX_GPE) {
    throw new XcError('EINVAL', `GPE ${String(gpe)} is not an integer in 0..${MAX_GPE}`);
  }
}

/** `log` with `data` appended, keeping only its last `limit` bytes; `EINVAL` for data that is no byte array. */
export function appendConsoleLog(log: ConsoleOutput, data: Uint8Array, limit = CONSOLE_LOG_LIMIT): ConsoleOutput {
  if (!(data instanceof Uint8Array)) throw new XcError('EINVAL', 'console output is a byte array');
  const end = log.start + log.data.length + data.length;
  const joined = new Uint8Array(log.data.length + data.length);
  joined.set(log.data);
  joined.set(data, log.data.length);
  const drop = Math.max(0, joined.length - limit);
  return { start: end - (joined.length - drop), data: joined.slice(drop) };
}

/** What `readConsole(offset)` answers from a kept log; `EINVAL` for an offset that is no non-negative integer. */
export function readConsoleLog(log: ConsoleOutput, offset: number): ConsoleOutput {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new XcError('EINVAL', `console offset ${String(offset)} is not a non-negative integer`);
  const from = Math.max(offset, log.start);
  return { start: from, data: log.data.slice(Math.min(from - log.start, log.data.length)) };
}

/** `log` once everything in it was read with `XEN_SYSCTL_readconsole`'s `clear`: nothing left, the offsets going on. */
export function clearConsoleLog(log: ConsoleOutput): ConsoleOutput {
  return { start: log.start + log.data.length, data: new Uint8Array(0) };
}

/** The checks of `XEN_DOMCTL_sendtrigger` (`xen/arch/x86/domctl.c`) for `trigger` on vCPU `vcpu` of `info`. */
export function checkTrigger(info: DomainInfo, trigger: DomainTrigger, vcpu: number): void {
  if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= info.vcpus) throw new XcError('ESRCH', `domain ${info.domid} has no vCPU ${String(vcpu)}`);
  if (trigger === 'nmi') return;
  if (trigger === 'power' || trigger === 'sleep') {
    if (info.type === 'pv') throw new XcError('EINVAL', `domain ${info.domid} is PV and has no ACPI ${trigger} button`);
    return;
  }
  if (trigger === 'init' || trigger === 'reset') throw new XcError('ENOSYS', `trigger ${trigger} is not implemented on x86`);
  throw new XcError('ENOSYS', `trigger ${String(trigger)} is not one of nmi, power, sleep, init, reset`);
}

/**
 * The new parameters `XEN_DOMCTL_SCHEDOP_putinfo` gives a domain of `vcpus` vCPUs whose parameters
 * are `current` (`csched2_dom_cntl`): a zero weight keeps the current one, a zero cap removes it.
 */
export function applySchedCredit2(current: SchedCredit2, params: SchedCredit2, vcpus: number): SchedCredit2 {
  const { weight, cap } = params;
  if (!Number.isInteger(weight) || weight < 0 || weight > 0xffff) {
    throw new XcError('EINVAL', `credit2 weight ${String(weight)} is not a uint16`);
  }
  if (!Number.isInteger(cap) || cap < 0 || cap > 0xffff) throw new XcError('EINVAL', `credit2 cap ${String(cap)} is not a uint16`);
  if (cap > 100 * vcpus) throw new XcError('EINVAL', `credit2 cap ${cap} is above 100 for each of ${vcpus} vCPUs`);
  return Object.freeze({ weight: weight === 0 ? current.weight : weight, cap });
}

/** `readPages`' `into`, when given: room for a 4 KiB page per frame asked for. */
export function checkPagesBuffer(count: number, into: Uint8Array | undefined): void {
  if (into !== undefined && (!(into instanceof Uint8Array) || into.length < count * XC_PAGE_SIZE)) {
    throw new XcError('EINVAL', `readPages' buffer must hold ${count} pages of ${XC_PAGE_SIZE} bytes`);
  }
}
