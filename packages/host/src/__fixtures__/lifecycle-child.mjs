/* global Buffer, process */
// A toolstack process for the reliability tests: runs create / save / restore / destroy on a host
// file through xl-lib's libxl context (create, destroy, and create with restore hooks, as
// libxl_domain_create_restore), over the built @xen-genid/host. Each line on stdout is JSON.
// argv: <host file> <work dir> <cycles> [save]
// XEN_GENID_HOST_CRASH_AT names a step (the host's, or this script's) where it kills itself.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError, openHost } from '@xen-genid/host';
import { MsVmGenid, createLibxl, defaultDomainConfig, domainConfigFromJsonText, domainConfigToJsonText } from '@xen-genid/xl-lib';

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

const host = openHost(hostPath);
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

/** xl save: pause, write the image (temp file + rename), destroy. */
function save(domid, file) {
  retrying(() => libxl.pauseDomain(domid));
  const stored = libxl.retrieveDomainConfiguration(domid);
  const params = {};
  for (let index = 0; index < 39; index += 1) {
    const value = hypervisor.readParam(domid, index);
    if (value !== 0n) params[index] = String(value);
  }
  const pages = hypervisor.touchedPages(domid).map((pfn) => [pfn, Buffer.from(hypervisor.readPage(domid, pfn)).toString('base64')]);
  writeFileSync(`${file}.tmp`, JSON.stringify({ config: domainConfigToJsonText(stored), params, pages, record: hypervisor.getGuestRecord(domid) }));
  step('save.image-written');
  renameSync(`${file}.tmp`, file);
  retrying(() => libxl.destroyDomain(domid));
  step('save.destroyed');
}

/** xl restore: a new domain from the saved config with a new ID, memory loaded before build_post. */
function restore(file) {
  const image = JSON.parse(readFileSync(file, 'utf8'));
  const restored = domainConfigFromJsonText(image.config);
  restored.buildInfo.u.msVmGenid = MsVmGenid.generate();
  return retrying(() =>
    libxl.createDomain(restored, {
      restore: {
        load(domid) {
          hypervisor.batch(() => {
            for (const [pfn, data] of image.pages) hypervisor.writePage(domid, pfn, new Uint8Array(Buffer.from(data, 'base64')));
            for (const [index, value] of Object.entries(image.params)) hypervisor.writeParam(domid, Number(index), BigInt(value));
            if (image.record !== undefined) hypervisor.setGuestRecord(domid, image.record);
          });
          step('restore.memory-loaded');
        },
      },
    }),
  );
}

for (let cycle = 0; cycle < cycles; cycle += 1) {
  const name = `guest-${process.pid}-${cycle}`;
  let domid = retrying(() => libxl.createDomain(config(name)));
  step('create.done');
  process.stdout.write(`${JSON.stringify({ created: domid })}\n`);
  if (withSave === 'save') {
    const file = join(workDir, `${name}.save`);
    save(domid, file);
    domid = restore(file);
    process.stdout.write(`${JSON.stringify({ restored: domid })}\n`);
  }
  retrying(() => libxl.destroyDomain(domid));
  process.stdout.write(`${JSON.stringify({ destroyed: domid })}\n`);
}
process.stdout.write(`${JSON.stringify({ done: true, retries })}\n`);
libxl.close();
host.close();
