import { describe, expect, it } from 'vitest';
import { XcError } from './errors.ts';
import { DOMID_FIRST_RESERVED, DOMID_SELF } from './hypervisor.ts';
import { MemoryHypervisor } from './memory-hypervisor.ts';
import { HVM_PARAM_VM_GENERATION_ID_ADDR } from './public/hvm-params.ts';
import { createXc } from './xc.ts';
import { describeHypervisorConformance } from './testing/index.ts';

describeHypervisorConformance('MemoryHypervisor', (guestModel) => new MemoryHypervisor(guestModel ? { guestModel } : {}));

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return XcError.is(error) ? error.code : `not an XcError: ${String(error)}`;
  }
  return undefined;
}

describe('MemoryHypervisor specifics', () => {
  it('wraps domids below DOMID_FIRST_RESERVED back to 1, skipping live ones, then runs out with ENOMEM', () => {
    const hypervisor = new MemoryHypervisor();
    const usable = DOMID_FIRST_RESERVED - 1;
    for (let index = 1; index <= usable; index += 1) hypervisor.createDomain({ type: 'pv', uuid: '00000000-0000-0000-0000-000000000001' });
    expect(hypervisor.getDomain(usable)?.domid).toBe(usable);
    expect(codeOf(() => hypervisor.createDomain({ type: 'hvm' }))).toBe('ENOMEM');
    hypervisor.destroyDomain(5);
    hypervisor.destroyDomain(3);
    // The rover sits at the top: the next search wraps and takes the lowest free domid after it.
    expect(hypervisor.createDomain({ type: 'hvm' }).domid).toBe(3);
    expect(hypervisor.createDomain({ type: 'hvm' }).domid).toBe(5);
    expect(codeOf(() => hypervisor.createDomain({ type: 'hvm' }))).toBe('ENOMEM');
  });

  it('stamps createdAt from the injected clock', () => {
    const hypervisor = new MemoryHypervisor({ now: () => 1234 });
    expect(hypervisor.getDomain(0)?.createdAt).toBe(1234);
    expect(hypervisor.createDomain({ type: 'hvm' }).createdAt).toBe(1234);
  });

  it('returns frozen snapshots of domain info', () => {
    const hypervisor = new MemoryHypervisor();
    const domain = hypervisor.createDomain({ type: 'hvm' });
    expect(Object.isFrozen(domain)).toBe(true);
    hypervisor.unpauseDomain(domain.domid);
    expect(domain.paused).toBe(true);
    expect(hypervisor.getDomain(domain.domid)?.paused).toBe(false);
  });

  it('rejects non-integer and out-of-range domids with EINVAL', () => {
    const hypervisor = new MemoryHypervisor();
    expect(codeOf(() => hypervisor.readParam(-1, 0))).toBe('EINVAL');
    expect(codeOf(() => hypervisor.readParam(1.5, 0))).toBe('EINVAL');
    expect(codeOf(() => hypervisor.readParam(0x10000, 0))).toBe('EINVAL');
  });

  it('lets a model that throws leave the domain running with its start consumed', () => {
    const hypervisor = new MemoryHypervisor({
      guestModel: {
        boot() {
          throw new Error('firmware crashed');
        },
        resume() {},
        gpe() {},
      },
    });
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    expect(() => hypervisor.unpauseDomain(domid)).toThrow('firmware crashed');
    expect(hypervisor.getDomain(domid)).toMatchObject({ paused: false, pendingStart: null });
  });

  it('lets the guest model act as the guest while unpause runs it (firmware sets param 34 on itself)', () => {
    const hypervisor = new MemoryHypervisor({
      guestModel: (self) => ({
        boot(domid) {
          createXc(self, { caller: domid }).hvmParamSet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001000n);
        },
        resume() {},
        gpe() {},
      }),
    });
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    expect(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
    hypervisor.unpauseDomain(domid);
    expect(createXc(hypervisor).hvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
  });
});
