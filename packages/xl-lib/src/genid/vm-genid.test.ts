import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { afterEach, describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { createSeededRandomSource } from '../random-bytes.ts';
import { defaultDomainConfig, type DomainConfig } from '../types/domain-config.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import { memoryMachine } from '../lifecycle/guest-model.ts';
import { migrateDomain } from '../save-restore/migrate.ts';
import { restoreDomain, saveDomain } from '../save-restore/operations.ts';
import { generationIdPath } from './genid-set.ts';
import { createLibxl, type Libxl } from '../lifecycle/libxl.ts';
import { USERDATA_GENID_NOTIFY } from './notify.ts';
import { queryVmGenid, vmGenidDisagreements } from './query.ts';
import { renewVmGenid } from './renewal.ts';

const open: Libxl[] = [];
afterEach(() => {
  for (const libxl of open.splice(0)) libxl.close();
});

function context(seed = 7): Libxl {
  const libxl = createLibxl({ ...memoryMachine(), random: createSeededRandomSource(seed) });
  open.push(libxl);
  return libxl;
}

function hvm(name: string, genid: MsVmGenid | null): DomainConfig {
  const config = defaultDomainConfig('hvm');
  config.createInfo.name = name;
  config.buildInfo.maxMemkb = 65536n;
  config.buildInfo.targetMemkb = 65536n;
  if (genid && config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = genid;
  return config;
}

const GIVEN = MsVmGenid.fromGuid('44332211-6655-8877-99aa-bbccddeeff00');

describe('queryVmGenid', () => {
  it('reports every view of a booted guest, all equal, and changes nothing', () => {
    const libxl = context();
    const domid = libxl.createDomain(hvm('q', GIVEN));
    const before = readGuestRecord(libxl.hypervisor, domid);
    const views = queryVmGenid(libxl, domid);
    expect(views.config?.toHex()).toBe(GIVEN.toHex());
    expect(views.xenstore?.toHex()).toBe(GIVEN.toHex());
    expect(views.xenstoreText).toBe(GIVEN.toXenstore());
    expect(views.memory?.toHex()).toBe(GIVEN.toHex());
    expect(views.guest?.toHex()).toBe(GIVEN.toHex());
    expect(views.address).toBeGreaterThan(0n);
    expect(views.notifications).toBe(0);
    expect(views.notifyPending).toBe(false);
    expect(vmGenidDisagreements(views)).toEqual([]);
    expect(readGuestRecord(libxl.hypervisor, domid)).toEqual(before);
  });

  it('a domain without an ID has no views; a disagreement names the two views', () => {
    const libxl = context();
    const none = libxl.createDomain(hvm('none', null));
    const views = queryVmGenid(libxl, none);
    expect([views.config, views.xenstore, views.memory, views.guest]).toEqual([null, null, null, null]);
    const domid = libxl.createDomain(hvm('d', GIVEN));
    libxl.xs.write(generationIdPath(domid), '1:2');
    expect(vmGenidDisagreements(queryVmGenid(libxl, domid))).toEqual([
      { first: 'config', second: 'xenstore' },
      { first: 'xenstore', second: 'guest' },
    ]);
  });
});

describe('renewVmGenid', () => {
  it('--new: a new random ID everywhere, then the notify GPE; the guest re-reads it', () => {
    const libxl = context();
    const domid = libxl.createDomain(hvm('n', GIVEN));
    const renewal = renewVmGenid(libxl, domid, { kind: 'new' });
    expect(renewal.notify).toBe('delivered');
    expect(renewal.genid.equals(GIVEN)).toBe(false);
    expect(renewal.genid.isZero()).toBe(false);
    const views = queryVmGenid(libxl, domid);
    for (const view of [views.config, views.xenstore, views.memory, views.guest]) expect(view?.toHex()).toBe(renewal.genid.toHex());
    expect(views.notifications).toBe(1);
    const record = readGuestRecord(libxl.hypervisor, domid)!;
    expect(record.events.at(-1)).toMatchObject({ gpe: 5, handler: '\\_GPE._E05', failure: null });
    expect(record.reads.at(-1)).toMatchObject({ reason: 'notify', ok: true, changed: true });
  });

  it('--set: that ID and a notify; the same ID again writes nothing and sends none', () => {
    const libxl = context();
    const domid = libxl.createDomain(hvm('s', MsVmGenid.fromWords(5n, 6n)));
    expect(renewVmGenid(libxl, domid, { kind: 'set', genid: GIVEN }).notify).toBe('delivered');
    expect(queryVmGenid(libxl, domid).guest?.toGuid()).toBe('44332211-6655-8877-99aa-bbccddeeff00');
    const again = renewVmGenid(libxl, domid, { kind: 'set', genid: GIVEN });
    expect(again.notify).toBe('none');
    expect(again.decision.changed).toBe(false);
    expect(queryVmGenid(libxl, domid).notifications).toBe(1);
  });

  it('a paused domain gets the notify when it is unpaused', () => {
    const libxl = context();
    const domid = libxl.createDomain(hvm('p', GIVEN));
    libxl.pauseDomain(domid);
    const renewal = renewVmGenid(libxl, domid, { kind: 'new' });
    expect(renewal.notify).toBe('pending');
    expect(queryVmGenid(libxl, domid)).toMatchObject({ notifyPending: true, notifications: 0 });
    expect(queryVmGenid(libxl, domid).guest?.toHex()).toBe(GIVEN.toHex());
    libxl.unpauseDomain(domid);
    const views = queryVmGenid(libxl, domid);
    expect(views.notifyPending).toBe(false);
    expect(views.notifications).toBe(1);
    expect(views.guest?.toHex()).toBe(renewal.genid.toHex());
    expect(libxl.userdata.retrieve(domid, USERDATA_GENID_NOTIFY)).toBeUndefined();
  });

  it('refuses a domain without an ID, an all-zero ID and Domain-0', () => {
    const libxl = context();
    const domid = libxl.createDomain(hvm('none', null));
    expect(() => renewVmGenid(libxl, domid, { kind: 'new' })).toThrow(/has no VM generation ID/);
    const other = libxl.createDomain(hvm('z', GIVEN));
    expect(() => renewVmGenid(libxl, other, { kind: 'set', genid: MsVmGenid.zero() })).toThrow(XlError);
    expect(() => renewVmGenid(libxl, 0, { kind: 'new' })).toThrow(/Domain-0/);
  });
});

describe('restore and migration notify as the policy says', () => {
  it('a restore renews the ID and notifies the resumed guest; with -p the notify waits for the unpause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xl-lib-vm-genid-'));
    try {
      const libxl = context();
      const domid = libxl.createDomain(hvm('r', GIVEN));
      await saveDomain(libxl, domid, { file: join(dir, 'r.save') }, { checkpoint: true });
      libxl.destroyDomain(domid);
      const restored = await restoreDomain(libxl, join(dir, 'r.save'));
      expect(restored.decision.notify).toBe(true);
      const views = queryVmGenid(libxl, restored.domid);
      expect(views.guest?.toHex()).toBe(restored.genid.toHex());
      expect(views.guest?.equals(GIVEN)).toBe(false);
      expect(views.notifications).toBe(1);
      const record = readGuestRecord(libxl.hypervisor, restored.domid)!;
      expect(record.reads.map((read) => read.reason)).toEqual(['resume', 'notify']);
      libxl.destroyDomain(restored.domid);

      const paused = await restoreDomain(libxl, join(dir, 'r.save'), { paused: true });
      expect(queryVmGenid(libxl, paused.domid)).toMatchObject({ notifyPending: true, notifications: 0 });
      libxl.unpauseDomain(paused.domid);
      expect(queryVmGenid(libxl, paused.domid)).toMatchObject({ notifyPending: false, notifications: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a migration keeps the ID and sends no notify', async () => {
    const source = context(1);
    const target = context(2);
    const domid = source.createDomain(hvm('m', GIVEN));
    const moved = await migrateDomain(source, domid, target);
    const views = queryVmGenid(target, moved.domid);
    expect(views.guest?.toHex()).toBe(GIVEN.toHex());
    expect(views.notifications).toBe(0);
    expect(readGuestRecord(target.hypervisor, moved.domid)!.events).toEqual([]);
  });
});
