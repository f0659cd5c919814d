/**
 * Every IDL type xl-lib declares, by libxl name: the list libxl's `gentest.py` walks to round-trip
 * each type through JSON. A new type module registers here.
 */
import type { AnyIdlType } from './idl.ts';
import { DomainCreateInfo } from './domain-create-info.ts';
import { DomainSchedParams } from './domain-sched-params.ts';
import {
  ArchArmBuildInfo,
  ArchX86BuildInfo,
  DomainBuildInfo,
  HvmBuildInfo,
  PvBuildInfo,
  PvhBuildInfo,
  RdmReserve,
  SdlInfo,
  SpiceInfo,
  VgaInterfaceInfo,
  VncInfo,
} from './domain-build-info.ts';
import { DomainConfig } from './domain-config.ts';
import { DeviceDisk, DeviceNic } from './devices.ts';

export const typeRegistry: ReadonlyMap<string, AnyIdlType> = new Map<string, AnyIdlType>(
  [
    DomainCreateInfo,
    DomainSchedParams,
    VgaInterfaceInfo,
    VncInfo,
    SdlInfo,
    SpiceInfo,
    RdmReserve,
    HvmBuildInfo,
    PvBuildInfo,
    PvhBuildInfo,
    ArchArmBuildInfo,
    ArchX86BuildInfo,
    DomainBuildInfo,
    DeviceDisk,
    DeviceNic,
    DomainConfig,
  ].map((field) => [field.idlType, field as AnyIdlType]),
);
