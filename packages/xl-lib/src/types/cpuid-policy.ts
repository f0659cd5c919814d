/**
 * `libxl_cpuid_policy_list` (`tools/libs/light/libxl_cpuid.c`, Xen 4.17): the CPUID and MSR policy
 * an xl.cfg `cpuid` asks for, as libxl keeps it (`struct xc_xend_cpuid` leaves whose registers are
 * 32-character strings of `0 1 x k s`, and `struct xc_msr` entries of 64), the two parsers that
 * fill it (`libxl_cpuid_parse_config`, `libxl_cpuid_parse_config_xend`) and its JSON
 * (`libxl_cpuid_policy_list_gen_json`, `libxl__cpuid_policy_list_parse_json`).
 */
import * as v from 'valibot';
import { XlError } from '../errors.ts';
import { strtoul } from '../c/strtoul.ts';
import { ParsedJsonMap, jsonNodeKind, type ParsedJson } from '../json/json-parse.ts';
import type { JsonValue } from '../json/yajl-gen.ts';
import type { IdlType } from './idl.ts';

/** `XEN_CPUID_INPUT_UNUSED` (and `XC_MSR_INPUT_UNUSED`): no subleaf; as a leaf, the list's end. */
export const XEN_CPUID_INPUT_UNUSED = 0xffffffff;

const REGISTERS = ['eax', 'ebx', 'ecx', 'edx'] as const;
type Register = (typeof REGISTERS)[number];

/** One `struct xc_xend_cpuid`: a leaf (and subleaf) and the filter string of each register given. */
export interface CpuidLeafPolicy {
  leaf: number;
  subleaf: number;
  eax?: string;
  ebx?: string;
  ecx?: string;
  edx?: string;
}

/** One `struct xc_msr`: an MSR index and its 64-character filter (bit 63 first). */
export interface MsrPolicy {
  index: number;
  policy: string;
}

/** The policy list: the CPUID leaves and MSRs in the order they were first named. */
export interface CpuidPolicyList {
  cpuid: CpuidLeafPolicy[];
  msr: MsrPolicy[];
}

const REG_EAX = 0;
const REG_EBX = 1;
const REG_ECX = 2;
const REG_EDX = 3;
const NA = XEN_CPUID_INPUT_UNUSED;

/** `struct cpuid_flags`: a named field of `length` bits from `bit` of a register. */
interface CpuidFlag {
  readonly name: string;
  readonly leaf: number;
  readonly subleaf: number;
  readonly reg: number;
  readonly bit: number;
  readonly length: number;
}

const flag = (name: string, leaf: number, subleaf: number, reg: number, bit: number, length: number): CpuidFlag => ({ name, leaf, subleaf, reg, bit, length });

/** `cpuid_flags[]` of `libxl_cpuid_parse_config`: looked up before the feature names. */
const CPUID_FLAGS: readonly CpuidFlag[] = [
  flag('maxleaf', 0x00000000, NA, REG_EAX, 0, 32),
  flag('stepping', 0x00000001, NA, REG_EAX, 0, 4),
  flag('model', 0x00000001, NA, REG_EAX, 4, 8),
  flag('family', 0x00000001, NA, REG_EAX, 8, 8),
  flag('brandid', 0x00000001, NA, REG_EBX, 0, 8),
  flag('clflush', 0x00000001, NA, REG_EBX, 8, 8),
  flag('proccount', 0x00000001, NA, REG_EBX, 16, 8),
  flag('localapicid', 0x00000001, NA, REG_EBX, 24, 8),
  flag('est', 0x00000001, NA, REG_ECX, 7, 1),
  flag('cntxid', 0x00000001, NA, REG_ECX, 10, 1),
  flag('cmpxchg16', 0x00000001, NA, REG_ECX, 13, 1),
  flag('sse4_1', 0x00000001, NA, REG_ECX, 19, 1),
  flag('sse4.1', 0x00000001, NA, REG_ECX, 19, 1),
  flag('sse4_2', 0x00000001, NA, REG_ECX, 20, 1),
  flag('sse4.2', 0x00000001, NA, REG_ECX, 20, 1),
  flag('aes', 0x00000001, NA, REG_ECX, 25, 1),
  flag('cmpxchg8', 0x00000001, NA, REG_EDX, 8, 1),
  flag('sysenter', 0x00000001, NA, REG_EDX, 11, 1),
  flag('psn', 0x00000001, NA, REG_EDX, 18, 1),
  flag('clfsh', 0x00000001, NA, REG_EDX, 19, 1),
  flag('tm', 0x00000001, NA, REG_EDX, 29, 1),
  flag('ia64', 0x00000001, NA, REG_EDX, 30, 1),
  flag('pbe', 0x00000001, NA, REG_EDX, 31, 1),
  flag('arat', 0x00000006, NA, REG_EAX, 2, 1),
  flag('tsc_adjust', 0x00000007, 0, REG_EBX, 1, 1),
  flag('cmt', 0x00000007, 0, REG_EBX, 12, 1),
  flag('lahfsahf', 0x80000001, NA, REG_ECX, 0, 1),
  flag('cmplegacy', 0x80000001, NA, REG_ECX, 1, 1),
  flag('altmovcr8', 0x80000001, NA, REG_ECX, 4, 1),
  flag('nodeid', 0x80000001, NA, REG_ECX, 19, 1),
  flag('perfctr_core', 0x80000001, NA, REG_ECX, 23, 1),
  flag('perfctr_nb', 0x80000001, NA, REG_ECX, 24, 1),
  flag('procpkg', 0x00000004, 0, REG_EAX, 26, 6),
  flag('invtsc', 0x80000007, NA, REG_EDX, 8, 1),
  flag('ppin', 0x80000008, NA, REG_EBX, 23, 1),
  flag('btc-no', 0x80000008, NA, REG_EBX, 29, 1),
  flag('nc', 0x80000008, NA, REG_ECX, 0, 8),
  flag('apicidsize', 0x80000008, NA, REG_ECX, 12, 4),
  flag('svm_npt', 0x8000000a, NA, REG_EDX, 0, 1),
  flag('svm_lbrv', 0x8000000a, NA, REG_EDX, 1, 1),
  flag('svm_nrips', 0x8000000a, NA, REG_EDX, 3, 1),
  flag('svm_tscrate', 0x8000000a, NA, REG_EDX, 4, 1),
  flag('svm_vmcbclean', 0x8000000a, NA, REG_EDX, 5, 1),
  flag('svm_decode', 0x8000000a, NA, REG_EDX, 7, 1),
  flag('svm_pausefilt', 0x8000000a, NA, REG_EDX, 10, 1),
  flag('lfence+', 0x80000021, NA, REG_EAX, 2, 1),
  flag('maxhvleaf', 0x40000000, NA, REG_EAX, 0, 8),
];
const CPUID_FLAG_BY_NAME = new Map(CPUID_FLAGS.map((entry) => [entry.name, entry]));

/**
 * `INIT_FEATURE_NAMES`: the feature names of 4.17's `xen/include/public/arch-x86/cpufeatureset.h`
 * (lower case, `_` as `-`, as `gen-cpuid.py` makes them), by featureset word, each `name/bit`.
 */
const FEATURE_WORDS: readonly string[] = [
  'fpu/0 vme/1 de/2 pse/3 tsc/4 msr/5 pae/6 mce/7 cx8/8 apic/9 sep/11 mtrr/12 pge/13 mca/14 cmov/15 pat/16 pse36/17 clflush/19 ds/21 acpi/22 mmx/23 fxsr/24 sse/25 sse2/26 ss/27 htt/28 tm1/29 pbe/31',
  'sse3/0 pclmulqdq/1 dtes64/2 monitor/3 dscpl/4 vmx/5 smx/6 eist/7 tm2/8 ssse3/9 fma/12 cx16/13 xtpr/14 pdcm/15 pcid/17 dca/18 sse4-1/19 sse4-2/20 x2apic/21 movbe/22 popcnt/23 tsc-deadline/24 aesni/25 xsave/26 osxsave/27 avx/28 f16c/29 rdrand/30 hypervisor/31',
  'syscall/11 nx/20 mmxext/22 ffxsr/25 page1gb/26 rdtscp/27 lm/29 3dnowext/30 3dnow/31',
  'lahf-lm/0 cmp-legacy/1 svm/2 extapic/3 cr8-legacy/4 abm/5 sse4a/6 misalignsse/7 3dnowprefetch/8 osvw/9 ibs/10 xop/11 skinit/12 wdt/13 lwp/15 fma4/16 nodeid-msr/19 tbm/21 topoext/22 dbext/26 monitorx/29',
  'xsaveopt/0 xsavec/1 xgetbv1/2 xsaves/3',
  'fsgsbase/0 tsc-adjust/1 sgx/2 bmi1/3 hle/4 avx2/5 fdp-excp-only/6 smep/7 bmi2/8 erms/9 invpcid/10 rtm/11 pqm/12 no-fpu-sel/13 mpx/14 pqe/15 avx512f/16 avx512dq/17 rdseed/18 adx/19 smap/20 avx512-ifma/21 clflushopt/23 clwb/24 proc-trace/25 avx512pf/26 avx512er/27 avx512cd/28 sha/29 avx512bw/30 avx512vl/31',
  'prefetchwt1/0 avx512-vbmi/1 umip/2 pku/3 ospke/4 avx512-vbmi2/6 cet-ss/7 gfni/8 vaes/9 vpclmulqdq/10 avx512-vnni/11 avx512-bitalg/12 avx512-vpopcntdq/14 rdpid/22 cldemote/25 movdiri/27 movdir64b/28 enqcmd/29',
  'hw-pstate/7 itsc/8 cpb/9 efro/10',
  'clzero/0 rstr-fp-err-ptrs/2 wbnoinvd/9 ibpb/12 ibrs/14 amd-stibp/15 ibrs-always/16 stibp-always/17 ibrs-fast/18 ibrs-same-mode/19 no-lmsl/20 amd-ppin/23 amd-ssbd/24 virt-ssbd/25 ssb-no/26 psfd/28 btc-no/29 ibpb-ret/30',
  'avx512-4vnniw/2 avx512-4fmaps/3 fsrm/4 avx512-vp2intersect/8 srbds-ctrl/9 md-clear/10 rtm-always-abort/11 tsx-force-abort/13 serialize/14 hybrid/15 tsxldtrk/16 cet-ibt/20 avx512-fp16/23 ibrsb/26 stibp/27 l1d-flush/28 arch-caps/29 core-caps/30 ssbd/31',
  'avx-vnni/4 avx512-bf16/5 fzrm/10 fsrs/11 fsrcs/12',
  'lfence-dispatch/2 verw-clear/5 nscb/6 auto-ibrs/8 sbpb/27 ibpb-brtype/28 srso-no/29 srso-us-no/30 srso-msr-fix/31',
  'intel-ppin/0',
  'intel-psfd/0 ipred-ctrl/1 rrsba-ctrl/2 bhi-ctrl/4 mcdt-no/5',
  '',
  'cet-sss/18',
  'rdcl-no/0 eibrs/1 rsba/2 skip-l1dfl/3 intel-ssb-no/4 mds-no/5 if-pschange-mc-no/6 tsx-ctrl/7 taa-no/8 mcu-ctrl/9 misc-pkg-ctrl/10 energy-filtering/11 doitm/12 sbdr-ssdp-no/13 fbsdp-no/14 psdp-no/15 fb-clear/17 fb-clear-ctrl/18 rrsba/19 bhi-no/20 xapic-status/21 ovrclk-status/23 pbrsb-no/24 gds-ctrl/25 gds-no/26 rfds-no/27 rfds-clear/28',
  'its-no/30',
  'tsa-sq-no/1 tsa-l1-no/2',
];

/** Feature name → featureset bit (`word * 32 + bit`). */
const FEATURE_BITS: ReadonlyMap<string, number> = new Map(
  FEATURE_WORDS.flatMap((names, word) =>
    names === '' ? [] : names.split(' ').map((entry): [string, number] => {
      const [name, bit] = entry.split('/');
      return [name!, word * 32 + Number(bit)];
    }),
  ),
);

/** `feature_to_policy[]`: where each featureset word lives (a CPUID register, or half of an MSR). */
const FEATURE_TO_POLICY: readonly ({ leaf: number; subleaf: number; reg: number } | { msr: number; high: boolean })[] = [
  { leaf: 0x00000001, subleaf: NA, reg: REG_EDX },
  { leaf: 0x00000001, subleaf: NA, reg: REG_ECX },
  { leaf: 0x80000001, subleaf: NA, reg: REG_EDX },
  { leaf: 0x80000001, subleaf: NA, reg: REG_ECX },
  { leaf: 0x0000000d, subleaf: 1, reg: REG_EAX },
  { leaf: 0x00000007, subleaf: 0, reg: REG_EBX },
  { leaf: 0x00000007, subleaf: 0, reg: REG_ECX },
  { leaf: 0x80000007, subleaf: NA, reg: REG_EDX },
  { leaf: 0x80000008, subleaf: NA, reg: REG_EBX },
  { leaf: 0x00000007, subleaf: 0, reg: REG_EDX },
  { leaf: 0x00000007, subleaf: 1, reg: REG_EAX },
  { leaf: 0x80000021, subleaf: NA, reg: REG_EAX },
  { leaf: 0x00000007, subleaf: 1, reg: REG_EBX },
  { leaf: 0x00000007, subleaf: 2, reg: REG_EDX },
  { leaf: 0x00000007, subleaf: 1, reg: REG_ECX },
  { leaf: 0x00000007, subleaf: 1, reg: REG_EDX },
  { msr: 0x10a, high: false },
  { msr: 0x10a, high: true },
  { leaf: 0x80000021, subleaf: NA, reg: REG_ECX },
];

const ALL_X = 'x'.repeat(32);

/** `cpuid_find_match`: the leaf's entry, appended when new. A leaf of `XEN_CPUID_INPUT_UNUSED` is the list's end: its entry is never seen. */
function cpuidFindMatch(policy: CpuidPolicyList, leaf: number, subleaf: number): CpuidLeafPolicy {
  const found = policy.cpuid.find((entry) => entry.leaf === leaf && entry.subleaf === subleaf);
  if (found) return found;
  const entry: CpuidLeafPolicy = { leaf, subleaf };
  if (leaf !== XEN_CPUID_INPUT_UNUSED) policy.cpuid.push(entry);
  return entry;
}

const replaceAt = (text: string, at: number, part: string): string => text.slice(0, at) + part + text.slice(at + part.length);

/** `cpuid_add`: writes one field's bits (a number, or `x`/`k`/`s` repeated) into its register's string. 3: a bad value. */
function cpuidAdd(policy: CpuidPolicyList, field: CpuidFlag, value: string): 0 | 3 {
  const entry = cpuidFindMatch(policy, field.leaf, field.subleaf);
  const register: Register = REGISTERS[field.reg]!;
  const parsed = strtoul(value, 0);
  let num = parsed.value;
  let flags: string;
  if (parsed.end !== 0) {
    flags = '';
    for (let index = field.length - 1; index >= 0; index -= 1) flags += (num >> BigInt(index)) & 1n ? '1' : '0';
  } else if (value[0] === 'x' || value[0] === 'k' || value[0] === 's') {
    flags = value[0].repeat(field.length);
  } else {
    return 3;
  }
  let policyText = entry[register] ?? ALL_X;
  if (field.name === 'family') {
    // The family is split: base family in bits 8-11, extended family in bits 20-27.
    if (num < 16n) {
      policyText = replaceAt(policyText, 32 - 4 - field.bit, flags.slice(4, 8));
      policyText = replaceAt(policyText, 32 - 8 - 20, '00000000');
    } else {
      num -= 15n;
      policyText = replaceAt(policyText, 32 - 4 - field.bit, '1111');
      let extended = flags[0]!;
      for (let index = 6; index >= 0; index -= 1) extended += (num >> BigInt(index)) & 1n ? '1' : '0';
      policyText = replaceAt(policyText, 32 - 8 - 20, extended);
    }
  } else if (field.name === 'model') {
    // The model is split: base model in bits 4-7, extended model in bits 16-19.
    policyText = replaceAt(policyText, 32 - 4 - 16, flags.slice(0, 4));
    policyText = replaceAt(policyText, 32 - 4 - field.bit, flags.slice(4, 8));
  } else {
    policyText = replaceAt(policyText, 32 - field.length - field.bit, flags);
  }
  entry[register] = policyText;
  return 0;
}

/** `msr_add`: one bit of an MSR's policy, from a single character (`s` is kept as `k`). 3: a bad value. */
function msrAdd(policy: CpuidPolicyList, index: number, bit: number, value: string): 0 | 3 {
  let entry = policy.msr.find((msr) => msr.index === index);
  if (!entry) {
    entry = { index, policy: 'x'.repeat(64) };
    policy.msr.push(entry);
  }
  if (value.length !== 1 || !'01xks'.includes(value)) return 3;
  entry.policy = replaceAt(entry.policy, 63 - bit, value === 's' ? 'k' : value);
  return 0;
}

/**
 * `libxl_cpuid_parse_config`: one `name=value` of xl's `cpuid = "host,..."` string into the policy.
 * 0: done; 1: no `=`; 2: an unknown name; 3: a bad value (what was created stays).
 */
export function cpuidParseConfig(policy: CpuidPolicyList, text: string): 0 | 1 | 2 | 3 {
  const separator = text.indexOf('=');
  if (separator < 0) return 1;
  const name = text.slice(0, separator);
  const value = text.slice(separator + 1);
  const known = CPUID_FLAG_BY_NAME.get(name);
  if (known) return cpuidAdd(policy, known, value);
  const feature = FEATURE_BITS.get(name);
  if (feature === undefined) return 2;
  const place = FEATURE_TO_POLICY[feature >> 5]!;
  if ('msr' in place) return msrAdd(policy, place.msr, (feature % 32) + (place.high ? 32 : 0), value);
  return cpuidAdd(policy, { name, leaf: place.leaf, subleaf: place.subleaf, reg: place.reg, bit: feature % 32, length: 1 }, value);
}

/**
 * `libxl_cpuid_parse_config_xend`: one item of the xend list form
 * (`'LEAF[,SUBLEAF]:eax=<32 chars>,ebx=...'`). 0: done; 1: a bad leaf; 2: a bad subleaf; 3: no
 * colon; 4: a bad register name; 5: a register string not 32 characters long (the leaf stays).
 */
export function cpuidParseConfigXend(policy: CpuidPolicyList, text: string): 0 | 1 | 2 | 3 | 4 | 5 {
  const leafNumber = strtoul(text, 0);
  if (leafNumber.end === 0) return 1;
  const leaf = Number(BigInt.asUintN(32, leafNumber.value));
  let subleaf = XEN_CPUID_INPUT_UNUSED;
  let rest = text.slice(leafNumber.end);
  if (rest.startsWith(',')) {
    const subleafNumber = strtoul(rest.slice(1), 0);
    if (subleafNumber.end === 0) return 2;
    subleaf = Number(BigInt.asUintN(32, subleafNumber.value));
    rest = rest.slice(1 + subleafNumber.end);
  }
  if (!rest.startsWith(':')) return 3;
  const entry = cpuidFindMatch(policy, leaf, subleaf);
  rest = rest.slice(1);
  while (rest !== '') {
    const register = rest.charCodeAt(1) - 0x61;
    const equals = rest.indexOf('=');
    if (rest[0] !== 'e' || rest[2] !== 'x' || !(register >= 0 && register <= 3) || equals < 0) return 4;
    rest = rest.slice(equals + 1);
    const comma = rest.indexOf(',');
    const end = comma < 0 ? rest.length : comma;
    if (end !== 32) return 5;
    entry[REGISTERS[register]!] = rest.slice(0, 32);
    if (comma < 0) break;
    rest = rest.slice(comma + 1).replace(/^[ \n]*/, '');
  }
  return 0;
}

function fail(path: string, message: string): never {
  throw new XlError('FAIL', `${path}: ${message}`);
}

const uint32Schema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const registerSchema = v.optional(v.pipe(v.string(), v.length(32)));
const CpuidPolicyListSchema = v.object({
  cpuid: v.array(v.object({ leaf: uint32Schema, subleaf: uint32Schema, eax: registerSchema, ebx: registerSchema, ecx: registerSchema, edx: registerSchema })),
  msr: v.array(v.object({ index: uint32Schema, policy: v.pipe(v.string(), v.length(64)) })),
});

/** A JSON integer (one that fits a long long) stored in a `uint32_t`, as libxl stores it; undefined for any other node. */
const uint32Of = (node: ParsedJson | undefined): number | undefined =>
  node !== undefined && jsonNodeKind(node) === 'integer' ? Number(BigInt.asUintN(32, node as bigint)) : undefined;

/** libxl's lists end at their first leaf (or MSR index) of `XEN_CPUID_INPUT_UNUSED`: what follows is never seen. */
function truncateAtUnused<T>(list: T[], input: (item: T) => number): void {
  const end = list.findIndex((item) => input(item) === XEN_CPUID_INPUT_UNUSED);
  if (end >= 0) list.length = end;
}

/** `libxl__cpuid_policy_list_parse_json`: the map form, or the older array of leaves. */
function parsePolicyJson(node: ParsedJson, path: string): CpuidPolicyList {
  const policy: CpuidPolicyList = { cpuid: [], msr: [] };
  const arrayAt = (key: string): ParsedJson[] => {
    const found = (node as ParsedJsonMap).get(key);
    if (!Array.isArray(found)) fail(path, `expected a JSON array for ${key}`);
    return found;
  };
  const cpuidOnly = Array.isArray(node);
  if (!cpuidOnly && !(node instanceof ParsedJsonMap)) fail(path, 'expected a JSON map or array');
  const leaves = cpuidOnly ? node : arrayAt('cpuid');
  for (const [index, item] of leaves.entries()) {
    if (!(item instanceof ParsedJsonMap)) fail(`${path}.cpuid[${index}]`, 'expected a JSON map');
    const input = (key: string): number => uint32Of(item.get(key)) ?? XEN_CPUID_INPUT_UNUSED;
    const entry: CpuidLeafPolicy = { leaf: input('leaf'), subleaf: input('subleaf') };
    for (const register of REGISTERS) {
      const found = item.get(register);
      if (typeof found !== 'string') continue;
      // libxl would print 32 bytes of a shorter string from beyond its end: refused here.
      if (found.length !== 32) fail(`${path}.cpuid[${index}].${register}`, 'a register policy must be 32 characters long');
      entry[register] = found;
    }
    policy.cpuid.push(entry);
  }
  truncateAtUnused(policy.cpuid, (entry) => entry.leaf);
  if (cpuidOnly) return policy;
  for (const [index, item] of arrayAt('msr').entries()) {
    const at = `${path}.msr[${index}]`;
    if (!(item instanceof ParsedJsonMap)) fail(at, 'expected a JSON map');
    const msrIndex = uint32Of(item.get('index'));
    const msrPolicy = item.get('policy');
    if (msrIndex === undefined) fail(at, 'expected an integer index');
    if (typeof msrPolicy !== 'string' || msrPolicy.length !== 64) fail(at, 'expected a policy string of 64 characters');
    policy.msr.push({ index: msrIndex, policy: msrPolicy });
  }
  truncateAtUnused(policy.msr, (msr) => msr.index);
  return policy;
}

/** `libxl_cpuid_policy_list_gen_json`. */
function policyJson(policy: CpuidPolicyList): JsonValue {
  const leaves = policy.cpuid.map((entry) => {
    const out = new Map<string, JsonValue>([['leaf', entry.leaf]]);
    if (entry.subleaf !== XEN_CPUID_INPUT_UNUSED) out.set('subleaf', entry.subleaf);
    for (const register of REGISTERS) if (entry[register] !== undefined) out.set(register, entry[register]);
    return out;
  });
  const msrs = policy.msr.map((msr) => new Map<string, JsonValue>([['index', msr.index], ['policy', msr.policy]]));
  return new Map<string, JsonValue>([['cpuid', leaves], ['msr', msrs]]);
}

/**
 * IDL `libxl_cpuid_policy_list` (a Builtin; `check_default_fn = libxl__cpuid_policy_is_empty`):
 * printed when it holds a leaf or an MSR. Its default is the empty list.
 */
export function cpuidPolicyList(): IdlType<v.OptionalSchema<typeof CpuidPolicyListSchema, () => CpuidPolicyList>> {
  const make = (): CpuidPolicyList => ({ cpuid: [], msr: [] });
  let schema: v.OptionalSchema<typeof CpuidPolicyListSchema, () => CpuidPolicyList> | undefined;
  return {
    idlType: 'libxl_cpuid_policy_list',
    get schema() {
      return (schema ??= v.optional(CpuidPolicyListSchema, make));
    },
    make,
    json: { accepts: 'any', aggregate: false, gen: policyJson, parse: parsePolicyJson },
  };
}
