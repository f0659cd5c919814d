/**
 * The X86_CPUID_POLICY and X86_MSR_POLICY records: the domain's CPU policy serialised as
 * `xen_cpuid_leaf_t { u32 leaf, subleaf, a, b, c, d; }` and `xen_msr_entry_t { u32 idx, flags; u64 val; }`
 * arrays (`xen/include/public/arch-x86/xen.h`), written by `write_x86_cpu_policy_records`
 * (`tools/libs/guest/xg_sr_common_x86.c`) before STATIC_DATA_END; 4.17's `x86_msr_copy_to_buffer`
 * (`xen/lib/x86/msr.c`) serialises exactly two MSRs, PLATFORM_INFO then ARCH_CAPABILITIES.
 *
 * The simulated hypervisor has no real CPU: every domain gets the fixed policy below (a
 * Skylake-class Intel part seen by an HVM guest), so the records have 4.17's shape and plausible values.
 */
import { XlError } from '../errors.ts';
import { CPUID_LEAF_SIZE, MSR_ENTRY_SIZE } from './format.ts';

export interface CpuidLeaf {
  readonly leaf: number;
  readonly subleaf: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

export interface MsrEntry {
  readonly index: number;
  readonly flags: number;
  readonly value: bigint;
}

/** `XEN_CPUID_NO_SUBLEAF`. */
export const XEN_CPUID_NO_SUBLEAF = 0xffffffff;
export const MSR_INTEL_PLATFORM_INFO = 0x000000ce;
export const MSR_ARCH_CAPABILITIES = 0x0000010a;

const N = XEN_CPUID_NO_SUBLEAF;
/** The simulated domain CPUID policy, in `x86_cpuid_copy_to_buffer` order (basic, then extended). */
export const SIMULATED_CPUID_POLICY: readonly CpuidLeaf[] = [
  { leaf: 0x0, subleaf: N, a: 0x0000000d, b: 0x756e6547, c: 0x6c65746e, d: 0x49656e69 }, // "GenuineIntel"
  { leaf: 0x1, subleaf: N, a: 0x000906ea, b: 0x00010800, c: 0xf6fa3203, d: 0x178bfbff },
  { leaf: 0x2, subleaf: N, a: 0x00000001, b: 0, c: 0, d: 0 },
  { leaf: 0x4, subleaf: 0, a: 0x00000121, b: 0x01c0003f, c: 0x0000003f, d: 0 },
  { leaf: 0x4, subleaf: 1, a: 0x00000122, b: 0x01c0003f, c: 0x0000003f, d: 0 },
  { leaf: 0x4, subleaf: 2, a: 0x00000143, b: 0x00c0003f, c: 0x000003ff, d: 0 },
  { leaf: 0x4, subleaf: 3, a: 0x00000163, b: 0x03c0003f, c: 0x00002fff, d: 0x00000006 },
  { leaf: 0x7, subleaf: 0, a: 0x00000000, b: 0x009c07ab, c: 0x00000004, d: 0xbc000400 },
  { leaf: 0xd, subleaf: 0, a: 0x00000007, b: 0x00000340, c: 0x00000340, d: 0 },
  { leaf: 0xd, subleaf: 1, a: 0x00000001, b: 0, c: 0, d: 0 },
  { leaf: 0xd, subleaf: 2, a: 0x00000100, b: 0x00000240, c: 0, d: 0 },
  { leaf: 0x80000000, subleaf: N, a: 0x80000008, b: 0, c: 0, d: 0 },
  { leaf: 0x80000001, subleaf: N, a: 0, b: 0, c: 0x00000121, d: 0x28100800 },
  { leaf: 0x80000007, subleaf: N, a: 0, b: 0, c: 0, d: 0x00000100 },
  { leaf: 0x80000008, subleaf: N, a: 0x00003027, b: 0, c: 0, d: 0 },
];

/** PLATFORM_INFO (CPUID faulting available, bit 31) and ARCH_CAPABILITIES (none). */
export const SIMULATED_MSR_POLICY: readonly MsrEntry[] = [
  { index: MSR_INTEL_PLATFORM_INFO, flags: 0, value: 0x80000000n },
  { index: MSR_ARCH_CAPABILITIES, flags: 0, value: 0n },
];

export function encodeCpuidPolicy(leaves: readonly CpuidLeaf[]): Uint8Array {
  const bytes = new Uint8Array(leaves.length * CPUID_LEAF_SIZE);
  const view = new DataView(bytes.buffer);
  leaves.forEach((entry, i) => {
    const at = i * CPUID_LEAF_SIZE;
    [entry.leaf, entry.subleaf, entry.a, entry.b, entry.c, entry.d].forEach((word, w) =>
      view.setUint32(at + w * 4, word >>> 0, true),
    );
  });
  return bytes;
}

export function encodeMsrPolicy(entries: readonly MsrEntry[]): Uint8Array {
  const bytes = new Uint8Array(entries.length * MSR_ENTRY_SIZE);
  const view = new DataView(bytes.buffer);
  entries.forEach((entry, i) => {
    const at = i * MSR_ENTRY_SIZE;
    view.setUint32(at, entry.index >>> 0, true);
    view.setUint32(at + 4, entry.flags >>> 0, true);
    view.setBigUint64(at + 8, entry.value, true);
  });
  return bytes;
}

/** As `handle_x86_cpuid_policy`: a non-empty whole number of leaves. */
export function decodeCpuidPolicy(body: Uint8Array): CpuidLeaf[] {
  if (body.length === 0 || body.length % CPUID_LEAF_SIZE !== 0) {
    throw new XlError('INVAL', `X86_CPUID_POLICY record: length ${body.length} is not a non-zero multiple of ${CPUID_LEAF_SIZE}`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const leaves: CpuidLeaf[] = [];
  for (let at = 0; at < body.length; at += CPUID_LEAF_SIZE) {
    const word = (w: number) => view.getUint32(at + w * 4, true);
    leaves.push({ leaf: word(0), subleaf: word(1), a: word(2), b: word(3), c: word(4), d: word(5) });
  }
  return leaves;
}

/** As `handle_x86_msr_policy`, plus `x86_msr_copy_from_buffer`'s rule that flags are zero. */
export function decodeMsrPolicy(body: Uint8Array): MsrEntry[] {
  if (body.length === 0 || body.length % MSR_ENTRY_SIZE !== 0) {
    throw new XlError('INVAL', `X86_MSR_POLICY record: length ${body.length} is not a non-zero multiple of ${MSR_ENTRY_SIZE}`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const entries: MsrEntry[] = [];
  for (let at = 0; at < body.length; at += MSR_ENTRY_SIZE) {
    const entry = { index: view.getUint32(at, true), flags: view.getUint32(at + 4, true), value: view.getBigUint64(at + 8, true) };
    if (entry.flags !== 0) {
      throw new XlError('INVAL', `X86_MSR_POLICY record: MSR 0x${entry.index.toString(16)} has non-zero flags 0x${entry.flags.toString(16)}`);
    }
    entries.push(entry);
  }
  return entries;
}
