export { HOST_ERROR, HostError, type HostErrorCode } from './errors.ts';
export { HOST_ENV, defaultHostPath, type HostPathOptions } from './host-path.ts';
export { CURRENT_SCHEMA_VERSION, HOST_APPLICATION_ID } from './schema.ts';
export { DEFAULT_BUSY_TIMEOUT_MS } from './database.ts';
export { HOST_CRASH_AT_ENV } from './crash-points.ts';
export { SqliteHypervisor } from './sqlite-hypervisor.ts';
export { SqliteXenStoreBackend } from './sqlite-xenstore-backend.ts';
export { SqliteUserdataStore } from './sqlite-userdata.ts';
export { openHost, type Host, type OpenHostOptions, type RecoveryReport } from './open-host.ts';
