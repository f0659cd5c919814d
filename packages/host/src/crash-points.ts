/**
 * Crash points for the reliability tests: `XEN_GENID_HOST_CRASH_AT=<step>[#<n>]` makes the process
 * kill itself with SIGKILL the n-th time (default first) it reaches the named step, right after that
 * step's write has committed. Steps: `hypervisor.createDomain`, `hypervisor.destroyDomain`,
 * `hypervisor.pauseDomain`,
 * `xenstore.commit` (inside the commit's transaction, before it ends), `xenstore.committed` (after it),
 * `xenstore.introduced` (a domain introduced, the end of libxl__build_post),
 * `userdata.store.<userid>`.
 */

/** The environment variable read by `openHost` when no `crashAt` option is given. */
export const HOST_CRASH_AT_ENV = 'XEN_GENID_HOST_CRASH_AT';

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
