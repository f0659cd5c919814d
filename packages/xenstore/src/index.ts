export { XS_ERRNO, XSD_ERRORS, XsError, isWireErrorName, type XsErrno } from './errors.ts';
export {
  XENSTORE_ABS_PATH_MAX,
  XENSTORE_REL_PATH_MAX,
  baseName,
  canonicalizePath,
  childPath,
  getDomainPath,
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
export { createMemoryBackend, type MemoryBackend } from './memory-backend.ts';
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
