/**
 * A domain's run state (`tools/libs/light/libxl_domain.c`): `libxl_domain_pause`,
 * `libxl_domain_unpause`, `libxl_domain_shutdown` and `libxl_domain_reboot`, with the guest's
 * shutdown and the config's `on_*` action applied as xl's event loop does (`tools/xl/xl_vmcontrol.c`
 * handle_domain_death; a restart as `reload_domain_config` keeps the stored ID).
 */
import type { DomainInfo, ShutdownReason } from '@xen-genid/xc-params';
import { domainPath } from '@xen-genid/xc-params';
import { XlError, wrapFailure } from '../errors.ts';
import { decideGenid, genidModeOfConfig, genidOfConfig, setGenidOfConfig } from '../genid/lifecycle-policy.ts';
import { deliverPendingGenidNotify } from '../genid/notify.ts';
import { existingDomain, retrieveDomainConfiguration, storeDomainConfiguration } from '../stored-config.ts';
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
    ctx.registerGuestModel();
    ctx.hypervisor.unpauseDomain(domid);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: unpause failed`, error);
  }
  deliverPendingGenidNotify(ctx, domid);
}

/**
 * The guest shuts down with `reason` (`libxl_domain_shutdown` / `libxl_domain_reboot` write
 * `control/shutdown` and the guest acts on it), then the config's action for that reason is
 * applied as xl's event loop does: `destroy`, `restart` (a reboot: the firmware runs again and
 * places the same ID), or the domain is left shut down (`preserve` and the rest).
 */
export function shutdownDomain(ctx: LibxlInternals, domid: number, reason: ShutdownReason = 'poweroff'): ShutdownOutcome {
  guestDomain(ctx, domid, 'shut down');
  const config = retrieveDomainConfiguration(ctx, domid);
  const action = actionFor(config, reason);
  const shutDown = (): void => {
    try {
      ctx.xs.write(`${domainPath(domid)}/control/shutdown`, reason === 'reboot' ? 'reboot' : 'poweroff');
      ctx.hypervisor.shutdownDomain(domid, reason);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: shutdown failed`, error);
    }
  };
  if (action === 'restart' || action === 'restart_rename' || action === 'coredump_restart') {
    // One transaction of the machine: a toolstack killed half-way leaves the guest as it was,
    // never shut down, reset or paused with nobody left to start it again.
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
    ctx.registerGuestModel();
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
