/**
 * Crash points for the reliability tests: `XEN_GENID_HOST_CRASH_AT=<step>[#<n>]` makes the process
 * kill itself with SIGKILL the n-th time (default first) it reaches the named step, right after that
 * step's write has committed (or, inside a `Host.atomically` body, while that body's transaction is
 * still open). With `XEN_GENID_HOST_TRACE_STEPS=1` as well, each step reached is printed to stderr
 * (`step <name>`), so a test can list the steps an operation goes through and arm each in turn.
 */

/** The environment variable read by `openHost` when no `crashAt` option is given. */
export const HOST_CRASH_AT_ENV = 'XEN_GENID_HOST_CRASH_AT';

/**
 * Every crash point, with where it is. `userdata.store.<userid>` stands for one step per userid
 * (`userdata.store.libxl-json`...).
 */
export const CRASH_POINTS = {
  'hypervisor.createDomain': 'a domain made (with its create claim)',
  'hypervisor.pauseDomain': 'a domain paused (with its pause claim)',
  'hypervisor.unpauseDomain': 'a domain unpaused (its pause claim released)',
  'hypervisor.guestStarted': "a domain's guest started (booted or resumed) inside the transaction that unpauses it, before it ends",
  'hypervisor.shutdownDomain': 'a domain shut down',
  'hypervisor.resetDomain': 'a domain reset to its power-on state',
  'hypervisor.destroyDomain': 'a hypervisor domain removed',
  'hypervisor.memoryFileSynced': "a domain's memory file filled and synced, inside the transaction that names it, before it ends",
  'xenstore.commit': "inside a xenstore commit's transaction, before it ends",
  'xenstore.committed': 'a xenstore commit done',
  'xenstore.introduced': 'a domain introduced (the end of libxl__build_post)',
  'userdata.store.<userid>': 'a userdata blob stored',
  'xl.save.written': "xl save's whole image written to its temporary file, before it is synced and renamed",
} as const;

export type CrashPoint = keyof typeof CRASH_POINTS;

/** The crash point a step reached belongs to (`userdata.store.xl` is `userdata.store.<userid>`). */
export function crashPointOf(step: string): CrashPoint | undefined {
  if (step.startsWith('userdata.store.')) return 'userdata.store.<userid>';
  return Object.hasOwn(CRASH_POINTS, step) ? (step as CrashPoint) : undefined;
}

export function crashPoints(spec: string | undefined): ((step: string) => void) | undefined {
  if (spec === undefined || spec === '') return undefined;
  const [name, countText] = spec.split('#');
  const target = countText === undefined ? 1 : Number(countText);
  if (!name || !Number.isInteger(target) || target < 1) return undefined;
  let seen = 0;
  return (step) => {
    if (process.env.XEN_GENID_HOST_TRACE_STEPS === '1') process.stderr.write(`step ${step}\n`);
    if (step !== name) return;
    seen += 1;
    if (seen === target) process.kill(process.pid, 'SIGKILL');
  };
}
