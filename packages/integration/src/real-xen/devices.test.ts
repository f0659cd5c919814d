/**
 * The devices libxl adds at create, as Debian's `xenstore-ls` reads them from our xenstored, against
 * real Xen 4.17's listings of the same guests (`__fixtures__/{hvm,pv}-xs-*.txt`, configs
 * `real-xen/{hvm1,pv1,hvm2,pv2}.cfg`): every device node, value and permission of the frontends, backends and
 * `/libxl/<domid>/device`, in libxl's order. Values real Xen's machine chose (ports, ring references,
 * the tty xenconsoled opened) are compared as present. A destroy leaves no device node behind; a
 * restore makes them again.
 */
import { execFile } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { createXenstored, type Xenstored } from '@xen-genid/xenstore';
import { parseConfigData } from '@xen-genid/xl-cli';
import { createLibxl, memoryMachine, type Libxl } from '@xen-genid/xl-lib';
import { afterAll, beforeAll, expect, it } from 'vitest';

const FIXTURES = new URL('./__fixtures__/', import.meta.url).pathname;
const CONFIGS = new URL('../../real-xen/', import.meta.url).pathname;
const XENSTORE_LS = '/usr/bin/xenstore-ls';

/** A listing's lines, the domain's id written `<D>`, machine-chosen values blanked, `#` comments dropped. */
function normalise(text: string, domid: number): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) =>
      line
        .replace(new RegExp(`(/local/domain/|/libxl/|backend/[\\w-]+/)${domid}\\b`, 'g'), '$1<D>')
        .replace(new RegExp(`([nr])${domid}\\b`, 'g'), '$1<D>')
        .replace(new RegExp(`frontend-id = "${domid}"`, 'g'), 'frontend-id = "<D>"')
        .replace(/\/(tty|port|ring-ref) = "[^"]*"/, '/$1 = "<machine>"')
        // A MAC libxl picked (the configs give theirs as 00:16:3e:5a:…).
        .replace(/"00:16:3e:(?!5a:)[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}"/, '"<random mac>"')
        // Which disk gets which loop device: real libxl's block scripts race for them (disk-devices.test.ts checks ours).
        .replace(/\/dev\/loop\d+/, '/dev/loop<N>')
        .replace(/(\/physical-device = "7:)[0-9a-f]+"/, '$1<N>"'),
    );
}

/** The lines of a listing that belong to devices: console, vkbd, vfb, vbd, vif, and the backend directories. */
const deviceLines = (lines: readonly string[]): string[] =>
  lines.filter((line) => /^\/local\/domain\/<D>\/(console|device\/(vkbd|vfb|vbd|vif))\b|^\/local\/domain\/0\/backend\b|^\/libxl\/<D>\/device\/./.test(line));

/** A fixture's lines; its guest's domid is the first one a path names. */
function recorded(name: string): string[] {
  const text = readFileSync(join(FIXTURES, `${name}.txt`), 'utf8').replace(/^#.*\n/gm, '');
  const found = /\/libxl\/(\d+)|\/local\/domain\/([1-9]\d*)|backend\/[\w-]+\/(\d+)/.exec(text)!;
  return normalise(text, Number(found[1] ?? found[2] ?? found[3]));
}

describeWithReferee('devices in xenstore against real Xen 4.17', findReferee('xenstore-ls (xenstore-utils)', [XENSTORE_LS]), () => {
  let dir = '';
  let server: Xenstored;
  let libxl: Libxl;
  const socket = () => join(dir, 'socket');
  // Asynchronous: our xenstored answers in this process.
  // dom0's /var/lib/xen/images (the configs' disk images) is the test's directory.
  const images = () => join(dir, 'images');
  const ls = async (path: string, domid: number): Promise<string[]> => {
    const { stdout } = await promisify(execFile)(XENSTORE_LS, ['-fp', path], { env: { XENSTORED_PATH: socket() }, encoding: 'utf8' });
    return normalise(stdout.replaceAll(images(), '/var/lib/xen/images'), domid);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'devices-xenstore-'));
    mkdirSync(images());
    for (const image of ['pv2', 'pv2b', 'hvm2']) writeFileSync(join(images(), `${image}.img`), '');
    const machine = memoryMachine();
    libxl = createLibxl(machine);
    const { xenstore } = machine;
    server = await createXenstored(xenstore, socket());
  });
  afterAll(async () => {
    libxl?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A domain made from `real-xen/<name>.cfg` for `body`, destroyed after it. */
  async function withDomain(name: string, body: (domid: number) => Promise<void>): Promise<void> {
    const text = readFileSync(join(CONFIGS, `${name}.cfg`), 'utf8').replaceAll('/var/lib/xen/images', images());
    const parsed = parseConfigData(Buffer.from(text), { source: `${name}.cfg` });
    const domid = libxl.createDomain(parsed.config!);
    try {
      await body(domid);
    } finally {
      libxl.destroyDomain(domid);
    }
  }

  it('an HVM guest: its console and vkbd, frontends, backends and libxl entries as real libxl writes them', () =>
    withDomain('hvm1', async (domid) => {
      expect(deviceLines(await ls(`/local/domain/${domid}`, domid))).toEqual(deviceLines(recorded('hvm-xs-domain')));
      expect(await ls(`/libxl/${domid}`, domid)).toEqual(recorded('hvm-xs-libxl'));
      expect(deviceLines(await ls('/local/domain/0', domid))).toEqual(deviceLines(recorded('hvm-xs-dom0')));
    }));

  it('a PV guest: its console', () =>
    withDomain('pv1', async (domid) => {
      expect(deviceLines(await ls(`/local/domain/${domid}`, domid))).toEqual(deviceLines(recorded('pv-xs-domain')));
      expect(await ls(`/libxl/${domid}`, domid)).toEqual(recorded('pv-xs-libxl'));
      expect(await ls('/local/domain/0/backend', domid)).toEqual(recorded('pv-xs-backend'));
    }));

  it('a PV guest with two disks and two nics: vbds and vifs as blkback, netback and the block and vif-bridge scripts leave them', () =>
    withDomain('pv2', async (domid) => {
      expect(deviceLines(await ls(`/local/domain/${domid}`, domid))).toEqual(deviceLines(recorded('pv2-xs-domain')));
      expect(await ls(`/libxl/${domid}`, domid)).toEqual(recorded('pv2-xs-libxl'));
      expect(await ls('/local/domain/0/backend', domid)).toEqual(recorded('pv2-xs-backend'));
    }));

  it('an HVM guest with a disk and an emulated nic: its vbd, vif, console and vkbd', () =>
    withDomain('hvm2', async (domid) => {
      expect(deviceLines(await ls(`/local/domain/${domid}`, domid))).toEqual(deviceLines(recorded('hvm2-xs-domain')));
      expect(await ls(`/libxl/${domid}`, domid)).toEqual(recorded('hvm2-xs-libxl'));
      expect(await ls('/local/domain/0/backend', domid)).toEqual(recorded('hvm2-xs-backend'));
    }));

  it('destroy leaves no device node: no backend directory, nothing under /libxl', async () => {
    await withDomain('pv1', async (pv) => {
      await withDomain('hvm1', async (hvm) => {
        expect((await ls('/local/domain/0/backend', hvm)).filter((line) => line.includes('vkbd/<D>/0/'))).toHaveLength(7);
      });
      expect((await ls('/local/domain/0/backend', pv)).filter((line) => line.includes('vkbd'))).toEqual([]);
    });
    expect((await ls('/local/domain/0', 0)).filter((line) => line.includes('/backend'))).toEqual([]);
    expect(await ls('/libxl', 0)).toEqual([]);
  });
});
