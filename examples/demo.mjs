// The VM Generation ID's hand-over through HVM param 34, on an in-memory simulated hypervisor:
// hvmloader (inside the guest) publishes where the ID lives; libxl (in Domain-0) finds the address
// through the param and writes the 16 bytes into guest memory. Nothing is kept between runs.
// Run with `pnpm run demo:param34` after `pnpm build`.
import { randomBytes } from 'node:crypto';
import {
  createGuestMemory,
  createXc,
  DOMID_SELF,
  HVM_PARAM_IDENT_PT,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  MemoryHypervisor,
  XC_PAGE_SHIFT,
  XC_PAGE_SIZE,
  XcError,
} from '../packages/xc-params/dist/index.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const address = (value) => `0x${value.toString(16)}`;

// hvmloader, running in the guest, acts on itself (DOMID_SELF) with the guest's own powers: the
// software the hypervisor runs when the domain is first unpaused, bound when the hypervisor is made.
const hypervisor = new MemoryHypervisor({
  guestModel: (self) => ({
    boot(bootedDomid) {
      const firmware = createXc(self, { caller: bootedDomid });
      const bufferAddress = 0xfc001000n; // where libacpi's allocator would put the 16-byte buffer
      firmware.hvmParamSet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, bufferAddress);
      console.log(`hvmloader in domain ${bootedDomid}: set HVM_PARAM_VM_GENERATION_ID_ADDR (34) = ${address(bufferAddress)}`);
      try {
        firmware.hvmParamSet(DOMID_SELF, HVM_PARAM_IDENT_PT, 1n);
      } catch (error) {
        if (!XcError.is(error)) throw error;
        console.log(`hvmloader in domain ${bootedDomid}: setting HVM_PARAM_IDENT_PT on itself is refused: ${error.code} (${error.message})`);
      }
    },
    resume() {},
    gpe() {},
  }),
});
const domain = hypervisor.createDomain({ type: 'hvm' });
const { domid } = domain;
console.log(`created HVM domain ${domid} (uuid ${domain.uuid}), paused, param 34 = ${hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR)}`);

hypervisor.unpauseDomain(domid);

// libxl, in Domain-0: libxl__ms_vm_genid_set's second half.
const xc = createXc(hypervisor);
const genid = randomBytes(16);
const paddr = xc.hvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
console.log(`libxl in Domain-0: read param 34 of domain ${domid} = ${address(paddr)}`);
const pfn = Number(paddr >> BigInt(XC_PAGE_SHIFT));
const offset = Number(paddr & BigInt(XC_PAGE_SIZE - 1));
const mapping = xc.mapForeignRange(domid, pfn, 1);
mapping.bytes.set(genid, offset);
mapping.unmap();
console.log(`libxl in Domain-0: mapped frame ${address(BigInt(pfn))}, wrote generation ID ${hex(genid)} at offset ${address(BigInt(offset))}`);
const low = genid.readBigUInt64LE(0);
const high = genid.readBigUInt64LE(8);
console.log(`libxl in Domain-0: the xenstore form (~/platform/generation-id) is "${low}:${high}"`);

// What the guest now finds at that address.
const seen = createGuestMemory(hypervisor, domid).read(paddr, 16);
console.log(`guest memory of domain ${domid} at ${address(paddr)}: ${hex(seen)}`);
if (hex(seen) !== hex(genid)) {
  console.error('the guest does not see the generation ID libxl wrote');
  process.exit(1);
}
hypervisor.destroyDomain(domid);
console.log(`destroyed domain ${domid}; the guest saw the same 16 bytes libxl wrote.`);
