/**
 * Constants of the three nested save-stream formats written by xl 4.17:
 * - the xl save-file header (`tools/xl/xl.h`: `savefileheader_magic`, `struct save_file_header`,
 *   `XL_MANDATORY_FLAG_*`; written by `save_domain_core_writeconfig` in `tools/xl/xl_saverestore.c`);
 * - the libxl stream v2 (`docs/specs/libxl-migration-stream.pandoc`, `tools/libs/light/libxl_sr_stream_format.h`);
 * - the libxc stream v3 (`docs/specs/libxc-migration-stream.pandoc`, `tools/libs/guest/xg_sr_stream_format.h`).
 * Names keep Xen's spelling so `git grep` finds both.
 */

/** `savefileheader_magic`: 32 bytes, NULs included. */
export const XL_SAVEFILE_MAGIC = 'Xen saved domain, xl format\n \0 \r';
/** `SAVEFILE_BYTEORDER_VALUE`, written in the saving host's byte order (little-endian here). */
export const SAVEFILE_BYTEORDER_VALUE = 0x01020304;
/** Config data is libxl JSON (not xl.cfg text). */
export const XL_MANDATORY_FLAG_JSON = 1 << 0;
/** The body is a libxl stream v2 or later (without it: a legacy pre-4.6 stream). */
export const XL_MANDATORY_FLAG_STREAMv2 = 1 << 1;
export const XL_MANDATORY_FLAG_ALL = XL_MANDATORY_FLAG_JSON | XL_MANDATORY_FLAG_STREAMv2;
/** magic + byteorder + mandatory_flags + optional_flags + optional_data_len. */
export const XL_HEADER_SIZE = 32 + 4 * 4;

/** libxl stream header `ident`: "LibxlFmt". */
export const LIBXL_STREAM_IDENT = 0x4c6962786c466d74n;
export const LIBXL_STREAM_VERSION = 2;
/** libxl header option bits. */
export const LIBXL_OPT_BIG_ENDIAN = 1 << 0;
export const LIBXL_OPT_LEGACY = 1 << 1;

/** libxl record types (`libxl_sr_stream_format.h`). */
export const REC_TYPE_LIBXL = {
  END: 0x00000000,
  LIBXC_CONTEXT: 0x00000001,
  EMULATOR_XENSTORE_DATA: 0x00000002,
  EMULATOR_CONTEXT: 0x00000003,
  CHECKPOINT_END: 0x00000004,
  CHECKPOINT_STATE: 0x00000005,
} as const;

/** libxc image header. */
export const IHDR_MARKER = 0xffffffffffffffffn;
export const IHDR_ID = 0x58454e46; // "XENF"
/** The version 4.17 writes (`write_headers`: `htonl(3)`); 2 is also accepted on restore. */
export const IHDR_VERSION = 3;
export const IHDR_OPT_BIG_ENDIAN = 1 << 0;
/** libxc domain header types. */
export const DHDR_TYPE_X86_PV = 0x00000001;
export const DHDR_TYPE_X86_HVM = 0x00000002;
/** The Xen version recorded in the domain header (`XENVER_version`). */
export const XEN_MAJOR = 4;
export const XEN_MINOR = 17;

/** libxc record types (`xg_sr_stream_format.h`). */
export const REC_TYPE = {
  END: 0x00000000,
  PAGE_DATA: 0x00000001,
  X86_PV_INFO: 0x00000002,
  X86_PV_P2M_FRAMES: 0x00000003,
  X86_PV_VCPU_BASIC: 0x00000004,
  X86_PV_VCPU_EXTENDED: 0x00000005,
  X86_PV_VCPU_XSAVE: 0x00000006,
  SHARED_INFO: 0x00000007,
  X86_TSC_INFO: 0x00000008,
  HVM_CONTEXT: 0x00000009,
  HVM_PARAMS: 0x0000000a,
  TOOLSTACK: 0x0000000b,
  X86_PV_VCPU_MSRS: 0x0000000c,
  VERIFY: 0x0000000d,
  CHECKPOINT: 0x0000000e,
  CHECKPOINT_DIRTY_PFN_LIST: 0x0000000f,
  STATIC_DATA_END: 0x00000010,
  X86_CPUID_POLICY: 0x00000011,
  X86_MSR_POLICY: 0x00000012,
} as const;
/** Bit 31 of a record type: an optional record, which a restorer may skip. */
export const REC_TYPE_OPTIONAL = 0x80000000;
/** All records are padded to 8 octets. */
export const REC_ALIGN = 8;
/** `REC_LENGTH_MAX`: libxc refuses longer records (128 MiB). */
export const REC_LENGTH_MAX = 128 * 1024 * 1024;
/** `MAX_BATCH_SIZE` (`xg_sr_common.h`): pfns per PAGE_DATA record. */
export const MAX_BATCH_SIZE = 1024;

/** PAGE_DATA pfn word layout. */
export const PAGE_DATA_PFN_MASK = 0x000fffffffffffffn;
export const PAGE_DATA_RESERVED_MASK = 0x0ff0000000000000n;
export const PAGE_DATA_TYPE_SHIFT = 60n;
/** `XEN_DOMCTL_PFINFO_*` >> 28, as they appear in bits 63..60. */
export const PFINFO = {
  NOTAB: 0x0,
  L1TAB: 0x1,
  L2TAB: 0x2,
  L3TAB: 0x3,
  L4TAB: 0x4,
  L1TAB_PIN: 0x9,
  L2TAB_PIN: 0xa,
  L3TAB_PIN: 0xb,
  L4TAB_PIN: 0xc,
  BROKEN: 0xd,
  XALLOC: 0xe,
  XTAB: 0xf,
} as const;

/** Page types carrying a page of data in the record (`page_type_has_stream_data`). */
export function pageTypeHasData(type: number): boolean {
  return type <= PFINFO.L4TAB || (type >= PFINFO.L1TAB_PIN && type <= PFINFO.L4TAB_PIN);
}

/** Known page types (`is_known_page_type`): 0x5..0x8 are reserved. */
export function isKnownPageType(type: number): boolean {
  return type >= 0 && type <= 0xf && !(type >= 0x5 && type <= 0x8);
}

/** Sizes of the fixed records. */
export const TSC_INFO_SIZE = 24;
export const CPUID_LEAF_SIZE = 24; // xen_cpuid_leaf_t: leaf, subleaf, a, b, c, d
export const MSR_ENTRY_SIZE = 16; // xen_msr_entry_t: idx, flags, val
export const HVM_PARAMS_ENTRY_SIZE = 16;

const LIBXC_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(REC_TYPE).map(([name, value]) => [value, name]),
);
const LIBXL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(REC_TYPE_LIBXL).map(([name, value]) => [value, name]),
);

/** A libxc record type's name for messages (`0x13` when unknown). */
export function libxcRecordName(type: number): string {
  return LIBXC_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** A libxl record type's name for messages. */
export function libxlRecordName(type: number): string {
  return LIBXL_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** Rounds a record body length up to the record alignment. */
export function alignRecord(length: number): number {
  return Math.ceil(length / REC_ALIGN) * REC_ALIGN;
}
