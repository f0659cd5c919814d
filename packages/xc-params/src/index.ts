export * from './public/hvm-params.ts';
export {
  PLATFORM_GENERATION_ID_KEY,
  PLATFORM_GENERATION_ID_DEFAULT,
  domainPath,
} from './public/xenstore-paths.ts';
export { XC_ERRNO, XcError, type XcErrno } from './errors.ts';
export {
  XC_PAGE_SIZE,
  XC_PAGE_SHIFT,
  DOMID_SELF,
  DOMID_FIRST_RESERVED,
  type CreateDomainOptions,
  type DomainInfo,
  type DomainType,
  type GuestModel,
  type Hypervisor,
  type PendingStart,
  type ShutdownReason,
} from './hypervisor.ts';
export {
  createXc,
  type ForeignMapping,
  type UnsignedLongOptions,
  type XcInterface,
  type XcOptions,
} from './xc.ts';
