/**
 * `@xen-genid/hvmloader-sim/guest-model`: what a toolstack hands the hypervisor as a domain's
 * software (the firmware, then the guest OS model that reads the VM Generation ID through ACPI),
 * and the guest record that model keeps. Its module graph holds only the firmware and the guest
 * side: no real-Linux boot harness, no QEMU layouts, no command line, so a toolstack process can
 * load it at startup cheaply. Every name here is also exported from the package's main entry.
 */
export { HVMLOADER_ERROR, HvmloaderError, type HvmloaderErrorCode } from './errors.ts';
export { createGuestModel, type GuestModelOptions } from './guest/guest-model.ts';
export { PLATFORM_ACPI_KEY, runFirmware, type FirmwareOptions, type FirmwareRun } from './firmware/hvmloader.ts';
export { GENID_NOTIFY_GPE, GENID_NOTIFY_VALUE } from './acpi/genid-notify-ssdt.ts';
export {
  GUEST_RECORD_FORMAT,
  GUEST_RECORD_VERSION,
  GUEST_RECORD_HISTORY,
  EMPTY_GUEST_RECORD,
  guestRecordToJson,
  parseGuestRecord,
  readGuestRecord,
  type FirmwareRecord,
  type GuestEvent,
  type GuestRead,
  type GuestReadReason,
  type GuestRecord,
} from './guest/guest-record.ts';
