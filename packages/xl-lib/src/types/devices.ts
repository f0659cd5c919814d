/**
 * libxl's device types (`tools/libs/light/libxl_types.idl`, Xen 4.17), each declared once, in the
 * IDL's member order (the order libxl prints them in).
 */
import {
  array,
  boolean,
  defbool,
  devid,
  domid,
  enumeration,
  integer,
  keyedUnion,
  mac,
  string,
  struct,
  uint32,
  uint64,
  uint8,
  uuid,
  type IdlValue,
} from './idl.ts';
import { SdlInfo, VncInfo, rdmReservePolicyField } from './domain-build-info.ts';

/** `libxl_device_disk`. */
export const DeviceDisk = struct('libxl_device_disk', {
  backendDomid: domid(),
  backendDomname: string(),
  pdevPath: string(),
  vdev: string(),
  backend: enumeration('libxl_disk_backend', ['unknown', 'phy', 'tap', 'qdisk', 'standalone'], 'unknown'),
  format: enumeration('libxl_disk_format', ['unknown', 'qcow', 'qcow2', 'vhd', 'raw', 'empty', 'qed'], 'unknown'),
  script: string(),
  removable: integer(),
  readwrite: integer(),
  isCdrom: integer(),
  directIoSafe: boolean(),
  discardEnable: defbool(),
  specification: enumeration('libxl_disk_specification', ['unknown', 'xen', 'virtio'], 'unknown'),
  transport: enumeration('libxl_disk_transport', ['unknown', 'mmio'], 'unknown'),
  irq: uint32(),
  base: uint64(),
  coloEnable: defbool(),
  coloRestoreEnable: defbool(),
  coloHost: string(),
  coloPort: integer(),
  coloExport: string(),
  activeDisk: string(),
  hiddenDisk: string(),
  trusted: defbool(),
});
export type DeviceDisk = IdlValue<typeof DeviceDisk>;

/** `libxl_device_nic`. */
export const DeviceNic = struct('libxl_device_nic', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  mtu: integer(),
  model: string(),
  mac: mac(),
  ip: string(),
  bridge: string(),
  ifname: string(),
  script: string(),
  nictype: enumeration('libxl_nic_type', ['unknown', 'vif_ioemu', 'vif'], 'unknown'),
  rateBytesPerInterval: uint64(),
  rateIntervalUsecs: uint32(),
  gatewaydev: string(),
  coloftForwarddev: string(),
  coloSockMirrorId: string(),
  coloSockMirrorIp: string(),
  coloSockMirrorPort: string(),
  coloSockComparePriInId: string(),
  coloSockComparePriInIp: string(),
  coloSockComparePriInPort: string(),
  coloSockCompareSecInId: string(),
  coloSockCompareSecInIp: string(),
  coloSockCompareSecInPort: string(),
  coloSockCompareNotifyId: string(),
  coloSockCompareNotifyIp: string(),
  coloSockCompareNotifyPort: string(),
  coloSockRedirector0Id: string(),
  coloSockRedirector0Ip: string(),
  coloSockRedirector0Port: string(),
  coloSockRedirector1Id: string(),
  coloSockRedirector1Ip: string(),
  coloSockRedirector1Port: string(),
  coloSockRedirector2Id: string(),
  coloSockRedirector2Ip: string(),
  coloSockRedirector2Port: string(),
  coloFilterMirrorQueue: string(),
  coloFilterMirrorOutdev: string(),
  coloFilterRedirector0Queue: string(),
  coloFilterRedirector0Indev: string(),
  coloFilterRedirector0Outdev: string(),
  coloFilterRedirector1Queue: string(),
  coloFilterRedirector1Indev: string(),
  coloFilterRedirector1Outdev: string(),
  coloComparePriIn: string(),
  coloCompareSecIn: string(),
  coloCompareOut: string(),
  coloCompareNotifyDev: string(),
  coloSockSecRedirector0Id: string(),
  coloSockSecRedirector0Ip: string(),
  coloSockSecRedirector0Port: string(),
  coloSockSecRedirector1Id: string(),
  coloSockSecRedirector1Ip: string(),
  coloSockSecRedirector1Port: string(),
  coloFilterSecRedirector0Queue: string(),
  coloFilterSecRedirector0Indev: string(),
  coloFilterSecRedirector0Outdev: string(),
  coloFilterSecRedirector1Queue: string(),
  coloFilterSecRedirector1Indev: string(),
  coloFilterSecRedirector1Outdev: string(),
  coloFilterSecRewriter0Queue: string(),
  coloCheckpointHost: string(),
  coloCheckpointPort: string(),
  trusted: defbool(),
});
export type DeviceNic = IdlValue<typeof DeviceNic>;

/** `LIBXL_PCI_FUNC_ALL` (`~0U`): every function of the device (`vfunc_mask` of a `*` BDF). */
export const LIBXL_PCI_FUNC_ALL = 0xffffffff;

/** `libxl_device_pci`. */
export const DevicePci = struct('libxl_device_pci', {
  func: uint8(),
  dev: uint8(),
  bus: uint8(),
  domain: integer(),
  vdevfn: uint32(),
  vfuncMask: uint32(),
  msitranslate: boolean(),
  powerMgmt: boolean(),
  permissive: boolean(),
  seize: boolean(),
  rdmPolicy: rdmReservePolicyField(),
  name: string(),
});
export type DevicePci = IdlValue<typeof DevicePci>;

/** `libxl_device_rdm`. */
export const DeviceRdm = struct('libxl_device_rdm', {
  start: uint64(),
  size: uint64(),
  policy: rdmReservePolicyField(),
});
export type DeviceRdm = IdlValue<typeof DeviceRdm>;

/** `libxl_device_dtdev`. */
export const DeviceDtdev = struct('libxl_device_dtdev', {
  path: string(),
});
export type DeviceDtdev = IdlValue<typeof DeviceDtdev>;

/** `libxl_device_vfb`. */
export const DeviceVfb = struct('libxl_device_vfb', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  vnc: VncInfo,
  sdl: SdlInfo,
  keymap: string(),
});
export type DeviceVfb = IdlValue<typeof DeviceVfb>;

/** `libxl_vkb_backend`. */
export const VKB_BACKENDS = ['unknown', 'qemu', 'linux'] as const;

/** `libxl_device_vkb`. */
export const DeviceVkb = struct('libxl_device_vkb', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  backendType: enumeration('libxl_vkb_backend', VKB_BACKENDS, 'unknown'),
  uniqueId: string(),
  featureDisableKeyboard: boolean(),
  featureDisablePointer: boolean(),
  featureAbsPointer: boolean(),
  featureRawPointer: boolean(),
  featureMultiTouch: boolean(),
  width: uint32(),
  height: uint32(),
  multiTouchWidth: uint32(),
  multiTouchHeight: uint32(),
  multiTouchNumContacts: uint32(),
});
export type DeviceVkb = IdlValue<typeof DeviceVkb>;

/** `libxl_device_vtpm`. */
export const DeviceVtpm = struct('libxl_device_vtpm', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  uuid: uuid(),
});
export type DeviceVtpm = IdlValue<typeof DeviceVtpm>;

/** `libxl_device_p9`. */
export const DeviceP9 = struct('libxl_device_p9', {
  backendDomid: domid(),
  backendDomname: string(),
  tag: string(),
  path: string(),
  securityModel: string(),
  devid: devid(),
});
export type DeviceP9 = IdlValue<typeof DeviceP9>;

/** `libxl_device_pvcallsif`. */
export const DevicePvcallsif = struct('libxl_device_pvcallsif', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
});
export type DevicePvcallsif = IdlValue<typeof DevicePvcallsif>;

/** `libxl_device_channel`: `u` keyed by `connection` (`"connection.socket": { "path": ... }`). */
export const DeviceChannel = struct('libxl_device_channel', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  name: string(),
  u: keyedUnion(
    'libxl_device_channel.u',
    'connection',
    { unknown: null, pty: null, socket: struct('libxl_device_channel.u.socket', { path: string() }) },
    'unknown',
  ),
});
export type DeviceChannel = IdlValue<typeof DeviceChannel>;

/** `libxl_connector_param`. */
export const ConnectorParam = struct('libxl_connector_param', {
  uniqueId: string(),
  width: uint32(),
  height: uint32(),
});
export type ConnectorParam = IdlValue<typeof ConnectorParam>;

/** `libxl_device_vdispl`. */
export const DeviceVdispl = struct('libxl_device_vdispl', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  beAlloc: boolean(),
  connectors: array(ConnectorParam),
});
export type DeviceVdispl = IdlValue<typeof DeviceVdispl>;

/** `libxl_vsnd_pcm_format`, by its libxl name. */
export const VSND_PCM_FORMATS = [
  's8', 'u8', 's16_le', 's16_be', 'u16_le', 'u16_be', 's24_le', 's24_be', 'u24_le', 'u24_be', 's32_le', 's32_be',
  'u32_le', 'u32_be', 'f32_le', 'f32_be', 'f64_le', 'f64_be', 'iec958_subframe_le', 'iec958_subframe_be', 'mu_law',
  'a_law', 'ima_adpcm', 'mpeg', 'gsm',
] as const;

/** `libxl_vsnd_params`. */
export const VsndParams = struct('libxl_vsnd_params', {
  sampleRates: array(uint32()),
  sampleFormats: array(enumeration('libxl_vsnd_pcm_format', VSND_PCM_FORMATS, 's8')),
  channelsMin: uint32(),
  channelsMax: uint32(),
  bufferSize: uint32(),
});
export type VsndParams = IdlValue<typeof VsndParams>;

/**
 * `libxl_vsnd_stream_type`. A stream whose type was never set holds 0, which the enumeration lacks:
 * `unset` stands for it and is printed as nothing, as libxl's `_to_string` of it is NULL.
 */
export const VsndStream = struct('libxl_vsnd_stream', {
  uniqueId: string(),
  type: enumeration('libxl_vsnd_stream_type', ['unset', 'p', 'c'] as const, 'unset'),
  params: VsndParams,
});
export type VsndStream = IdlValue<typeof VsndStream>;

/** `libxl_vsnd_pcm`. */
export const VsndPcm = struct('libxl_vsnd_pcm', {
  name: string(),
  params: VsndParams,
  streams: array(VsndStream),
});
export type VsndPcm = IdlValue<typeof VsndPcm>;

/** `libxl_device_vsnd`. */
export const DeviceVsnd = struct('libxl_device_vsnd', {
  backendDomid: domid(),
  backendDomname: string(),
  devid: devid(),
  shortName: string(),
  longName: string(),
  params: VsndParams,
  pcms: array(VsndPcm),
});
export type DeviceVsnd = IdlValue<typeof DeviceVsnd>;

/** `libxl_usbctrl_type`. */
export const USBCTRL_TYPES = ['auto', 'pv', 'devicemodel', 'qusb'] as const;

/** `libxl_device_usbctrl`. */
export const DeviceUsbctrl = struct('libxl_device_usbctrl', {
  type: enumeration('libxl_usbctrl_type', USBCTRL_TYPES, 'auto'),
  devid: devid(),
  version: integer(),
  ports: integer(),
  backendDomid: domid(),
  backendDomname: string(),
});
export type DeviceUsbctrl = IdlValue<typeof DeviceUsbctrl>;

/**
 * `libxl_device_usbdev`: `u` keyed by `type` (`"type.hostdev": { "hostbus", "hostaddr" }`). A
 * device whose type was never set holds 0, which `libxl_usbdev_type` lacks: the `unset` arm, printed
 * as nothing.
 */
export const DeviceUsbdev = struct('libxl_device_usbdev', {
  ctrl: devid(),
  port: integer(),
  u: keyedUnion(
    'libxl_device_usbdev.u',
    'type',
    { unset: null, hostdev: struct('libxl_device_usbdev.u.hostdev', { hostbus: uint8(), hostaddr: uint8() }) },
    'unset',
    'unset',
  ),
});
export type DeviceUsbdev = IdlValue<typeof DeviceUsbdev>;
