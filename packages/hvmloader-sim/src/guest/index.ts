/**
 * `@xen-genid/hvmloader-sim/guest`: the software inside an HVM domain as a toolstack hands it to
 * the hypervisor (`createGuestModel`: the firmware, then a guest OS model that reads the VM
 * Generation ID through ACPI), the guest record that model keeps, and the guest OS's own parts
 * (RSDP scan, table walk, AML loader and evaluator, the vmgenid driver's read).
 */
export { HVMLOADER_ERROR, HvmloaderError, type HvmloaderErrorCode } from '../errors.ts';
export { Namespace, NamespaceNode, type AmlValue, type NamePath, type NamespaceObject } from './aml/namespace.ts';
export { AmlInterpreter } from './aml/loader.ts';
export { AmlReader } from './aml/reader.ts';
export { AmlEvaluator, type InterpreterOptions, type Notification } from './aml/evaluator.ts';
export { findRsdp, readTable, walkAcpiTables, type FoundTable, type TableWalk } from './acpi-tables.ts';
export {
  VMGENID_ACPI_IDS,
  decodeEisaId,
  probeVmGenerationId,
  readVmGenerationId,
  readVmGenerationIdFromTable,
  type GenerationIdReading,
} from './read-generation-id.ts';
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
} from './record.ts';
export { PV_CALLBACK_VECTOR, createGuestModel, type GuestModelOptions } from './model.ts';
