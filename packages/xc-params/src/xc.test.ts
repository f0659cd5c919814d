import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { XcError, XC_ERRNO } from './errors.ts';
import { DOMID_SELF, XC_PAGE_SIZE } from './hypervisor.ts';
import { MemoryHypervisor } from './memory-hypervisor.ts';
import {
  HVM_NR_PARAMS,
  HVM_PARAMS_DEPRECATED,
  HVM_PARAM_ALTP2M,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_IDENT_PT,
  HVM_PARAM_IOREQ_SERVER_PFN,
  HVM_PARAM_MCA_CAP,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_TIMER_MODE,
  HVM_PARAM_VIRIDIAN,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_X87_FIP_WIDTH,
} from './public/hvm-params.ts';
import { createXc, MAX_FOREIGN_MAP_PAGES, type XcInterface } from './xc.ts';

const UINT64_MAX = (1n << 64n) - 1n;

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return XcError.is(error) ? error.code : `not an XcError: ${String(error)}`;
  }
  return undefined;
}

/** 4.17's guest whitelists (hvm_allow_get_param / hvm_allow_set_param), by number. */
const GUEST_SET = [0, 2, 15, 18, 19, 34, 36, 37];
const GUEST_GET = [0, 1, 2, 15, 17, 18, 19, 34, 35, 36, 37];

let hypervisor: MemoryHypervisor;
let xc: XcInterface;
let hvm: number;
let pvh: number;
let pv: number;

beforeEach(() => {
  hypervisor = new MemoryHypervisor();
  xc = createXc(hypervisor);
  hvm = hypervisor.createDomain({ type: 'hvm' }).domid;
  pvh = hypervisor.createDomain({ type: 'pvh' }).domid;
  pv = hypervisor.createDomain({ type: 'pv' }).domid;
});

describe('createXc', () => {
  it('acts as Domain-0 by default, or as the given caller', () => {
    expect(xc.caller).toBe(0);
    expect(createXc(hypervisor, { caller: hvm }).caller).toBe(hvm);
  });

  it('rejects a caller that is not a domid_t, or DOMID_SELF', () => {
    expect(codeOf(() => createXc(hypervisor, { caller: -1 }))).toBe('EINVAL');
    expect(codeOf(() => createXc(hypervisor, { caller: 2.5 }))).toBe('EINVAL');
    expect(codeOf(() => createXc(hypervisor, { caller: DOMID_SELF }))).toBe('EINVAL');
  });
});

describe('hvmParamGet / hvmParamSet from Domain-0', () => {
  it('reads zero from a new domain and round-trips param 34', () => {
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001000n);
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
    expect(hypervisor.readParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
  });

  it('treats PVH as HVM (4.17: an HVM container)', () => {
    xc.hvmParamSet(pvh, HVM_PARAM_VM_GENERATION_ID_ADDR, UINT64_MAX);
    expect(xc.hvmParamGet(pvh, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(UINT64_MAX);
  });

  it('gets and sets every non-deprecated param of another domain', () => {
    for (let index = 0; index < HVM_NR_PARAMS; index += 1) {
      if (HVM_PARAMS_DEPRECATED.includes(index)) continue;
      expect(xc.hvmParamGet(hvm, index)).toBe(0n);
      xc.hvmParamSet(hvm, index, index === HVM_PARAM_X87_FIP_WIDTH ? 8n : 1n);
    }
  });

  it('checks the index first: EINVAL even for an unknown or PV domain', () => {
    for (const index of [HVM_NR_PARAMS, 39, 1000, -1, 0.5, Number.NaN]) {
      expect(codeOf(() => xc.hvmParamGet(hvm, index))).toBe('EINVAL');
      expect(codeOf(() => xc.hvmParamGet(999, index))).toBe('EINVAL');
      expect(codeOf(() => xc.hvmParamSet(999, index, 1n))).toBe('EINVAL');
      expect(codeOf(() => xc.hvmParamSet(pv, index, 1n))).toBe('EINVAL');
    }
  });

  it('answers ESRCH for a domain that does not exist', () => {
    expect(codeOf(() => xc.hvmParamGet(999, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('ESRCH');
    expect(codeOf(() => xc.hvmParamSet(999, HVM_PARAM_VM_GENERATION_ID_ADDR, 1n))).toBe('ESRCH');
    hypervisor.destroyDomain(hvm);
    expect(codeOf(() => xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('ESRCH');
  });

  it('answers EINVAL for PV domains, Domain-0 included (also through DOMID_SELF)', () => {
    expect(codeOf(() => xc.hvmParamGet(pv, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('EINVAL');
    expect(codeOf(() => xc.hvmParamSet(pv, HVM_PARAM_VM_GENERATION_ID_ADDR, 1n))).toBe('EINVAL');
    expect(codeOf(() => xc.hvmParamGet(0, HVM_PARAM_CALLBACK_IRQ))).toBe('EINVAL');
    expect(codeOf(() => xc.hvmParamGet(DOMID_SELF, HVM_PARAM_CALLBACK_IRQ))).toBe('EINVAL');
    expect(hypervisor.readParam(pv, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('rejects values outside uint64 with EINVAL and stores nothing', () => {
    for (const value of [-1n, 1n << 64n, -(1n << 63n), UINT64_MAX + 1n]) {
      expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, value))).toBe('EINVAL');
    }
    expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 5 as unknown as bigint))).toBe('EINVAL');
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('rejects a domid that is not a domid_t with EINVAL', () => {
    expect(codeOf(() => xc.hvmParamGet(-1, 0))).toBe('EINVAL');
    expect(codeOf(() => xc.hvmParamGet(0x10000, 0))).toBe('EINVAL');
  });

  it('answers EOPNOTSUPP for every deprecated param, get and set', () => {
    expect(HVM_PARAMS_DEPRECATED).toEqual([4, 13, 20, 21, 22, 23, 24, 25, 26, 30]);
    for (const index of HVM_PARAMS_DEPRECATED) {
      expect(codeOf(() => xc.hvmParamGet(hvm, index))).toBe('EOPNOTSUPP');
      expect(codeOf(() => xc.hvmParamSet(hvm, index, 1n))).toBe('EOPNOTSUPP');
      expect(hypervisor.readParam(hvm, index)).toBe(0n);
    }
  });

  it('lets a "change once" param be set while zero, re-set to its value or zero-to-zero, else EEXIST', () => {
    for (const index of [HVM_PARAM_VIRIDIAN, 5, 6, HVM_PARAM_IOREQ_SERVER_PFN, 33, HVM_PARAM_ALTP2M, HVM_PARAM_MCA_CAP]) {
      xc.hvmParamSet(hvm, index, 0n);
      xc.hvmParamSet(hvm, index, 1n);
      xc.hvmParamSet(hvm, index, 1n);
      expect(codeOf(() => xc.hvmParamSet(hvm, index, 0n))).toBe('EEXIST');
      if (index !== HVM_PARAM_MCA_CAP) expect(codeOf(() => xc.hvmParamSet(hvm, index, 2n))).toBe('EEXIST');
      expect(xc.hvmParamGet(hvm, index)).toBe(1n);
    }
  });

  it('lets other params change freely, param 34 included', () => {
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 1n);
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 2n);
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 0n);
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('checks the values hvm_set_param interprets', () => {
    expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_TIMER_MODE, 4n))).toBe('EINVAL');
    xc.hvmParamSet(hvm, HVM_PARAM_TIMER_MODE, 3n);
    expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_ALTP2M, 4n))).toBe('EINVAL');
    expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_X87_FIP_WIDTH, 2n))).toBe('EINVAL');
    for (const width of [0n, 4n, 8n]) xc.hvmParamSet(hvm, HVM_PARAM_X87_FIP_WIDTH, width);
    expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_MCA_CAP, 2n))).toBe('EINVAL');
    expect(xc.hvmParamGet(hvm, HVM_PARAM_ALTP2M)).toBe(0n);
    expect(xc.hvmParamGet(hvm, HVM_PARAM_MCA_CAP)).toBe(0n);
  });
});

describe('a guest acting on itself (firmware)', () => {
  let guest: XcInterface;
  beforeEach(() => {
    guest = createXc(hypervisor, { caller: hvm });
  });

  it('sets and gets param 34 through DOMID_SELF and through its own domid', () => {
    guest.hvmParamSet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001000n);
    expect(guest.hvmParamGet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
    expect(guest.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xfc001000n);
  });

  it('may set exactly 4.17\'s set whitelist and get exactly its get whitelist; EPERM elsewhere', () => {
    for (let index = 0; index < HVM_NR_PARAMS; index += 1) {
      const deprecated = HVM_PARAMS_DEPRECATED.includes(index);
      const getCode = codeOf(() => guest.hvmParamGet(DOMID_SELF, index));
      const value = index === HVM_PARAM_X87_FIP_WIDTH ? 4n : 1n;
      const setCode = codeOf(() => guest.hvmParamSet(DOMID_SELF, index, value));
      expect([index, getCode]).toEqual([index, deprecated ? 'EOPNOTSUPP' : GUEST_GET.includes(index) ? undefined : 'EPERM']);
      expect([index, setCode]).toEqual([index, deprecated ? 'EOPNOTSUPP' : GUEST_SET.includes(index) ? undefined : 'EPERM']);
    }
    expect(hypervisor.readParam(hvm, HVM_PARAM_IDENT_PT)).toBe(0n);
    expect(hypervisor.readParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(1n);
  });

  it('may read STORE_PFN the toolstack set, but not set it', () => {
    xc.hvmParamSet(hvm, HVM_PARAM_STORE_PFN, 0xfeffcn);
    expect(guest.hvmParamGet(DOMID_SELF, HVM_PARAM_STORE_PFN)).toBe(0xfeffcn);
    expect(codeOf(() => guest.hvmParamSet(DOMID_SELF, HVM_PARAM_STORE_PFN, 1n))).toBe('EPERM');
    expect(xc.hvmParamGet(hvm, HVM_PARAM_STORE_PFN)).toBe(0xfeffcn);
  });

  it('gets EPERM acting on any other domain (XSM_TARGET), even for whitelisted params', () => {
    expect(codeOf(() => guest.hvmParamGet(pvh, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('EPERM');
    expect(codeOf(() => guest.hvmParamSet(pvh, HVM_PARAM_VM_GENERATION_ID_ADDR, 1n))).toBe('EPERM');
    expect(codeOf(() => guest.hvmParamGet(pvh, 4))).toBe('EPERM');
    expect(hypervisor.readParam(pvh, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0n);
  });

  it('still gets EINVAL for a bad index and ESRCH for a missing domain before EPERM', () => {
    expect(codeOf(() => guest.hvmParamGet(pvh, HVM_NR_PARAMS))).toBe('EINVAL');
    expect(codeOf(() => guest.hvmParamGet(999, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('ESRCH');
    expect(codeOf(() => guest.hvmParamGet(pv, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('EINVAL');
  });

  it('cannot map foreign memory (EPERM)', () => {
    expect(codeOf(() => guest.mapForeignRange(DOMID_SELF, 0, 1))).toBe('EPERM');
    expect(codeOf(() => guest.mapForeignRange(pvh, 0, 1))).toBe('EPERM');
  });

  it('answers ESRCH for DOMID_SELF once its own domain is gone', () => {
    hypervisor.destroyDomain(hvm);
    expect(codeOf(() => guest.hvmParamGet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('ESRCH');
  });

  it('works the same for a PVH guest', () => {
    const pvhGuest = createXc(hypervisor, { caller: pvh });
    pvhGuest.hvmParamSet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, 0x1000n);
    expect(pvhGuest.hvmParamGet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0x1000n);
    expect(codeOf(() => pvhGuest.hvmParamGet(DOMID_SELF, HVM_PARAM_IDENT_PT))).toBe('EPERM');
  });
});

describe('deprecated getHvmParam / setHvmParam (unsigned long)', () => {
  it('behave as the 64-bit calls with a 64-bit unsigned long (the default)', () => {
    xc.setHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, UINT64_MAX);
    expect(xc.getHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(UINT64_MAX);
    expect(xc.getHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, { longBits: 64 })).toBe(UINT64_MAX);
  });

  it('truncate on get with a 32-bit unsigned long, as a 32-bit toolstack stores it', () => {
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 0x1_2345_6789n);
    expect(xc.getHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, { longBits: 32 })).toBe(0x2345_6789n);
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0x1_2345_6789n);
  });

  it('refuse on set a value a 32-bit unsigned long cannot hold (EINVAL), storing nothing', () => {
    expect(codeOf(() => xc.setHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 1n << 32n, { longBits: 32 }))).toBe('EINVAL');
    xc.setHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xffff_ffffn, { longBits: 32 });
    expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(0xffff_ffffn);
  });

  it('pass the hypervisor errors through, index first', () => {
    expect(codeOf(() => xc.getHvmParam(999, HVM_PARAM_VM_GENERATION_ID_ADDR))).toBe('ESRCH');
    expect(codeOf(() => xc.getHvmParam(999, HVM_NR_PARAMS, { longBits: 32 }))).toBe('EINVAL');
    expect(codeOf(() => xc.setHvmParam(999, HVM_NR_PARAMS, 1n << 40n, { longBits: 32 }))).toBe('EINVAL');
    expect(codeOf(() => xc.setHvmParam(pv, HVM_PARAM_VM_GENERATION_ID_ADDR, 1n))).toBe('EINVAL');
    expect(codeOf(() => createXc(hypervisor, { caller: hvm }).getHvmParam(DOMID_SELF, HVM_PARAM_IDENT_PT))).toBe('EPERM');
  });

  it('reject a width other than 32 or 64', () => {
    expect(codeOf(() => xc.getHvmParam(hvm, 34, { longBits: 16 as 32 }))).toBe('EINVAL');
  });
});

describe('tryHvmParamGet (rc-style)', () => {
  it('returns rc 0 and the value on success', () => {
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 42n);
    expect(xc.tryHvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toEqual({ rc: 0, errno: 0, value: 42n });
  });

  it('returns rc -1, the errno and a zero value on failure', () => {
    expect(xc.tryHvmParamGet(999, HVM_PARAM_VM_GENERATION_ID_ADDR)).toEqual({ rc: -1, errno: XC_ERRNO.ESRCH, value: 0n });
    expect(xc.tryHvmParamGet(pv, HVM_PARAM_VM_GENERATION_ID_ADDR)).toEqual({ rc: -1, errno: XC_ERRNO.EINVAL, value: 0n });
  });
});

describe('mapForeignRange', () => {
  it('maps pages of a guest; writes reach guest memory on unmap', () => {
    hypervisor.writePage(hvm, 0xfc001, new Uint8Array(XC_PAGE_SIZE).fill(1));
    const mapping = xc.mapForeignRange(hvm, 0xfc000, 2);
    expect(mapping.pfn).toBe(0xfc000);
    expect(mapping.pages).toBe(2);
    expect(mapping.bytes.length).toBe(2 * XC_PAGE_SIZE);
    expect(mapping.bytes[0]).toBe(0);
    expect(mapping.bytes[XC_PAGE_SIZE]).toBe(1);
    mapping.bytes.set([0xde, 0xad], XC_PAGE_SIZE + 0x10);
    expect(hypervisor.readPage(hvm, 0xfc001)?.[0x10]).toBe(1);
    mapping.unmap();
    const page = hypervisor.readPage(hvm, 0xfc001);
    expect([page?.[0x0f], page?.[0x10], page?.[0x11], page?.[0x12]]).toEqual([1, 0xde, 0xad, 1]);
    expect(hypervisor.touchedPages(hvm)).toEqual([0xfc001]); // the untouched page stays sparse
  });

  it('writes back on dispose (using) and only once', () => {
    {
      using mapping = xc.mapForeignRange(hvm, 7, 1);
      mapping.bytes[5] = 9;
    }
    expect(hypervisor.readPage(hvm, 7)?.[5]).toBe(9);
    const mapping = xc.mapForeignRange(hvm, 7, 1);
    mapping.unmap();
    mapping.bytes[5] = 1;
    mapping.unmap();
    expect(hypervisor.readPage(hvm, 7)?.[5]).toBe(9);
  });

  it('merges only the bytes it changed, keeping what the guest wrote meanwhile', () => {
    const mapping = xc.mapForeignRange(hvm, 3, 1);
    mapping.bytes[0] = 0xaa;
    const guestPage = new Uint8Array(XC_PAGE_SIZE);
    guestPage[100] = 0x55;
    hypervisor.writePage(hvm, 3, guestPage);
    mapping.unmap();
    const page = hypervisor.readPage(hvm, 3);
    expect([page?.[0], page?.[100]]).toEqual([0xaa, 0x55]);
  });

  it('drops the writes of a mapping whose domain was destroyed', () => {
    const mapping = xc.mapForeignRange(hvm, 3, 1);
    mapping.bytes[0] = 1;
    hypervisor.destroyDomain(hvm);
    expect(() => mapping.unmap()).not.toThrow();
  });

  it('answers ESRCH for an unknown domain and EINVAL for bad ranges', () => {
    expect(codeOf(() => xc.mapForeignRange(999, 0, 1))).toBe('ESRCH');
    expect(codeOf(() => xc.mapForeignRange(hvm, -1, 1))).toBe('EINVAL');
    expect(codeOf(() => xc.mapForeignRange(hvm, 0, 0))).toBe('EINVAL');
    expect(codeOf(() => xc.mapForeignRange(hvm, 0, 1.5))).toBe('EINVAL');
    expect(codeOf(() => xc.mapForeignRange(hvm, 0, MAX_FOREIGN_MAP_PAGES + 1))).toBe('EINVAL');
    expect(codeOf(() => xc.mapForeignRange(hvm, Number.MAX_SAFE_INTEGER, 2))).toBe('EINVAL');
  });
});

describe('properties', () => {
  it('round-trips every uint64 through hvmParamSet / hvmParamGet, for the toolstack and the guest', () => {
    const guest = createXc(hypervisor, { caller: hvm });
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.constantFrom(...GUEST_SET.filter((index) => index !== HVM_PARAM_X87_FIP_WIDTH)), (value, index) => {
        xc.hvmParamSet(hvm, index, value);
        expect(xc.hvmParamGet(hvm, index)).toBe(value);
        guest.hvmParamSet(DOMID_SELF, index, value);
        expect(guest.hvmParamGet(DOMID_SELF, index)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every bigint outside uint64 and keeps the stored value', () => {
    xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, 7n);
    const outside = fc.oneof(fc.bigInt({ max: -1n }), fc.bigInt({ min: UINT64_MAX + 1n }));
    fc.assert(
      fc.property(outside, (value) => {
        expect(codeOf(() => xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, value))).toBe('EINVAL');
        expect(xc.hvmParamGet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(7n);
      }),
      { numRuns: 1000 },
    );
  });

  it('truncates to the low 32 bits on a 32-bit get, and keeps all 64 on a 64-bit get', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: UINT64_MAX }), (value) => {
        xc.hvmParamSet(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, value);
        const low = xc.getHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, { longBits: 32 });
        expect(low).toBe(BigInt.asUintN(32, value));
        expect(low <= 0xffff_ffffn).toBe(true);
        expect(xc.getHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips every value a 32-bit unsigned long holds through the deprecated calls', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffffn }), (value) => {
        xc.setHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, value, { longBits: 32 });
        expect(xc.getHvmParam(hvm, HVM_PARAM_VM_GENERATION_ID_ADDR, { longBits: 32 })).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });
});
