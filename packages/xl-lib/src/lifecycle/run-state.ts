/**
 * A domain's run state (`tools/libs/light/libxl_domain.c`): `libxl_domain_pause`,
 * `libxl_domain_unpause`, `libxl_domain_shutdown` and `libxl_domain_reboot`, with the guest's
 * shutdown and the config's `on_*` action applied as xl's event loop does (`tools/xl/xl_vmcontrol.c`
 * handle_domain_death; a restart as `reload_domain_config` keeps the stored ID).
 */
import type { DomainInfo, DomainTrigger, ShutdownReason } from '@xen-genid/xc-params';
import { HVM_PARAM_CALLBACK_IRQ, XcError, domainPath } from '@xen-genid/xc-params';
import { XlError, wrapFailure } from '../errors.ts';
import { decideGenid, genidModeOfConfig, genidOfConfig, setGenidOfConfig } from '../genid/lifecycle-policy.ts';
import { deliverPendingGenidNotify } from '../genid/notify.ts';
import { existingDomain, getDomainConfiguration, storeDomainConfiguration } from '../stored-config.ts';
import type { ActionOnShutdown, DomainConfig } from '../types/domain-config.ts';
import { buildPost, checkConfig } from './create.ts';
import { destroyDomain } from './destroy.ts';
import type { LibxlInternals } from './internal.ts';

/** What `shutdownDomain` did after the guest shut down (the config's `on_*` action, as xl applies it). */
export interface ShutdownOutcome {
  readonly reason: ShutdownReason;
  readonly action: ActionOnShutdown;
  /** True when the domain no longer exists. */
  readonly destroyed: boolean;
}

/** A domain other than Domain-0 that exists; `what` names the refused operation. */
export function guestDomain(ctx: LibxlInternals, domid: number, what: string): DomainInfo {
  if (domid === 0) throw new XlError('INVAL', `cannot ${what} Domain-0`);
  return existingDomain(ctx.hypervisor, domid);
}

/** `libxl_domain_pause`. */
export function pauseDomain(ctx: LibxlInternals, domid: number): void {
  guestDomain(ctx, domid, 'pause');
  try {
    ctx.hypervisor.pauseDomain(domid);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: pause failed`, error);
  }
}

/** `libxl_domain_unpause`: a new domain's firmware runs now; a restored guest resumes. */
export function unpauseDomain(ctx: LibxlInternals, domid: number): void {
  const info = guestDomain(ctx, domid, 'unpause');
  if (!info.paused) throw new XlError('INVAL', `domain ${domid} is not paused`);
  try {
    ctx.hypervisor.unpauseDomain(domid);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: unpause failed`, error);
  }
  deliverPendingGenidNotify(ctx, domid);
}

/**
 * `libxl__domain_pvcontrol_available` (`libxl_domain.c`): a PV or PVH guest always has the PV
 * control interface; an HVM guest has it once its PV drivers registered their event callback
 * (`HVM_PARAM_CALLBACK_IRQ` is not 0).
 */
export function pvControlAvailable(ctx: LibxlInternals, domid: number): boolean {
  const info = domid > 0xffff ? undefined : ctx.hypervisor.getDomain(domid);
  if (info === undefined) throw new XlError('FAIL', `libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=${domid}`);
  return info.type !== 'hvm' || ctx.hypervisor.readParam(domid, HVM_PARAM_CALLBACK_IRQ) !== 0n;
}

/**
 * The guest shuts down with `reason` (`libxl_domain_shutdown` / `libxl_domain_reboot` write
 * `control/shutdown` and the guest acts on it), then the config's action for that reason is
 * applied as xl's event loop does: `destroy`, `restart` (a reboot: the firmware runs again and
 * places the same ID), or the domain is left shut down (`preserve` and the rest). A poweroff or
 * reboot of an HVM guest without PV drivers fails with `ERROR_NOPARAVIRT`, as in libxl.
 */
export function shutdownDomain(ctx: LibxlInternals, domid: number, reason: ShutdownReason = 'poweroff'): ShutdownOutcome {
  if ((reason === 'poweroff' || reason === 'reboot') && !pvControlAvailable(ctx, domid)) {
    throw new XlError('NOPARAVIRT', `domain ${domid}: PV control interface not available`);
  }
  guestDomain(ctx, domid, 'shut down');
  return applyShutdownAction(ctx, domid, reason, () => {
    try {
      ctx.xs.write(`${domainPath(domid)}/control/shutdown`, reason === 'reboot' ? 'reboot' : 'poweroff');
      ctx.hypervisor.shutdownDomain(domid, reason);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: shutdown failed`, error);
    }
  });
}

/**
 * Runs `shutDown` (which makes the guest shut down with `reason`), then applies the config's
 * action for it as xl's event loop does; a restart runs in the same machine transaction, so a
 * toolstack killed half-way leaves the guest as it was, never shut down with nobody to start it.
 */
function applyShutdownAction(ctx: LibxlInternals, domid: number, reason: ShutdownReason, shutDown: () => void): ShutdownOutcome {
  const config = getDomainConfiguration(ctx, domid);
  const action = actionFor(config, reason);
  if (action === 'restart' || action === 'restart_rename' || action === 'coredump_restart') {
    ctx.atomically(() => {
      shutDown();
      restart(ctx, domid, config);
    });
    return { reason, action, destroyed: false };
  }
  shutDown();
  if (action === 'destroy' || action === 'coredump_destroy') {
    destroyDomain(ctx, domid);
    return { reason, action, destroyed: true };
  }
  return { reason, action, destroyed: false };
}

/** `libxl_trigger`. */
export type LibxlTrigger = 'unknown' | 'power' | 'sleep' | 'nmi' | 'init' | 'reset' | 's3resume';

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ESRCH: 'No such process',
  EINVAL: 'Invalid argument',
  ENOSYS: 'Function not implemented',
};

/**
 * `libxl_send_trigger` (`libxl_domain.c`): `xc_domain_send_trigger` for the hypervisor's
 * triggers, failing as libxl logs it (`ERROR_FAIL`); `s3resume` wakes an HVM guest (which, never
 * suspended in the simulation, just runs on) and is `ERROR_INVAL` for any other. When the guest
 * shut down in answer (the power button), the config's action applies as after `shutdownDomain`;
 * the outcome is returned, else `null`.
 */
export function sendTrigger(ctx: LibxlInternals, domid: number, trigger: LibxlTrigger, vcpu: number): ShutdownOutcome | null {
  if (trigger === 's3resume') {
    const type = domid > 0xffff ? undefined : ctx.hypervisor.getDomain(domid)?.type;
    if (type === 'hvm') return null;
    const failed = `libxl_domain.c:2162:domain_s3_resume_done: Domain ${domid}:Send trigger 's3resume' failed, rc=-6`;
    const lines = type === undefined ? [`libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=${domid}`, failed] : [failed];
    throw new XlError('INVAL', lines.join('\nlibxl: error: '));
  }
  const fail = (errno: string): XlError =>
    new XlError('FAIL', `libxl_domain.c:2207:libxl_send_trigger: Domain ${domid}:Send trigger '${trigger}' failed: ${ERRNO_TEXT[errno] ?? errno}`);
  if (trigger === 'unknown') throw fail('EINVAL');
  const before = domid > 0xffff ? undefined : ctx.hypervisor.getDomain(domid);
  if (before === undefined) throw fail('ESRCH');
  const send = (): void => {
    try {
      ctx.hypervisor.sendTrigger(domid, trigger as DomainTrigger, vcpu);
    } catch (error) {
      if (XcError.is(error)) throw fail(error.code);
      throw wrapFailure(`domain ${domid}: trigger ${trigger}`, error);
    }
  };
  send();
  // The guest may have shut down in answer (the power button): then its config's action applies.
  const reason = before.shutdown === null ? (ctx.hypervisor.getDomain(domid)?.shutdown ?? null) : null;
  return reason === null ? null : applyShutdownAction(ctx, domid, reason, () => undefined);
}

/**
 * A restart from the stored config (xl's `reload_domain_config` keeps the stored ID): the domain
 * is reset to power-on state, `libxl__build_post` runs again (so the ID is in xenstore before the
 * firmware reads it), then it is unpaused and the firmware places the same ID.
 */
function restart(ctx: LibxlInternals, domid: number, config: DomainConfig): void {
  // The policy's reboot row (keep, for both generate and explicit IDs).
  const decision = decideGenid({
    operation: 'reboot',
    mode: genidModeOfConfig(config),
    current: genidOfConfig(config),
    random: ctx.random,
  });
  if (decision.changed) {
    setGenidOfConfig(config, decision.genid);
    storeDomainConfiguration(ctx.userdata, domid, config);
  }
  try {
    ctx.hypervisor.resetDomain(domid);
    ctx.xs.write(`${domainPath(domid)}/control/shutdown`, '');
    buildPost(ctx, domid, config, checkConfig(config));
    ctx.hypervisor.unpauseDomain(domid);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: restart failed`, error);
  }
}

function actionFor(config: DomainConfig, reason: ShutdownReason): ActionOnShutdown {
  switch (reason) {
    case 'poweroff':
      return config.onPoweroff;
    case 'reboot':
      return config.onReboot;
    case 'crash':
      return config.onCrash;
    case 'watchdog':
      return config.onWatchdog;
    case 'soft_reset':
      return config.onSoftReset;
    case 'suspend':
      return 'preserve';
  }
}
