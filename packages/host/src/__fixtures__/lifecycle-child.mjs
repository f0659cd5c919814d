/* global process */
// A toolstack process for the reliability tests: runs create / save / restore / destroy on a host
// file through xl-lib (createLibxl's create and destroy, saveDomain and restoreDomain with real save
// files), over the built @xen-genid/host. Each line on stdout is JSON.
// argv: <host file> <work dir> <cycles> [save]
// XEN_GENID_HOST_CRASH_AT names a step (the host's, or this script's) where it kills itself.
import { join } from 'node:path';
import { HostError, openHost } from '@xen-genid/host';
import { MsVmGenid, createLibxl, defaultDomainConfig, libxlGuestModel, restoreDomain, saveDomain } from '@xen-genid/xl-lib';

const [hostPath, workDir, cyclesText, withSave] = process.argv.slice(2);
const cycles = Number(cyclesText);
const crashAt = process.env.XEN_GENID_HOST_CRASH_AT ?? '';
const seen = new Map();
function step(name) {
  const [target, countText] = crashAt.split('#');
  if (target !== name) return;
  const count = (seen.get(name) ?? 0) + 1;
  seen.set(name, count);
  if (count === Number(countText ?? 1)) process.kill(process.pid, 'SIGKILL');
}

let retries = 0;
/** The only retry a caller has to do: a host lock held past the busy timeout. */
function retrying(body) {
  for (;;) {
    try {
      return body();
    } catch (error) {
      const busy = HostError.is(error) || HostError.is(error?.cause);
      if (!busy || (error.code ?? error.cause.code) !== 'BUSY') throw error;
      retries += 1;
    }
  }
}

const host = openHost(hostPath, { guestModel: libxlGuestModel });
const { hypervisor } = host;
const libxl = createLibxl({ hypervisor, xenstore: host.store, userdata: host.userdata });

function config(name) {
  const value = defaultDomainConfig('hvm');
  value.createInfo.name = name;
  value.buildInfo.maxMemkb = 65536n;
  value.buildInfo.targetMemkb = 65536n;
  value.buildInfo.u.msVmGenid = MsVmGenid.generate();
  return value;
}

/**
 * The libxl context as xl-lib's save and restore see it, with this script's crash points:
 * `save.image-written` (the save file is in place, the domain not yet destroyed) and
 * `restore.memory-loaded` (memory and params loaded, build_post not yet run).
 */
const context = {
  hypervisor,
  retrieveDomainConfiguration: (domid) => libxl.retrieveDomainConfiguration(domid),
  createDomain: (config, options) =>
    libxl.createDomain(config, {
      ...options,
      restore: options.restore && {
        load(domid) {
          options.restore.load(domid);
          step('restore.memory-loaded');
        },
      },
    }),
  destroyDomain(domid) {
    step('save.image-written');
    libxl.destroyDomain(domid);
  },
  pauseDomain: (domid) => libxl.pauseDomain(domid),
  unpauseDomain: (domid) => libxl.unpauseDomain(domid),
};

for (let cycle = 0; cycle < cycles; cycle += 1) {
  const name = `guest-${process.pid}-${cycle}`;
  let domid = retrying(() => libxl.createDomain(config(name)));
  step('create.done');
  process.stdout.write(`${JSON.stringify({ created: domid })}\n`);
  if (withSave === 'save') {
    const file = join(workDir, `${name}.save`);
    await saveDomain(context, domid, { file });
    step('save.destroyed');
    ({ domid } = await restoreDomain(context, file));
    process.stdout.write(`${JSON.stringify({ restored: domid })}\n`);
  }
  retrying(() => libxl.destroyDomain(domid));
  process.stdout.write(`${JSON.stringify({ destroyed: domid })}\n`);
}
process.stdout.write(`${JSON.stringify({ done: true, retries })}\n`);
libxl.close();
host.close();
