/* global Buffer, TextDecoder, TextEncoder, crypto, process */
// A toolstack process for the reliability tests: runs create / save / restore / destroy on a host
// file the way libxl orders them, through the built @xen-genid/host. Each line on stdout is JSON.
// argv: <host file> <work dir> <cycles> [save]
// XEN_GENID_HOST_CRASH_AT names a step (host-level or one of this script's) where it kills itself.
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError, openHost } from '@xen-genid/host';

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

const PAGE = 4096;
const GENID_PFN = 0xfc;
const encoder = new TextEncoder();
let retries = 0;

/** The only retry a caller has to do: a host lock held past the busy timeout. */
function retrying(body) {
  for (;;) {
    try {
      return body();
    } catch (error) {
      if (!HostError.is(error) || error.code !== 'BUSY') throw error;
      retries += 1;
    }
  }
}

const host = openHost(hostPath);
const { hypervisor, userdata } = host;
const xs = host.store.connect(0);

function genidPage(lo, hi) {
  const page = new Uint8Array(PAGE);
  const view = new DataView(page.buffer);
  view.setBigUint64(0, lo, true);
  view.setBigUint64(8, hi, true);
  return page;
}

/** libxl__domain_make + build + domcreate_complete: domain, xenstore skeleton, memory, config. */
function create(config, load) {
  const domain = retrying(() => hypervisor.createDomain({ type: 'hvm', uuid: config.uuid, maxMemKb: 65536 }));
  const { domid } = domain;
  const home = `/local/domain/${domid}`;
  xs.transaction((t) => {
    t.write(home, '');
    t.setPerms(home, [{ id: domid, access: 'n' }, { id: 0, access: 'r' }]);
    t.write(`${home}/name`, config.name);
    t.write(`${home}/vm`, `/vm/${config.uuid}`);
    t.write(`/vm/${config.uuid}/name`, config.name);
    t.write(`/vm/${config.uuid}/uuid`, config.uuid);
    t.write(`/libxl/${domid}/type`, 'hvm');
  });
  step('create.skeleton');
  load(domid);
  xs.write(`${home}/platform/generation-id`, `${config.genid[0]}:${config.genid[1]}`);
  retrying(() => hypervisor.writeParam(domid, 34, BigInt(GENID_PFN * PAGE)));
  retrying(() => userdata.store(domid, 'libxl-json', encoder.encode(JSON.stringify(config))));
  retrying(() => hypervisor.unpauseDomain(domid));
  return domid;
}

function freshGenid() {
  const bytes = new BigUint64Array(2);
  crypto.getRandomValues(bytes);
  return [bytes[0] | 1n, bytes[1]].map(String);
}

/** libxl's destroy order: userdata, xenstore, then the hypervisor domain. */
function destroy(domid) {
  const config = JSON.parse(new TextDecoder().decode(userdata.retrieve(domid, 'libxl-json')));
  retrying(() => userdata.destroyAll(domid));
  step('destroy.userdata-removed');
  xs.transaction((t) => {
    t.rm(`/libxl/${domid}`);
    t.rm(`/local/domain/${domid}`);
    t.rm(`/vm/${config.uuid}`);
  });
  retrying(() => hypervisor.destroyDomain(domid));
}

/** xl save: pause, write the image (temp + rename), destroy. */
function save(domid, file) {
  retrying(() => hypervisor.pauseDomain(domid));
  const config = JSON.parse(new TextDecoder().decode(userdata.retrieve(domid, 'libxl-json')));
  const pages = hypervisor.touchedPages(domid).map((pfn) => [pfn, Buffer.from(hypervisor.readPage(domid, pfn)).toString('base64')]);
  const image = JSON.stringify({ config, params: { 34: String(hypervisor.readParam(domid, 34)) }, pages });
  writeFileSync(`${file}.tmp`, image);
  step('save.image-written');
  renameSync(`${file}.tmp`, file);
  destroy(domid);
  return file;
}

/** xl restore: create from the saved config with a new ID, load memory, resume. */
function restore(file) {
  const image = JSON.parse(readFileSync(file, 'utf8'));
  const config = { ...image.config, genid: freshGenid() };
  return create(config, (domid) => {
    const lo = BigInt(config.genid[0]);
    const hi = BigInt(config.genid[1]);
    retrying(() =>
      hypervisor.batch(() => {
        for (const [pfn, data] of image.pages) hypervisor.writePage(domid, pfn, pfn === GENID_PFN ? genidPage(lo, hi) : new Uint8Array(Buffer.from(data, 'base64')));
        hypervisor.setPendingStart(domid, 'resume');
      }),
    );
    step('restore.memory-loaded');
  });
}

for (let cycle = 0; cycle < cycles; cycle += 1) {
  const uuid = randomUUID();
  const config = { name: `guest-${process.pid}-${cycle}`, uuid, genid: freshGenid() };
  let domid = create(config, (id) => {
    retrying(() =>
      hypervisor.batch(() => {
        hypervisor.writePage(id, 0, new Uint8Array(PAGE).fill(cycle & 0xff));
        hypervisor.writePage(id, GENID_PFN, genidPage(BigInt(config.genid[0]), BigInt(config.genid[1])));
      }),
    );
  });
  process.stdout.write(`${JSON.stringify({ created: domid, uuid })}\n`);
  if (withSave === 'save') {
    const file = save(domid, join(workDir, `${uuid}.save`));
    domid = restore(file);
    process.stdout.write(`${JSON.stringify({ restored: domid, uuid })}\n`);
  }
  destroy(domid);
  process.stdout.write(`${JSON.stringify({ destroyed: domid })}\n`);
}
process.stdout.write(`${JSON.stringify({ done: true, retries })}\n`);
host.close();
