/**
 * The contract every `Hypervisor` implementation keeps, as a vitest suite: run it against
 * `MemoryHypervisor` here and against the SQLite host in `@xen-genid/host`, so both behave the same
 * for the toolstack and the firmware above them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { XcError, type XcErrno } from '../errors.ts';
import { CONSOLE_LOG_LIMIT, XC_PAGE_SIZE, type DomainInfo, type GuestModel, type GuestModelBinding, type Hypervisor } from '../hypervisor.ts';
import { HVM_NR_PARAMS, HVM_PARAM_VM_GENERATION_ID_ADDR } from '../public/hvm-params.ts';
import { isCanonicalUuid } from '../uuid.ts';
import { pagesHeldBy, xenBootLog } from '../machine.ts';

/** How the suite gets a fresh hypervisor for each test, and gives it back. */
export interface HypervisorFactory {
  /** A new, empty machine (only Domain-0), running `guestModel` in its domains when given. */
  create(guestModel?: GuestModelBinding): Hypervisor;
  /** Releases what `create` made (close files, remove temp dirs). */
  dispose?(hypervisor: Hypervisor): void;
  /**
   * Optional: the same machine opened again (for persistent implementations: a new handle on the
   * same file). When given, the suite checks that state survives it.
   */
  reopen?(hypervisor: Hypervisor): Hypervisor;
}

function expectXcError(action: () => unknown, code: XcErrno): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(XcError.is(thrown), `expected XcError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as XcError).code).toBe(code);
}

/** A guest model that records its calls, and can look at the domain while it runs. */
function recordingModel(machine: () => Hypervisor): GuestModel & { calls: string[]; seen: (DomainInfo | undefined)[] } {
  const calls: string[] = [];
  const seen: (DomainInfo | undefined)[] = [];
  return {
    calls,
    seen,
    boot(domid) {
      calls.push(`boot ${domid}`);
      seen.push(machine().getDomain(domid));
    },
    resume(domid) {
      calls.push(`resume ${domid}`);
      seen.push(machine().getDomain(domid));
    },
    gpe(domid, gpe) {
      calls.push(`gpe ${domid} ${gpe}`);
    },
  };
}

function page(fill: number): Uint8Array {
  return new Uint8Array(XC_PAGE_SIZE).fill(fill);
}

/**
 * Declares the conformance suite for one implementation. `factory` may be a bare function that
 * returns a new hypervisor.
 */
export function describeHypervisorConformance(name: string, factory: HypervisorFactory | ((guestModel?: GuestModelBinding) => Hypervisor)): void {
  const { create, dispose, reopen } = typeof factory === 'function' ? { create: factory, dispose: undefined, reopen: undefined } : factory;
  const made: Hypervisor[] = [];
  const fresh = (guestModel?: GuestModelBinding): Hypervisor => {
    const hypervisor = create(guestModel);
    made.push(hypervisor);
    return hypervisor;
  };

  describe(`Hypervisor conformance: ${name}`, () => {
    afterEach(() => {
      for (const hypervisor of made.splice(0)) dispose?.(hypervisor);
    });

    describe('domains', () => {
      it('has Domain-0 from the start: domid 0, PV, running, nothing pending', () => {
        const hypervisor = fresh();
        const domains = hypervisor.listDomains();
        expect(domains.map((domain) => domain.domid)).toEqual([0]);
        expect(domains[0]).toMatchObject({ domid: 0, type: 'pv', paused: false, shutdown: null, pendingStart: null });
        expect(hypervisor.getDomain(0)).toEqual(domains[0]);
      });

      it('creates domains paused, with a boot pending, domids from 1 upwards', () => {
        const hypervisor = fresh();
        const first = hypervisor.createDomain({ type: 'hvm' });
        const second = hypervisor.createDomain({ type: 'pvh', vcpus: 2, maxMemKb: 65536 });
        const third = hypervisor.createDomain({ type: 'pv', uuid: '01234567-89ab-cdef-0123-456789abcdef' });
        expect([first.domid, second.domid, third.domid]).toEqual([1, 2, 3]);
        expect(first).toMatchObject({ type: 'hvm', paused: true, shutdown: null, pendingStart: 'boot' });
        expect(second).toMatchObject({ type: 'pvh', vcpus: 2, maxMemKb: 65536 });
        expect(third.uuid).toBe('01234567-89ab-cdef-0123-456789abcdef');
        expect(isCanonicalUuid(first.uuid)).toBe(true);
        expect(first.uuid).not.toBe(second.uuid);
        expect(typeof first.createdAt).toBe('number');
        expect(hypervisor.listDomains().map((domain) => domain.domid)).toEqual([0, 1, 2, 3]);
        expect(hypervisor.getDomain(2)).toEqual(second);
      });

      it('never hands out a destroyed domain\'s domid straight away (the allocator moves on)', () => {
        const hypervisor = fresh();
        const first = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.createDomain({ type: 'hvm' });
        hypervisor.destroyDomain(first.domid);
        expect(hypervisor.getDomain(first.domid)).toBeUndefined();
        expect(hypervisor.createDomain({ type: 'hvm' }).domid).toBe(3);
        hypervisor.destroyDomain(3);
        expect(hypervisor.createDomain({ type: 'hvm' }).domid).toBe(4);
      });

      it('rejects bad creation options and allocates nothing', () => {
        const hypervisor = fresh();
        expectXcError(() => hypervisor.createDomain({ type: 'hvm', uuid: 'not-a-uuid' }), 'EINVAL');
        expectXcError(() => hypervisor.createDomain({ type: 'hvm', vcpus: 0 }), 'EINVAL');
        expectXcError(() => hypervisor.createDomain({ type: 'hvm', maxMemKb: -1 }), 'EINVAL');
        expectXcError(() => hypervisor.createDomain({ type: 'bogus' as 'hvm' }), 'EINVAL');
        expect(hypervisor.listDomains().map((domain) => domain.domid)).toEqual([0]);
        expect(hypervisor.createDomain({ type: 'hvm' }).domid).toBe(1);
      });

      it('answers ESRCH for unknown domains, undefined from getDomain', () => {
        const hypervisor = fresh();
        expect(hypervisor.getDomain(7)).toBeUndefined();
        expectXcError(() => hypervisor.destroyDomain(7), 'ESRCH');
        expectXcError(() => hypervisor.pauseDomain(7), 'ESRCH');
        expectXcError(() => hypervisor.unpauseDomain(7), 'ESRCH');
        expectXcError(() => hypervisor.shutdownDomain(7, 'poweroff'), 'ESRCH');
        expectXcError(() => hypervisor.setPendingStart(7, 'resume'), 'ESRCH');
        expectXcError(() => hypervisor.resetDomain(7), 'ESRCH');
        expectXcError(() => hypervisor.readParam(7, 0), 'ESRCH');
        expectXcError(() => hypervisor.writeParam(7, 0, 1n), 'ESRCH');
        expectXcError(() => hypervisor.readPage(7, 0), 'ESRCH');
        expectXcError(() => hypervisor.writePage(7, 0, page(1)), 'ESRCH');
        expectXcError(() => hypervisor.touchedPages(7), 'ESRCH');
        expectXcError(() => hypervisor.getGuestRecord(7), 'ESRCH');
        expectXcError(() => hypervisor.setGuestRecord(7, '{}'), 'ESRCH');
        expectXcError(() => hypervisor.raiseGpe(7, 0), 'ESRCH');
      });

      it('keeps Domain-0: it cannot be destroyed, paused, shut down or reset', () => {
        const hypervisor = fresh();
        expectXcError(() => hypervisor.destroyDomain(0), 'EINVAL');
        expectXcError(() => hypervisor.pauseDomain(0), 'EINVAL');
        expectXcError(() => hypervisor.unpauseDomain(0), 'EINVAL');
        expectXcError(() => hypervisor.shutdownDomain(0, 'poweroff'), 'EINVAL');
        expectXcError(() => hypervisor.resetDomain(0), 'EINVAL');
        expect(hypervisor.getDomain(0)).toMatchObject({ paused: false, shutdown: null });
      });

      it('answers domainType (when implemented) as getDomain does', () => {
        const hypervisor = fresh();
        if (!hypervisor.domainType) return;
        const { domid } = hypervisor.createDomain({ type: 'pvh' });
        expect(hypervisor.domainType(0)).toBe('pv');
        expect(hypervisor.domainType(domid)).toBe('pvh');
        expect(hypervisor.domainType(domid + 1)).toBeUndefined();
        hypervisor.destroyDomain(domid);
        expect(hypervisor.domainType(domid)).toBeUndefined();
      });

      it('answers domainsWithUuid (when implemented) as listDomains does', () => {
        const hypervisor = fresh();
        if (!hypervisor.domainsWithUuid) return;
        const uuid = '0a1b2c3d-0000-4000-8000-00000000abcd';
        const first = hypervisor.createDomain({ type: 'hvm', uuid }).domid;
        const other = hypervisor.createDomain({ type: 'hvm' }).domid;
        const second = hypervisor.createDomain({ type: 'hvm', uuid }).domid;
        expect(hypervisor.domainsWithUuid(uuid)).toEqual([first, second]);
        expect(hypervisor.domainsWithUuid(hypervisor.getDomain(other)!.uuid)).toEqual([other]);
        hypervisor.destroyDomain(first);
        expect(hypervisor.domainsWithUuid(uuid)).toEqual([second]);
        expect(hypervisor.domainsWithUuid('0a1b2c3d-0000-4000-8000-0000000000ff')).toEqual([]);
      });

      it('answers pagesHeld (when implemented) as listDomains sums it', () => {
        const hypervisor = fresh();
        if (!hypervisor.pagesHeld) return;
        expect(hypervisor.pagesHeld()).toEqual(pagesHeldBy(hypervisor.listDomains()));
        const odd = hypervisor.createDomain({ type: 'hvm', maxMemKb: 4097 }).domid;
        hypervisor.createDomain({ type: 'pvh', maxMemKb: 65536 });
        expect(hypervisor.pagesHeld()).toEqual(pagesHeldBy(hypervisor.listDomains()));
        hypervisor.destroyDomain(odd);
        expect(hypervisor.pagesHeld()).toEqual(pagesHeldBy(hypervisor.listDomains()));
      });

      it('forgets everything about a destroyed domain', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.writeParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, 5n);
        hypervisor.writePage(domid, 3, page(1));
        hypervisor.setGuestRecord(domid, '{"a":1}');
        hypervisor.destroyDomain(domid);
        expect(hypervisor.getDomain(domid)).toBeUndefined();
        expectXcError(() => hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR), 'ESRCH');
        expectXcError(() => hypervisor.destroyDomain(domid), 'ESRCH');
      });
    });

    describe('params', () => {
      it('starts every param of a new domain at zero', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        for (let index = 0; index < HVM_NR_PARAMS; index += 1) expect(hypervisor.readParam(domid, index)).toBe(0n);
      });

      it('stores any uint64 per domain and per index', () => {
        const hypervisor = fresh();
        const a = hypervisor.createDomain({ type: 'hvm' }).domid;
        const b = hypervisor.createDomain({ type: 'hvm' }).domid;
        const max = (1n << 64n) - 1n;
        hypervisor.writeParam(a, HVM_PARAM_VM_GENERATION_ID_ADDR, max);
        hypervisor.writeParam(a, 0, 1n << 63n);
        hypervisor.writeParam(b, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001000n);
        expect(hypervisor.readParam(a, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(max);
        expect(hypervisor.readParam(a, 0)).toBe(1n << 63n);
        expect(hypervisor.readParam(b, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
        expect(hypervisor.readParam(b, 0)).toBe(0n);
        hypervisor.writeParam(a, HVM_PARAM_VM_GENERATION_ID_ADDR, 0n);
        expect(hypervisor.readParam(a, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
      });

      it('rejects indexes outside 0..HVM_NR_PARAMS-1 and values outside uint64 with EINVAL, changing nothing', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        for (const index of [-1, HVM_NR_PARAMS, 1000, 1.5]) {
          expectXcError(() => hypervisor.readParam(domid, index), 'EINVAL');
          expectXcError(() => hypervisor.writeParam(domid, index, 1n), 'EINVAL');
        }
        expectXcError(() => hypervisor.writeParam(domid, 1, -1n), 'EINVAL');
        expectXcError(() => hypervisor.writeParam(domid, 1, 1n << 64n), 'EINVAL');
        expect(hypervisor.readParam(domid, 1)).toBe(0n);
      });
    });

    describe('guest memory pages', () => {
      it('reads unwritten pages as undefined and written pages back', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expect(hypervisor.readPage(domid, 0xfc000)).toBeUndefined();
        expect(hypervisor.touchedPages(domid)).toEqual([]);
        const data = page(0);
        data[0] = 0xaa;
        data[XC_PAGE_SIZE - 1] = 0x55;
        hypervisor.writePage(domid, 0xfc001, data);
        hypervisor.writePage(domid, 2, page(7));
        expect(hypervisor.readPage(domid, 0xfc001)).toEqual(data);
        expect(hypervisor.touchedPages(domid)).toEqual([2, 0xfc001]);
      });

      it('copies on write and on read, so callers never alias the stored page', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        const data = page(1);
        hypervisor.writePage(domid, 5, data);
        data.fill(2);
        const read = hypervisor.readPage(domid, 5);
        expect(read).toEqual(page(1));
        read?.fill(3);
        expect(hypervisor.readPage(domid, 5)).toEqual(page(1));
      });

      it('reads and writes many pages in one call, writing all or none', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.writePage(domid, 40, page(40));
        const data = page(1);
        hypervisor.writePages(domid, [[3, data], [17, page(17)], [0xfc000, page(9)]]);
        data.fill(2);
        expect(hypervisor.touchedPages(domid)).toEqual([3, 17, 40, 0xfc000]);
        const read = hypervisor.readPages(domid, [17, 4, 3, 40, 0xfc000]);
        expect(read).toEqual([page(17), undefined, page(1), page(40), page(9)]);
        read[0]!.fill(0);
        expect(hypervisor.readPage(domid, 17)).toEqual(page(17));
        expectXcError(() => hypervisor.writePages(domid, [[5, page(5)], [6, new Uint8Array(1)]]), 'EINVAL');
        expectXcError(() => hypervisor.writePages(domid, [[5, page(5)], [-1, page(1)]]), 'EINVAL');
        expectXcError(() => hypervisor.readPages(domid, [1, 0.5]), 'EINVAL');
        expectXcError(() => hypervisor.writePages(77, [[5, page(5)]]), 'ESRCH');
        expectXcError(() => hypervisor.readPages(77, [5]), 'ESRCH');
        expect(hypervisor.touchedPages(domid)).toEqual([3, 17, 40, 0xfc000]);
      });

      it('reads many pages into a buffer of the caller\'s, whose bytes it may hand back', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.writePages(domid, [[3, page(3)], [17, page(17)]]);
        const into = new Uint8Array(4 * 4096).fill(0xee);
        const read = hypervisor.readPages(domid, [17, 4, 3], into);
        expect(read).toEqual([page(17), undefined, page(3)]);
        // Whatever it placed in the buffer sits at its index's place there.
        for (const [index, data] of read.entries()) {
          if (data?.buffer === into.buffer) expect(data.byteOffset).toBe(into.byteOffset + index * 4096);
        }
        read[0]!.fill(0);
        expect(hypervisor.readPage(domid, 17)).toEqual(page(17));
        expectXcError(() => hypervisor.readPages(domid, [3, 17], new Uint8Array(4096)), 'EINVAL');
      });

      it('keeps each domain\'s pages apart', () => {
        const hypervisor = fresh();
        const a = hypervisor.createDomain({ type: 'hvm' }).domid;
        const b = hypervisor.createDomain({ type: 'hvm' }).domid;
        hypervisor.writePage(a, 1, page(1));
        expect(hypervisor.readPage(b, 1)).toBeUndefined();
        expect(hypervisor.touchedPages(b)).toEqual([]);
      });

      it('rejects pages that are not exactly 4 KiB and bad frame numbers with EINVAL', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expectXcError(() => hypervisor.writePage(domid, 1, new Uint8Array(XC_PAGE_SIZE - 1)), 'EINVAL');
        expectXcError(() => hypervisor.writePage(domid, 1, new Uint8Array(XC_PAGE_SIZE + 1)), 'EINVAL');
        expectXcError(() => hypervisor.writePage(domid, -1, page(1)), 'EINVAL');
        expectXcError(() => hypervisor.readPage(domid, 0.5), 'EINVAL');
        expect(hypervisor.touchedPages(domid)).toEqual([]);
      });
    });

    describe("Xen's console ring", () => {
      const text = (output: { data: Uint8Array }) => new TextDecoder().decode(output.data);

      it('holds what the machine printed at boot, read from any offset on', () => {
        const hypervisor = fresh();
        const boot = hypervisor.readXenConsole(0, false);
        expect(boot.start).toBe(0);
        expect(text(boot)).toBe(xenBootLog());
        expect(text(boot)).toMatch(/^\(XEN\) Xen version 4\.17\.0 .*\n\(XEN\) Latest ChangeSet: /);
        const later = hypervisor.readXenConsole(6, false);
        expect(later.start).toBe(6);
        expect(text(later)).toBe(xenBootLog().slice(6));
        expect(hypervisor.readXenConsole(boot.data.length, false).data).toHaveLength(0);
        expectXcError(() => hypervisor.readXenConsole(-1, false), 'EINVAL');
      });

      it('with clear, leaves nothing of what it read; the offsets go on', () => {
        const hypervisor = fresh();
        const read = hypervisor.readXenConsole(0, true);
        expect(text(read)).toBe(xenBootLog());
        const after = hypervisor.readXenConsole(0, false);
        expect(after).toEqual({ start: read.data.length, data: new Uint8Array(0) });
      });
    });

    describe('credit2 scheduler parameters', () => {
      it('gives every domain, Domain-0 included, weight 256 and no cap', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expect(hypervisor.getSchedCredit2(0)).toEqual({ weight: 256, cap: 0 });
        expect(hypervisor.getSchedCredit2(domid)).toEqual({ weight: 256, cap: 0 });
      });

      it('sets weight and cap; a zero weight keeps the weight, a zero cap removes the cap', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'pv', vcpus: 2 });
        hypervisor.setSchedCredit2(domid, { weight: 512, cap: 150 });
        expect(hypervisor.getSchedCredit2(domid)).toEqual({ weight: 512, cap: 150 });
        hypervisor.setSchedCredit2(domid, { weight: 0, cap: 0 });
        expect(hypervisor.getSchedCredit2(domid)).toEqual({ weight: 512, cap: 0 });
        expect(hypervisor.getSchedCredit2(0)).toEqual({ weight: 256, cap: 0 });
      });

      it('refuses a cap above 100 per vCPU and values outside uint16 with EINVAL, changing nothing', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm', vcpus: 1 });
        hypervisor.setSchedCredit2(domid, { weight: 300, cap: 50 });
        expectXcError(() => hypervisor.setSchedCredit2(domid, { weight: 1, cap: 101 }), 'EINVAL');
        expectXcError(() => hypervisor.setSchedCredit2(domid, { weight: 65536, cap: 0 }), 'EINVAL');
        expectXcError(() => hypervisor.setSchedCredit2(domid, { weight: -1, cap: 0 }), 'EINVAL');
        expectXcError(() => hypervisor.setSchedCredit2(domid, { weight: 1.5, cap: 0 }), 'EINVAL');
        expectXcError(() => hypervisor.setSchedCredit2(9, { weight: 1, cap: 0 }), 'ESRCH');
        expectXcError(() => hypervisor.getSchedCredit2(9), 'ESRCH');
        expect(hypervisor.getSchedCredit2(domid)).toEqual({ weight: 300, cap: 50 });
      });

      it('forgets a destroyed domain\'s parameters: a new domain starts from the defaults', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.setSchedCredit2(domid, { weight: 1000, cap: 0 });
        hypervisor.destroyDomain(domid);
        const next = hypervisor.createDomain({ type: 'hvm' });
        expect(hypervisor.getSchedCredit2(next.domid)).toEqual({ weight: 256, cap: 0 });
      });
    });

    describe('pause, unpause and the guest model', () => {
      it('runs the model\'s boot on the first unpause, clearing the pending start before it runs', () => {
        const model = recordingModel(() => hypervisor);
        const hypervisor = fresh(model);
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.unpauseDomain(domid);
        expect(model.calls).toEqual([`boot ${domid}`]);
        expect(model.seen[0]).toMatchObject({ paused: false, pendingStart: null });
        hypervisor.pauseDomain(domid);
        expect(hypervisor.getDomain(domid)?.paused).toBe(true);
        hypervisor.unpauseDomain(domid);
        expect(model.calls).toEqual([`boot ${domid}`]);
        expect(hypervisor.getDomain(domid)).toMatchObject({ paused: false, pendingStart: null });
      });

      it('runs resume when a resume is pending', () => {
        const model = recordingModel(() => hypervisor);
        const hypervisor = fresh(model);
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.setPendingStart(domid, 'resume');
        expect(hypervisor.getDomain(domid)?.pendingStart).toBe('resume');
        hypervisor.unpauseDomain(domid);
        expect(model.calls).toEqual([`resume ${domid}`]);
      });

      it('clears a pending start on a machine made without a model, and runs nothing when none is pending', () => {
        const bare = fresh();
        const started = bare.createDomain({ type: 'hvm' }).domid;
        bare.unpauseDomain(started);
        expect(bare.getDomain(started)).toMatchObject({ paused: false, pendingStart: null });
        const model = recordingModel(() => hypervisor);
        const hypervisor = fresh(model);
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.setPendingStart(domid, null);
        hypervisor.unpauseDomain(domid);
        expect(model.calls).toEqual([]);
      });

      it('binds a model given as a function to the machine it is made for, once', () => {
        const made: Hypervisor[] = [];
        const hypervisor = fresh((self) => {
          made.push(self);
          return recordingModel(() => self);
        });
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.unpauseDomain(domid);
        hypervisor.raiseGpe(domid, 3);
        expect(made).toHaveLength(1);
        // The implementation itself, or what it hands its model (a handle on the same machine).
        expect(made[0]!.getDomain(domid)).toEqual(hypervisor.getDomain(domid));
      });

      it('refuses to unpause a running domain (EINVAL), as domain_unpause_by_systemcontroller does', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.unpauseDomain(domid);
        expectXcError(() => hypervisor.unpauseDomain(domid), 'EINVAL');
      });

      it('treats pause as a flag: one unpause undoes two pauses', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.pauseDomain(domid);
        hypervisor.pauseDomain(domid);
        hypervisor.unpauseDomain(domid);
        expect(hypervisor.getDomain(domid)?.paused).toBe(false);
      });

      it('runs nothing when a shut-down domain is unpaused, keeping its pending start', () => {
        const model = recordingModel(() => hypervisor);
        const hypervisor = fresh(model);
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.shutdownDomain(domid, 'suspend');
        hypervisor.unpauseDomain(domid);
        expect(model.calls).toEqual([]);
        expect(hypervisor.getDomain(domid)).toMatchObject({ paused: false, shutdown: 'suspend', pendingStart: 'boot' });
      });

      it('rejects a pending start other than boot, resume or null', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expectXcError(() => hypervisor.setPendingStart(domid, 'reboot' as 'boot'), 'EINVAL');
        expect(hypervisor.getDomain(domid)?.pendingStart).toBe('boot');
      });

      it('raises GPEs in running HVM/PVH domains only', () => {
        const model = recordingModel(() => hypervisor);
        const hypervisor = fresh(model);
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expectXcError(() => hypervisor.raiseGpe(domid, 1), 'EINVAL'); // paused
        hypervisor.unpauseDomain(domid);
        hypervisor.raiseGpe(domid, 1);
        expect(model.calls).toEqual([`boot ${domid}`, `gpe ${domid} 1`]);
        expectXcError(() => hypervisor.raiseGpe(domid, -1), 'EINVAL');
        expectXcError(() => hypervisor.raiseGpe(domid, 256), 'EINVAL');
        expectXcError(() => hypervisor.raiseGpe(0, 1), 'EINVAL'); // Domain-0 is PV: no ACPI here
        hypervisor.shutdownDomain(domid, 'poweroff');
        expectXcError(() => hypervisor.raiseGpe(domid, 1), 'EINVAL');
        expect(model.calls).toHaveLength(2);
      });

      it('charges the time the guest model works to the domain\'s CPU time, and nothing else', () => {
        /** Busy for at least `ms` of wall time (the model's work). */
        const busy = (ms: number): void => {
          const until = performance.now() + ms;
          while (performance.now() < until);
        };
        const hypervisor = fresh({ boot: () => busy(20), resume: () => busy(20), gpe: () => busy(20) });
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expect(hypervisor.getDomain(domid)!.cpuTimeNs).toBe(0);
        hypervisor.unpauseDomain(domid);
        const booted = hypervisor.getDomain(domid)!.cpuTimeNs;
        expect(booted).toBeGreaterThanOrEqual(20e6);
        busy(20); // idle: the guest does nothing, its CPU time stays
        expect(hypervisor.getDomain(domid)!.cpuTimeNs).toBe(booted);
        hypervisor.raiseGpe(domid, 5);
        const notified = hypervisor.getDomain(domid)!.cpuTimeNs;
        expect(notified).toBeGreaterThanOrEqual(booted + 20e6);
        hypervisor.pauseDomain(domid);
        busy(20); // paused: frozen
        expect(hypervisor.getDomain(domid)!.cpuTimeNs).toBe(notified);
        expect(hypervisor.getDomain(0)!.cpuTimeNs).toBeGreaterThanOrEqual(0);
        hypervisor.resetDomain(domid); // a reboot is a new domain to Xen
        expect(hypervisor.getDomain(domid)!.cpuTimeNs).toBe(0);
      });
    });

    describe('shutdown and reset', () => {
      it('records the first shutdown reason', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.unpauseDomain(domid);
        hypervisor.shutdownDomain(domid, 'reboot');
        hypervisor.shutdownDomain(domid, 'crash');
        expect(hypervisor.getDomain(domid)?.shutdown).toBe('reboot');
        expectXcError(() => hypervisor.shutdownDomain(domid, 'halt' as 'poweroff'), 'EINVAL');
      });

      it('resets a domain to power-on: params, memory and record cleared, boot pending, paused', () => {
        const hypervisor = fresh();
        const { domid, uuid } = hypervisor.createDomain({ type: 'hvm' });
        hypervisor.unpauseDomain(domid);
        hypervisor.writeParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001000n);
        hypervisor.writePage(domid, 0xfc001, page(9));
        hypervisor.setGuestRecord(domid, '{"genid":"x"}');
        hypervisor.shutdownDomain(domid, 'reboot');
        hypervisor.resetDomain(domid);
        expect(hypervisor.getDomain(domid)).toMatchObject({ domid, uuid, paused: true, shutdown: null, pendingStart: 'boot' });
        expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
        expect(hypervisor.touchedPages(domid)).toEqual([]);
        expect(hypervisor.getGuestRecord(domid)).toBeUndefined();
      });
    });

    describe('guest record', () => {
      it('keeps the model\'s JSON text with the domain', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expect(hypervisor.getGuestRecord(domid)).toBeUndefined();
        hypervisor.setGuestRecord(domid, '{"notifies":[1,2]}');
        expect(hypervisor.getGuestRecord(domid)).toBe('{"notifies":[1,2]}');
        expectXcError(() => hypervisor.setGuestRecord(domid, '{not json'), 'EINVAL');
        expect(hypervisor.getGuestRecord(domid)).toBe('{"notifies":[1,2]}');
      });
    });

    describe('triggers', () => {
      it('checks them as XEN_DOMCTL_sendtrigger and hands them to a running guest\'s model', () => {
        const calls: string[] = [];
        const hypervisor = fresh({ boot() {}, resume() {}, gpe() {}, trigger: (domid, trigger, vcpu) => void calls.push(`${domid} ${trigger} ${vcpu}`) });
        const hvm = hypervisor.createDomain({ type: 'hvm', vcpus: 2 }).domid;
        const pv = hypervisor.createDomain({ type: 'pv' }).domid;
        hypervisor.sendTrigger(hvm, 'power', 0); // paused: nothing runs, the trigger is lost
        hypervisor.unpauseDomain(hvm);
        hypervisor.unpauseDomain(pv);
        hypervisor.sendTrigger(hvm, 'nmi', 1);
        hypervisor.sendTrigger(hvm, 'power', 0);
        hypervisor.sendTrigger(hvm, 'sleep', 1);
        hypervisor.sendTrigger(pv, 'nmi', 0);
        expectXcError(() => hypervisor.sendTrigger(hvm, 'nmi', 2), 'ESRCH');
        expectXcError(() => hypervisor.sendTrigger(pv, 'power', 0), 'EINVAL');
        expectXcError(() => hypervisor.sendTrigger(hvm, 'reset', 0), 'ENOSYS');
        expectXcError(() => hypervisor.sendTrigger(hvm, 'init', 0), 'ENOSYS');
        expectXcError(() => hypervisor.sendTrigger(99, 'nmi', 0), 'ESRCH');
        hypervisor.shutdownDomain(hvm, 'poweroff');
        hypervisor.sendTrigger(hvm, 'nmi', 0);
        expect(calls).toEqual([`${hvm} nmi 1`, `${hvm} power 0`, `${hvm} sleep 1`, `${pv} nmi 0`]);
      });
    });

    describe('console output', () => {
      const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

      it('appends what the guest writes and reads it back from any offset, across a reset, gone with the domain', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        const other = hypervisor.createDomain({ type: 'hvm' }).domid;
        expect(hypervisor.readConsole(domid, 0)).toEqual({ start: 0, data: new Uint8Array(0) });
        hypervisor.appendConsole(domid, Buffer.from('boot\n'));
        hypervisor.appendConsole(domid, Buffer.from('notify\n'));
        expect(text(hypervisor.readConsole(domid, 0).data)).toBe('boot\nnotify\n');
        expect(hypervisor.readConsole(domid, 5)).toMatchObject({ start: 5 });
        expect(text(hypervisor.readConsole(domid, 5).data)).toBe('notify\n');
        expect(hypervisor.readConsole(domid, 99)).toEqual({ start: 99, data: new Uint8Array(0) });
        expect(hypervisor.readConsole(other, 0).data.length).toBe(0);
        hypervisor.resetDomain(domid);
        expect(text(hypervisor.readConsole(domid, 0).data)).toBe('boot\nnotify\n');
        hypervisor.destroyDomain(domid);
        expectXcError(() => hypervisor.readConsole(domid, 0), 'ESRCH');
        expectXcError(() => hypervisor.appendConsole(domid, Buffer.from('x')), 'ESRCH');
      });

      it('keeps only the last CONSOLE_LOG_LIMIT bytes, offsets still counting every byte', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'pv' });
        hypervisor.appendConsole(domid, new Uint8Array(CONSOLE_LOG_LIMIT).fill(0x61));
        hypervisor.appendConsole(domid, Buffer.from('tail'));
        const kept = hypervisor.readConsole(domid, 0);
        expect(kept.start).toBe(4);
        expect(kept.data.length).toBe(CONSOLE_LOG_LIMIT);
        expect(text(kept.data.subarray(-5))).toBe('atail');
        expect(text(hypervisor.readConsole(domid, CONSOLE_LOG_LIMIT).data)).toBe('tail');
      });

      it('rejects offsets that are no non-negative integer and output that is no byte array', () => {
        const hypervisor = fresh();
        const { domid } = hypervisor.createDomain({ type: 'hvm' });
        expectXcError(() => hypervisor.readConsole(domid, -1), 'EINVAL');
        expectXcError(() => hypervisor.readConsole(domid, 1.5), 'EINVAL');
        expectXcError(() => hypervisor.appendConsole(domid, 'text' as unknown as Uint8Array), 'EINVAL');
        expect(hypervisor.readConsole(domid, 0).data.length).toBe(0);
      });
    });

    if (reopen) {
      describe('persistence', () => {
        it('keeps domains, params, pages and records across a reopen', () => {
          const hypervisor = fresh();
          const { domid } = hypervisor.createDomain({ type: 'hvm' });
          hypervisor.writeParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, (1n << 64n) - 2n);
          hypervisor.writePage(domid, 0xfc001, page(4));
          hypervisor.setGuestRecord(domid, '{"k":true}');
          hypervisor.appendConsole(domid, Buffer.from('console'));
          hypervisor.unpauseDomain(domid);
          const again = reopen(hypervisor);
          made.push(again);
          expect(again.getDomain(domid)).toMatchObject({ type: 'hvm', paused: false, pendingStart: null });
          expect(again.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe((1n << 64n) - 2n);
          expect(again.readPage(domid, 0xfc001)).toEqual(page(4));
          expect(again.getGuestRecord(domid)).toBe('{"k":true}');
          expect(Buffer.from(again.readConsole(domid, 0).data).toString()).toBe('console');
          expect(again.createDomain({ type: 'hvm' }).domid).toBe(domid + 1);
        });
      });
    }
  });
}
