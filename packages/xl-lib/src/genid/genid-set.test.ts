import { HVM_PARAM_VM_GENERATION_ID_ADDR, MemoryHypervisor, createXc } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { describe, expect, it } from 'vitest';
import { MsVmGenid } from './ms-vm-genid.ts';
import { generationIdPath, msVmGenidSet } from './genid-set.ts';

function setup() {
  const hypervisor = new MemoryHypervisor();
  const domid = hypervisor.createDomain({ type: 'hvm' }).domid;
  const store = createMemoryStore();
  const xs = store.connect(0);
  const xc = createXc(hypervisor);
  return { hypervisor, domid, xs, xc };
}

const genid = MsVmGenid.fromHex('0102030405060708090a0b0c0d0e0f10');

describe('msVmGenidSet (libxl__ms_vm_genid_set)', () => {
  it('on a new domain (param 34 still 0) writes only the xenstore key, lo:hi in unsigned decimal', () => {
    const { hypervisor, domid, xs, xc } = setup();
    expect(msVmGenidSet({ xs, xc }, domid, genid)).toEqual({ address: 0n, wroteMemory: false });
    expect(xs.readString(`/local/domain/${domid}/platform/generation-id`)).toBe('578437695752307201:1157159078456920585');
    expect(hypervisor.touchedPages(domid)).toEqual([]);
  });

  it('when param 34 is set writes the 16 bytes at that address and nothing else', () => {
    const { hypervisor, domid, xs, xc } = setup();
    const page = new Uint8Array(4096).fill(0xee);
    hypervisor.writePage(domid, 0xfc001, page);
    hypervisor.writeParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001ff0n);
    expect(msVmGenidSet({ xs, xc }, domid, genid)).toEqual({ address: 0xfc001ff0n, wroteMemory: true });
    const after = hypervisor.readPage(domid, 0xfc001)!;
    expect(MsVmGenid.fromBytes(after.subarray(0xff0, 0x1000)).equals(genid)).toBe(true);
    expect(after.subarray(0, 0xff0).every((byte) => byte === 0xee)).toBe(true);
  });

  it('refuses an address whose 16 bytes would leave the page', () => {
    const { hypervisor, domid, xs, xc } = setup();
    hypervisor.writeParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001ff8n);
    expect(() => msVmGenidSet({ xs, xc }, domid, genid)).toThrow(expect.objectContaining({ code: 'FAIL', message: expect.stringContaining('page boundary') }));
  });

  it('a failed xenstore write is ERROR_FAIL naming the path', () => {
    const { domid, xc } = setup();
    const store = createMemoryStore();
    const guest = store.connect(5);
    expect(() => msVmGenidSet({ xs: guest, xc }, domid, genid)).toThrow(generationIdPath(domid));
  });

  it('ignores a failing param read, as libxl ignores xc_hvm_param_get\'s rc', () => {
    const { xs, xc } = setup();
    expect(msVmGenidSet({ xs, xc }, 77, genid)).toEqual({ address: 0n, wroteMemory: false });
  });
});
