/**
 * Test domains for the stream tests: an HVM domain on an in-memory hypervisor whose memory looks
 * like a guest after hvmloader ran (RAM pages with content, the ACPI info page, the 16-byte ID at
 * HVM param 34's address), with its libxl JSON config.
 */
import {
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  MemoryHypervisor,
  XC_PAGE_SIZE,
  createGuestMemory,
} from '@xen-genid/xc-params';

/** Where hvmloader's allocator puts the ID in our simulated layout (above ACPI_MEMORY_DYNAMIC_START). */
export const GENID_ADDRESS = 0xfc001040n;

export interface GuestDomainOptions {
  readonly pages?: number;
  /** The ID placed in memory and in the config; all-zero or undefined = no ID. */
  readonly genid?: Uint8Array;
  readonly hypervisor?: MemoryHypervisor;
  readonly seed?: number;
}

export interface GuestDomain {
  readonly hypervisor: MemoryHypervisor;
  readonly domid: number;
  readonly configJson: string;
}

/** A libxl JSON config as `libxl_domain_config_to_json` shapes it (the parts we read). */
export function configJsonFor(name: string, genid: Uint8Array | undefined): string {
  const hvm: Record<string, unknown> = {};
  if (genid && genid.some((byte) => byte !== 0)) hvm.ms_vm_genid = [...genid];
  return JSON.stringify({ c_info: { type: 'hvm', name }, b_info: { max_memkb: 65536, 'type.hvm': hvm } }, null, 4);
}

export function makeGuestDomain(options: GuestDomainOptions = {}): GuestDomain {
  const hypervisor = options.hypervisor ?? new MemoryHypervisor({ now: () => 1_700_000_000_000 });
  const info = hypervisor.createDomain({ type: 'hvm', maxMemKb: 65536 });
  const pages = options.pages ?? 40;
  let state = options.seed ?? 7;
  for (let pfn = 0; pfn < pages; pfn++) {
    const page = new Uint8Array(XC_PAGE_SIZE);
    for (let i = 0; i < page.length; i += 4) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      page[i] = state & 0xff;
      page[i + 1] = (state >>> 8) & 0xff;
    }
    hypervisor.writePage(info.domid, pfn * 3, page); // sparse: touched pages are not contiguous
  }
  hypervisor.writeParam(info.domid, HVM_PARAM_STORE_PFN, 0xfeffcn);
  const memory = createGuestMemory(hypervisor, info.domid);
  memory.write(0xfc000000n, Uint8Array.from([1, 2, 3, 4])); // the acpi_info page
  const genid = options.genid;
  if (genid && genid.some((byte) => byte !== 0)) {
    memory.write(GENID_ADDRESS, genid);
    hypervisor.writeParam(info.domid, HVM_PARAM_VM_GENERATION_ID_ADDR, GENID_ADDRESS);
  }
  return { hypervisor, domid: info.domid, configJson: configJsonFor(`guest${info.domid}`, genid) };
}

export function concatChunks(chunks: Iterable<Uint8Array>): Uint8Array {
  return Buffer.concat([...chunks]);
}

export const SAMPLE_GENID = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10]);
