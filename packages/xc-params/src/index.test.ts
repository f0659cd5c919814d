import { describe, expect, it } from 'vitest';
import * as api from './index.ts';
import { HVM_PARAMS } from './public/hvm-params.ts';

// The index is the API-review surface: a change to this list is a change to every consumer.
const RUNTIME_EXPORTS = [
  'CONSOLE_LOG_LIMIT',
  'DOMID_FIRST_RESERVED',
  'DOMID_SELF',
  'GENID_NOTIFY_GPE',
  'GUEST_ADDRESS_LIMIT',
  'HVM_NR_PARAMS',
  'HVM_PARAMS',
  'HVM_PARAMS_DEPRECATED',
  'LOCAL_DOMAIN_PATH',
  ...Object.keys(HVM_PARAMS),
  'MAX_FOREIGN_MAP_PAGES',
  'MAX_GUEST_MEMORY_ACCESS',
  'MemoryHypervisor',
  'PLATFORM_ACPI_KEY',
  'PLATFORM_GENERATION_ID_DEFAULT',
  'PLATFORM_GENERATION_ID_KEY',
  'UINT64_MAX',
  'DOMAIN0_MAX_MEM_KB',
  'DOMAIN0_VCPUS',
  'SCHEDULER',
  'SCHED_CREDIT2_DEFAULTS',
  'XEN_CONSOLE_RING_SIZE',
  'xenBootLog',
  'VERSION_INFO',
  'physinfo',
  'UUID_TEXT',
  'XC_ERRNO',
  'XC_PAGE_SHIFT',
  'XC_PAGE_SIZE',
  'XcError',
  'addressToPfn',
  'allocateDomid',
  'appendConsoleLog',
  'applySchedCredit2',
  'clearConsoleLog',
  'checkCreateDomainOptions',
  'checkGuestRange',
  'checkGpe',
  'checkPagesBuffer',
  'checkPendingStart',
  'checkShutdownReason',
  'checkTrigger',
  'readConsoleLog',
  'createGuestMemory',
  'createXc',
  'guestFrames',
  'domainPath',
  'hvmParamIndex',
  'isCanonicalUuid',
  'hvmParamName',
  'pageOffset',
  'pfnToAddress',
  'readGuestRange',
  'runGuestWork',
  'writeGuestRange',
];

describe('@xen-genid/xc-params public API', () => {
  it('exports exactly the reviewed runtime names', () => {
    expect(Object.keys(api).sort()).toEqual([...RUNTIME_EXPORTS].sort());
  });

  it('keeps the xenstore contract and page constants', () => {
    expect(api.PLATFORM_GENERATION_ID_KEY).toBe('platform/generation-id');
    expect(api.PLATFORM_GENERATION_ID_DEFAULT).toBe('0:0');
    expect(api.PLATFORM_ACPI_KEY).toBe('platform/acpi');
    expect(api.GENID_NOTIFY_GPE).toBe(5);
    expect(api.domainPath(3)).toBe('/local/domain/3');
    expect(api.isCanonicalUuid('6f1c2a3e-8d4b-4e5f-9a0b-1c2d3e4f5a6b')).toBe(true);
    expect(api.isCanonicalUuid('6F1C2A3E-8D4B-4E5F-9A0B-1C2D3E4F5A6B')).toBe(false);
    expect(api.UUID_TEXT.test('6F1C2A3E-8D4B-4E5F-9A0B-1C2D3E4F5A6B')).toBe(true);
    expect(api.UUID_TEXT.test('6f1c2a3e-8d4b-4e5f-9a0b-1c2d3e4f5a6')).toBe(false);
    expect([api.XC_PAGE_SIZE, api.XC_PAGE_SHIFT, api.DOMID_SELF, api.DOMID_FIRST_RESERVED]).toEqual([4096, 12, 0x7ff0, 0x7ff0]);
    expect(api.addressToPfn(0xfc001010n)).toBe(0xfc001);
    expect(api.UINT64_MAX).toBe(18446744073709551615n);
  });
});
