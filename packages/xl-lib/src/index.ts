export { XL_ERROR, XlError, type XlErrorCode, strerrorOf, wrapFailure, xlErrorCodeOf } from './errors.ts';
export { generationIdPath, msVmGenidSet, type GenidSetResult } from './genid/genid-set.ts';
export {
  consoleChain,
  hypervisorConsoles,
  type ConsoleRef,
  type ConsoleSource,
  type ConsoleType,
} from './console/console-source.ts';
export { hasPvDrivers } from './stored-config.ts';
export { Libxl, createLibxl, type LibxlDomainInfo, type LibxlOptions } from './lifecycle/libxl.ts';
export { libxlGuestModel, memoryMachine, type Machine } from './lifecycle/guest-model.ts';
export type { CreateDomainOptions, RestoreHooks } from './lifecycle/create.ts';
export { EMULATOR_ID_QEMU_UPSTREAM, type DeviceModelPort } from './lifecycle/device-model.ts';
export type { DomainNameIndex } from './lifecycle/name-index.ts';
export type { LibxlTrigger, ShutdownOutcome } from './lifecycle/run-state.ts';
export { acpiEnabled, libxlPath, vmPath } from './lifecycle/xenstore-layout.ts';
export { USERDATA_GENID_NOTIFY, deliverPendingGenidNotify, notifyGenidChange } from './genid/notify.ts';
export type { GenidPort } from './genid/port.ts';
export {
  queryVmGenid,
  vmGenidDisagreements,
  type VmGenidDisagreement,
  type VmGenidViewName,
  type VmGenidViews,
} from './genid/query.ts';
export {
  GENID_HISTORY_LIMIT,
  USERDATA_GENID_HISTORY,
  genidTimeline,
  parseGenidHistory,
  vmGenidHistory,
  type GenidHistoryEntry,
  type GenidHistoryStep,
} from './genid/history.ts';
export { renewVmGenid, type VmGenidRenewal, type VmGenidRequest } from './genid/renewal.ts';
export { genidFromConfigJson } from './genid/saved-image.ts';
export { JsonDouble, ParsedJsonMap, jsonNodeKind, parseLibxlJson, type JsonNodeKind, type ParsedJson } from './json/json-parse.ts';
export { yajlBeautify, yajlEncodeString, type JsonValue } from './json/yajl-gen.ts';
export {
  GENID_POLICY,
  decideGenid,
  genidModeOfConfig,
  genidOfConfig,
  genidPolicyRow,
  newRandomGenid,
  setGenidOfConfig,
  type GenidAction,
  type GenidDecision,
  type GenidMode,
  type GenidNotify,
  type GenidPolicyRow,
  type GenidQuestion,
  type LifecycleOperation,
} from './genid/lifecycle-policy.ts';
export {
  createFileRandomSource,
  createSeededRandomSource,
  osRandomSource,
  randomBytes,
  type RandomSource,
} from './random-bytes.ts';
export {
  ArchArmBuildInfo,
  ArchX86BuildInfo,
  BuildInfoUnion,
  DomainBuildInfo,
  HvmBuildInfo,
  IomemRange,
  IoportRange,
  LIBXL_INVALID_GFN,
  LIBXL_MAX_GRANT_DEFAULT,
  RDM_RESERVE_POLICIES,
  VnodeInfo,
  PvBuildInfo,
  PvhBuildInfo,
  RdmReserve,
  SdlInfo,
  SpiceInfo,
  VgaInterfaceInfo,
  VncInfo,
  defaultDomainBuildInfo,
  domainBuildInfoToJson,
} from './types/domain-build-info.ts';
export {
  ACTIONS_ON_SHUTDOWN,
  DomainConfig,
  copyDomainConfig,
  defaultDomainConfig,
  domainConfigEquals,
  domainConfigFromJsonText,
  domainConfigToJson,
  domainConfigToJsonText,
  validateDomainConfig,
  type ActionOnShutdown,
} from './types/domain-config.ts';
export {
  DOMAIN_TYPES,
  DomainCreateInfo,
  applyDomidPolicy,
  defaultDomainCreateInfo,
  domainCreateInfoToJson,
  type LibxlDomainType,
} from './types/domain-create-info.ts';
export {
  DomainSchedParams,
  LIBXL_DOMAIN_SCHED_PARAM_DEFAULT,
  defaultDomainSchedParams,
  domainSchedParamsToJson,
} from './types/domain-sched-params.ts';
export {
  ConnectorParam,
  DeviceChannel,
  DeviceDisk,
  DeviceDtdev,
  DeviceNic,
  DeviceP9,
  DevicePci,
  DevicePvcallsif,
  DeviceRdm,
  DeviceUsbctrl,
  DeviceUsbdev,
  DeviceVdispl,
  DeviceVfb,
  DeviceVkb,
  DeviceVsnd,
  DeviceVtpm,
  LIBXL_PCI_FUNC_ALL,
  USBCTRL_TYPES,
  VKB_BACKENDS,
  VSND_PCM_FORMATS,
  VsndParams,
  VsndPcm,
  VsndStream,
} from './types/devices.ts';
export {
  INVALID_DOMID,
  LIBXL_MEMKB_DEFAULT,
  NIL_UUID,
  RANDOM_DOMID,
  copyOf,
  defaultOf,
  idlEqual,
  validate,
  type AnyIdlType,
  type Defbool,
  type IdlType,
  type IdlValue,
  type KeyValue,
  type KeyedUnionType,
  type LibxlJson,
  type OpaqueJson,
  type StructType,
  type StructValue,
} from './types/idl.ts';
export { MsVmGenid } from './genid/ms-vm-genid.ts';
export {
  XEN_CPUID_INPUT_UNUSED,
  cpuidParseConfig,
  cpuidParseConfigXend,
  type CpuidLeafPolicy,
  type CpuidPolicyList,
  type MsrPolicy,
} from './types/cpuid-policy.ts';
export { strtoul } from './c/strtoul.ts';
export {
  LIBXL_MS_VM_GENID_LEN,
  MS_VM_GENID_FORMS,
  MS_VM_GENID_FORM_NAMES,
  type MsVmGenidForm,
  type MsVmGenidTextForm,
  type VmwareGenid,
} from './genid/text-forms.ts';
export { typeRegistry } from './types/registry.ts';
export { UUID_TEXT, generateUuid } from './uuid.ts';
export {
  DHDR_TYPE_X86_HVM,
  IHDR_VERSION,
  REC_TYPE,
  REC_TYPE_LIBXL,
  XL_MANDATORY_FLAG_JSON,
  XL_MANDATORY_FLAG_STREAMv2,
  XL_SAVEFILE_MAGIC,
} from './stream/format.ts';
export { bufferSource, chunkSource, fileSource, type ByteSource, type FileSourceOptions, type RereadableSource } from './stream/byte-source.ts';
export {
  XL_OPTIONAL_TAIL_MAGIC,
  readSaveImage,
  type ReadSaveImageOptions,
  type SaveImage,
  type SaveImageExtras,
  type XlHeader,
} from './stream/save-image.ts';
export {
  PROGRESS_END_OF_STREAM,
  PROGRESS_FRAMES_RESTORED,
  PROGRESS_FRAMES_SENT,
  PROGRESS_START_OF_STREAM,
  type LibxcLog,
  type ProgressReport,
} from './progress.ts';
export type { LibxcImage, PageEntry, TscInfo } from './stream/libxc-stream.ts';
export { SAVED_HVM_PARAMS, saveImageChunks, type SaveImageOptions } from './stream/write-save-image.ts';
export {
  assertSaveImage,
  checkSaveImage,
  type CheckSaveImageOptions,
  type SaveImageProblem,
} from './stream/check-save-image.ts';
export { openSaveFile, readSaveFile, writeSaveFile, type SaveFileTarget } from './save-restore/save-file.ts';
export { applySaveImage } from './save-restore/apply-image.ts';
export { channelFromDuplex, createChannelPair, type ByteChannel } from './save-restore/channel.ts';
export {
  restoreDomain,
  restoreImage,
  saveDomain,
  type RestoreOptions,
  type RestoreResult,
  type SaveOptions,
  type SaveRestoreContext,
  type SaveResult,
  type XlHeaderInfo,
} from './save-restore/operations.ts';
export {
  INCOMING_SUFFIX,
  beginMigrationReceive,
  beginMigrationSend,
  migrateDomain,
  receiveMigration,
  sendMigration,
  type MigrateReceiveOptions,
  type MigrateSendOptions,
  type MigrateSendResult,
  type MigrationReceive,
  type MigrationSend,
} from './save-restore/migrate.ts';
export {
  MemoryUserdataStore,
  USERDATA_LIBXL_JSON,
  USERDATA_XL,
  checkUserdataKey,
  retrieveUserdataText,
  storeUserdataText,
  type UserdataStore,
} from './userdata.ts';
