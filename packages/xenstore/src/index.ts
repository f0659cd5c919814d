export { XS_ERRNO, XSD_ERRORS, XsError, isWireErrorName, type XsErrno } from './errors.ts';
export {
  XENSTORE_ABS_PATH_MAX,
  XENSTORE_REL_PATH_MAX,
  baseName,
  canonicalizePath,
  childPath,
  isPathAtOrBelow,
  isSpecialPath,
  isValidNodeName,
  parentPath,
} from './path.ts';
export {
  XS_PERM_NONE,
  XS_PERM_OWNER,
  XS_PERM_READ,
  XS_PERM_WRITE,
  formatPermission,
  parsePermission,
  parsePermissions,
  permissionFor,
  type XsAccess,
  type XsPermission,
} from './perms.ts';
export {
  XS_NO_GENERATION,
  type XenStoreBackend,
  type XsChange,
  type XsChangeBatch,
  type XsCommit,
  type XsNode,
  type XsNodeContent,
  type XsNodeWrite,
} from './backend.ts';
export { ChildList, type ChildListChange, type ChildNameSource } from './child-list.ts';
export { createMemoryBackend, shareMemoryBackend, type MemoryBackend, type MemoryBackendOptions } from './memory-backend.ts';
export {
  XENSTORE_PAYLOAD_MAX,
  XS_DEFAULT_QUOTAS,
  XS_INTRODUCE_DOMAIN,
  XS_RELEASE_DOMAIN,
  createXenStore,
  type XenStore,
  type XenStoreOptions,
  type XsConnectOptions,
  type XsConnection,
  type XsOperations,
  type XsQuotas,
  type XsTransaction,
  type XsWatchCallback,
  type XsWatchEvent,
} from './store.ts';
export { createMemoryStore } from './memory-store.ts';
export { randomId } from './random-id.ts';
export { formatTraceEntry, type XsTraceEntry, type XsTraceOperation, type XsTraceSink } from './trace.ts';
export {
  XS_CONTROL,
  XS_DIRECTORY,
  XS_DIRECTORY_PART,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_GET_PERMS,
  XS_HEADER_SIZE,
  XS_INTRODUCE,
  XS_INVALID,
  XS_IS_DOMAIN_INTRODUCED,
  XS_MKDIR,
  XS_READ,
  XS_RELEASE,
  XS_RESET_WATCHES,
  XS_RESTRICT,
  XS_RESUME,
  XS_RM,
  XS_SET_PERMS,
  XS_SET_TARGET,
  XS_TRANSACTION_END,
  XS_TRANSACTION_START,
  XS_TYPE_COUNT,
  XS_TYPE_NAMES,
  XS_UNWATCH,
  XS_WATCH,
  XS_WATCH_EVENT,
  XS_WRITE,
  XsFrameDecoder,
  countStrings,
  encodeMessage,
  joinStrings,
  oneArgument,
  splitStrings,
  type XsMessage,
} from './wire.ts';
export { createXenstored, type Xenstored, type XenstoredOptions } from './xenstored.ts';
export { XsClient, connectXenstored, type XsClientOptions, type XsTransactionId } from './client.ts';
