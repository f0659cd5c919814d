/**
 * `libxl_domain_build_info` (`tools/libs/light/libxl_types.idl`, Xen 4.17): the `b_info` of a
 * domain config, with its nested structs and the `u` keyed union on `type` (`u.hvm.ms_vm_genid`).
 * Members are declared in the IDL's order, which is the order libxl prints them in.
 *
 * Not modelled (skipped on parse, as unknown keys are): the members newer than 4.17.
 */
import {
  array,
  bitmap,
  defbool,
  enumeration,
  integer,
  keyedUnion,
  memkb,
  msVmGenid,
  string,
  stringList,
  struct,
  uint32,
  uint64,
  type IdlValue,
} from './idl.ts';
import { cpuidPolicyList } from './cpuid-policy.ts';
import { DomainSchedParams } from './domain-sched-params.ts';
import type { LibxlDomainType } from './domain-create-info.ts';
import type { JsonValue } from '../json/yajl-gen.ts';

/** `LIBXL_MAX_GRANT_DEFAULT` (`~(uint32_t)0`), as the uint32 members hold it. */
export const LIBXL_MAX_GRANT_DEFAULT = 0xffffffff;

const timerModeField = () =>
  enumeration(
    'libxl_timer_mode',
    ['unknown', 'delay_for_missed_ticks', 'no_delay_for_missed_ticks', 'no_missed_ticks_pending', 'one_missed_tick_pending'] as const,
    'unknown',
  );

/** `libxl_vga_interface_info`. */
export const VgaInterfaceInfo = struct('libxl_vga_interface_info', {
  kind: enumeration('libxl_vga_interface_type', ['unknown', 'cirrus', 'std', 'none', 'qxl'] as const, 'unknown'),
});
export type VgaInterfaceInfo = IdlValue<typeof VgaInterfaceInfo>;

/** `libxl_vnc_info`. */
export const VncInfo = struct('libxl_vnc_info', {
  enable: defbool(),
  listen: string(),
  passwd: string(),
  display: integer(),
  findunused: defbool(),
});
export type VncInfo = IdlValue<typeof VncInfo>;

/** `libxl_sdl_info`. */
export const SdlInfo = struct('libxl_sdl_info', {
  enable: defbool(),
  opengl: defbool(),
  display: string(),
  xauthority: string(),
});
export type SdlInfo = IdlValue<typeof SdlInfo>;

/** `libxl_spice_info`. */
export const SpiceInfo = struct('libxl_spice_info', {
  enable: defbool(),
  port: integer(),
  tlsPort: integer(),
  host: string(),
  disableTicketing: defbool(),
  passwd: string(),
  agentMouse: defbool(),
  vdagent: defbool(),
  clipboardSharing: defbool(),
  usbredirection: integer(),
  imageCompression: string(),
  streamingVideo: string(),
});
export type SpiceInfo = IdlValue<typeof SpiceInfo>;

/** `libxl_rdm_reserve_policy` (init `LIBXL_RDM_RESERVE_POLICY_INVALID`). */
export const RDM_RESERVE_POLICIES = ['invalid', 'strict', 'relaxed'] as const;
export const rdmReservePolicyField = () => enumeration('libxl_rdm_reserve_policy', RDM_RESERVE_POLICIES, 'invalid');

/** `libxl_rdm_reserve`. */
export const RdmReserve = struct('libxl_rdm_reserve', {
  strategy: enumeration('libxl_rdm_reserve_strategy', ['ignore', 'host'] as const, 'ignore'),
  policy: rdmReservePolicyField(),
});
export type RdmReserve = IdlValue<typeof RdmReserve>;

/** The `hvm` arm of `b_info.u`. */
export const HvmBuildInfo = struct('libxl_domain_build_info.u.hvm', {
  firmware: string(),
  bios: enumeration('libxl_bios_type', ['unknown', 'rombios', 'seabios', 'ovmf'] as const, 'unknown'),
  pae: defbool(),
  apic: defbool(),
  acpi: defbool(),
  acpiS3: defbool(),
  acpiS4: defbool(),
  acpiLaptopSlate: defbool(),
  nx: defbool(),
  viridian: defbool(),
  viridianEnable: bitmap(),
  viridianDisable: bitmap(),
  timeoffset: string(),
  hpet: defbool(),
  vptAlign: defbool(),
  mmioHoleMemkb: memkb(),
  timerMode: timerModeField(),
  nestedHvm: defbool(),
  altp2m: defbool(),
  systemFirmware: string(),
  smbiosFirmware: string(),
  acpiFirmware: string(),
  hdtype: enumeration('libxl_hdtype', ['ide', 'ahci'] as const, 'ide'),
  nographic: defbool(),
  vga: VgaInterfaceInfo,
  vnc: VncInfo,
  keymap: string(),
  sdl: SdlInfo,
  spice: SpiceInfo,
  gfxPassthru: defbool(),
  gfxPassthruKind: enumeration('libxl_gfx_passthru_kind', ['default', 'igd'] as const, 'default'),
  serial: string(),
  boot: string(),
  usb: defbool(),
  usbversion: integer(),
  usbdevice: string(),
  vkbDevice: defbool(),
  soundhw: string(),
  xenPlatformPci: defbool(),
  usbdeviceList: stringList(),
  vendorDevice: enumeration('libxl_vendor_device', ['none', 'xenserver'] as const, 'none'),
  /** See `libxl_ms_vm_genid_generate()`; all-zero = no generation ID (then left out of the JSON). */
  msVmGenid: msVmGenid(),
  serialList: stringList(),
  rdm: RdmReserve,
  rdmMemBoundaryMemkb: memkb(),
  mcaCaps: uint64(),
});
export type HvmBuildInfo = IdlValue<typeof HvmBuildInfo>;

/** The `pv` arm of `b_info.u` (the const `features` member is never printed nor parsed by libxl). */
export const PvBuildInfo = struct('libxl_domain_build_info.u.pv', {
  kernel: string(),
  slackMemkb: memkb(),
  bootloader: string(),
  bootloaderArgs: stringList(),
  cmdline: string(),
  ramdisk: string(),
  e820Host: defbool(),
});
export type PvBuildInfo = IdlValue<typeof PvBuildInfo>;

/** The `pvh` arm of `b_info.u`: PVH guests get no VGID device. */
export const PvhBuildInfo = struct('libxl_domain_build_info.u.pvh', {
  pvshim: defbool(),
  pvshimPath: string(),
  pvshimCmdline: string(),
  pvshimExtra: string(),
});
export type PvhBuildInfo = IdlValue<typeof PvhBuildInfo>;

/** `b_info.u`, keyed by `type` and printed as `"type.hvm"`, `"type.pv"`, `"type.pvh"` (`"type.invalid": {}`). */
export const BuildInfoUnion = keyedUnion(
  'libxl_domain_build_info.u',
  'type',
  { hvm: HvmBuildInfo, pv: PvBuildInfo, pvh: PvhBuildInfo, invalid: null },
  'invalid',
);

/** `b_info.arch_arm`. */
export const ArchArmBuildInfo = struct('libxl_domain_build_info.arch_arm', {
  gicVersion: enumeration('libxl_gic_version', ['default', 'v2', 'v3'] as const, 'default'),
  vuart: enumeration('libxl_vuart_type', ['unknown', 'sbsa_uart'] as const, 'unknown'),
});

/** `b_info.arch_x86`. */
export const ArchX86BuildInfo = struct('libxl_domain_build_info.arch_x86', {
  msrRelaxed: defbool(),
});

/** `libxl_ioport_range`. */
export const IoportRange = struct('libxl_ioport_range', {
  first: uint32(),
  number: uint32(),
});
export type IoportRange = IdlValue<typeof IoportRange>;

/** `LIBXL_INVALID_GFN` (`~(uint64_t)0`): no guest frame given. */
export const LIBXL_INVALID_GFN = (1n << 64n) - 1n;

/** `libxl_iomem_range`. */
export const IomemRange = struct('libxl_iomem_range', {
  start: uint64(),
  number: uint64(),
  gfn: uint64(LIBXL_INVALID_GFN),
});
export type IomemRange = IdlValue<typeof IomemRange>;

/** `libxl_vnode_info`. */
export const VnodeInfo = struct('libxl_vnode_info', {
  memkb: memkb(),
  distances: array(uint32()),
  pnode: uint32(),
  vcpus: bitmap(),
});
export type VnodeInfo = IdlValue<typeof VnodeInfo>;

export const DomainBuildInfo = struct('libxl_domain_build_info', {
  maxVcpus: integer(),
  availVcpus: bitmap(),
  cpumap: bitmap(),
  nodemap: bitmap(),
  vcpuHardAffinity: array(bitmap()),
  vcpuSoftAffinity: array(bitmap()),
  numaPlacement: defbool(),
  tscMode: enumeration('libxl_tsc_mode', ['default', 'always_emulate', 'native', 'native_paravirt'] as const, 'default'),
  maxMemkb: memkb(),
  targetMemkb: memkb(),
  videoMemkb: memkb(),
  shadowMemkb: memkb(),
  iommuMemkb: memkb(),
  rtcTimeoffset: uint32(),
  execSsidref: uint32(),
  execSsidLabel: string(),
  localtime: defbool(),
  disableMigrate: defbool(),
  cpuid: cpuidPolicyList(),
  blkdevStart: string(),
  vnumaNodes: array(VnodeInfo),
  maxGrantFrames: uint32(LIBXL_MAX_GRANT_DEFAULT),
  maxMaptrackFrames: uint32(LIBXL_MAX_GRANT_DEFAULT),
  maxGrantVersion: integer(-1),
  deviceModelVersion: enumeration(
    'libxl_device_model_version',
    ['unknown', 'qemu_xen_traditional', 'qemu_xen'] as const,
    'unknown',
  ),
  deviceModelStubdomain: defbool(),
  stubdomainMemkb: memkb(),
  stubdomainKernel: string(),
  stubdomainCmdline: string(),
  stubdomainRamdisk: string(),
  deviceModel: string(),
  deviceModelSsidref: uint32(),
  deviceModelSsidLabel: string(),
  deviceModelUser: string(),
  extra: stringList(),
  extraPv: stringList(),
  extraHvm: stringList(),
  schedParams: DomainSchedParams,
  ioports: array(IoportRange),
  irqs: array(uint32()),
  iomem: array(IomemRange),
  claimMode: defbool(),
  eventChannels: uint32(),
  kernel: string(),
  cmdline: string(),
  ramdisk: string(),
  deviceTree: string(),
  /** The unified `acpi` (b_info level since 4.17; `u.hvm.acpi` is deprecated). */
  acpi: defbool(),
  bootloader: string(),
  bootloaderArgs: stringList(),
  timerMode: timerModeField(),
  nestedHvm: defbool(),
  apic: defbool(),
  dmRestrict: defbool(),
  tee: enumeration('libxl_tee_type', ['none', 'optee'] as const, 'none'),
  u: BuildInfoUnion,
  archArm: ArchArmBuildInfo,
  archX86: ArchX86BuildInfo,
  altp2m: enumeration('libxl_altp2m_mode', ['disabled', 'mixed', 'external', 'limited'] as const, 'disabled'),
  vmtraceBufKb: integer(),
  vpmu: defbool(),
});
export type DomainBuildInfo = IdlValue<typeof DomainBuildInfo>;

/**
 * `libxl_domain_build_info_init` then `libxl_domain_build_info_init_type(type)`: every member at
 * its IDL default, with the `u` arm of `type`.
 */
export function defaultDomainBuildInfo(type: LibxlDomainType = 'invalid'): DomainBuildInfo {
  const info = DomainBuildInfo.make();
  info.u = BuildInfoUnion.armDefault(type);
  return info;
}

export function domainBuildInfoToJson(value: DomainBuildInfo): JsonValue {
  return DomainBuildInfo.json.gen(value);
}
