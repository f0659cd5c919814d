/**
 * The device model plugged under the toolstack, as libxl runs qemu-xen for an HVM domain
 * (`tools/libs/light/libxl_dm.c`): for a domain whose config has a `kernel`, power-on runs
 * hvmloader-sim's firmware into the domain's RAM file (under the layout of the QEMU machine its
 * device model arguments pick, `pc` or `q35`), then starts QEMU on that RAM with the kernel; the
 * domain's guest memory, as every reader and writer sees it (`msVmGenidSet`, `xl vm-genid`), is that
 * file; pause, unpause, destroy and the triggers (power button, reset, NMI) reach QEMU; the guest's
 * view of the ID is what its kernel logged. A save carries QEMU's device state (without the RAM,
 * whose pages go in libxc's stream) in the EMULATOR_CONTEXT record, through xl-lib's device model
 * port; a restored domain's QEMU starts from it (`-incoming`) when the domain is first unpaused,
 * as libxl starts qemu-xen with the saved state. Domains without a kernel stay simulated.
 *
 * Both halves work on the hypervisor interface, so xl-lib drives a real guest through the same
 * code paths as a simulated one: `attachDeviceModels` wraps the host's hypervisor and returns the
 * guest model to register with it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { GENID_NOTIFY_VALUE, GENID_NOTIFY_ZONE_PATH, VGID_DEVICE_PATH, runFirmware } from '@xen-genid/hvmloader-sim';
import { EMPTY_GUEST_RECORD, GUEST_RECORD_HISTORY, createGuestModel, guestRecordToJson, type GuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { GENID_NOTIFY_GPE, HVM_PARAM_VM_GENERATION_ID_ADDR, XC_PAGE_SIZE, checkTrigger, domainPath, pfnToAddress, type DomainTrigger, type GuestModel, type Hypervisor } from '@xen-genid/xc-params';
import type { XenStore } from '@xen-genid/xenstore';
import { USERDATA_LIBXL_JSON, domainConfigFromJsonText, hasPvDrivers, retrieveUserdataText, type ConsoleRef, type ConsoleSource, type DeviceModelPort, type DomainConfig, type UserdataStore } from '@xen-genid/xl-lib';
import { DeviceModel, deviceModelFiles, killDeviceModel, launchDeviceModel, reapDeviceModel, runningDeviceModel, writeConsoleInput, type DeviceModelFiles } from './device-model.ts';
import { decodeDeviceState, encodeDeviceState } from './device-state.ts';
import { QemuDmError } from './errors.ts';
import { cachedModuleBeside } from './guest/kernel-modules.ts';
import type { GuestBootPlan } from './linux/boot.ts';
import { qemuLayoutFor } from './linux/firmware-plan.ts';
import { machineOfConfig } from './machine-args.ts';
import { RamFile } from './ram-file.ts';
import { defaultRunDir, deviceModelDomids, hostIdentity } from './run-dir.ts';
import { readGuestConsole, startRealGuest } from './real-guest.ts';

/** libxl's key for the device model's pid (`libxl__spawn_local_dm`: `/local/domain/<domid>/image/device-model-pid`). */
export const DEVICE_MODEL_PID_KEY = 'image/device-model-pid';

export interface DeviceModelHostOptions {
  readonly hypervisor: Hypervisor;
  readonly store: XenStore;
  readonly userdata: UserdataStore;
  /** The host file: its identity names the device models' files, so two host files never share them. */
  readonly hostPath: string;
  /** Where the RAM files, sockets and logs live (default `defaultRunDir()`). */
  readonly runDir?: string;
  readonly qemu?: string;
  readonly busybox?: string;
}

export interface AttachedDeviceModels {
  /** The host's hypervisor, with real guests' memory and run state in their device models. */
  readonly hypervisor: Hypervisor;
  /** The software of every domain: a real kernel under QEMU when the config has one, else the simulated guest. */
  readonly guestModel: GuestModel;
  /** The device models' state for save and restore (xl-lib's port). */
  readonly deviceModel: DeviceModelPort;
  /** Real guests' serial consoles (QEMU's serial port: its log, and input into its socket), for `xl console`. */
  readonly consoles: ConsoleSource;
  /** The files of `domid`'s device model. */
  filesOf(domid: number): DeviceModelFiles;
}

const MIB = 1024 * 1024;
/** How long a power button press waits for the guest to power off (its `/init` looks every second). */
const POWER_OFF_WAIT_MS = 30_000;

export function attachDeviceModels(options: DeviceModelHostOptions): AttachedDeviceModels {
  const base = options.hypervisor;
  const runDir = options.runDir ?? defaultRunDir();
  const hostId = hostIdentity(options.hostPath);
  const rams = new Map<number, RamFile>();
  // Asked at every page a domain's memory is read or written through: worked out once per domain.
  const files = new Map<number, DeviceModelFiles>();
  const filesOf = (domid: number): DeviceModelFiles => {
    let found = files.get(domid);
    if (found === undefined) {
      found = deviceModelFiles(runDir, hostId, domid);
      files.set(domid, found);
    }
    return found;
  };

  /** The RAM file of a real guest, or undefined for a simulated domain. */
  const ramOf = (domid: number): RamFile | undefined => {
    const open = rams.get(domid);
    if (open) return open;
    const { ram } = filesOf(domid);
    if (!existsSync(ram)) return undefined;
    const file = RamFile.open(ram);
    rams.set(domid, file);
    return file;
  };
  const forget = (domid: number): void => {
    rams.get(domid)?.close();
    rams.delete(domid);
  };
  const deviceModelOf = (domid: number): DeviceModel | undefined => {
    const files = filesOf(domid);
    const pid = runningDeviceModel(files);
    return pid === undefined ? undefined : new DeviceModel(files, pid);
  };
  /** Ends a domain's device model: QEMU, its files, and libxl's record of its pid. */
  const readIfThere = (path: string): Uint8Array => (existsSync(path) ? readFileSync(path) : new Uint8Array(0));
  /** With `keepLog`, the serial log stays: a reset guest's console goes on where it was. */
  const reap = (domid: number, keepLog = false): void => {
    forget(domid);
    const files = filesOf(domid);
    const log = keepLog ? readIfThere(files.consoleLog) : undefined;
    reapDeviceModel(files);
    if (log !== undefined && log.length > 0) writeFileSync(files.consoleLog, log, { mode: 0o600 });
  };

  /**
   * QEMU stopped by the toolstack, and run again: the `stopped` mark lasts from before the stop to
   * after the continue, so a toolstack killed in between leaves a sign of a guest held stopped.
   */
  const stopGuest = (dm: DeviceModel): void => {
    writeFileSync(dm.files.stopped, '', { mode: 0o600 });
    dm.pause();
  };
  const continueGuest = (dm: DeviceModel): void => {
    dm.unpause();
    rmSync(dm.files.stopped, { force: true });
  };

  const overrides: Partial<Hypervisor> = {
    readPage(domid: number, pfn: number): Uint8Array | undefined {
      const ram = ramOf(domid);
      return ram ? ram.read(pfnToAddress(pfn), XC_PAGE_SIZE) : base.readPage(domid, pfn);
    },
    writePage(domid: number, pfn: number, data: Uint8Array): void {
      const ram = ramOf(domid);
      if (ram) ram.write(pfnToAddress(pfn), data);
      else base.writePage(domid, pfn, data);
    },
    readPages(domid: number, pfns: readonly number[], into?: Uint8Array): (Uint8Array | undefined)[] {
      const ram = ramOf(domid);
      return ram ? pfns.map((pfn) => ram.read(pfnToAddress(pfn), XC_PAGE_SIZE)) : base.readPages(domid, pfns, into);
    },
    writePages(domid: number, pages: Iterable<readonly [pfn: number, data: Uint8Array]>): void {
      const ram = ramOf(domid);
      if (!ram) return base.writePages(domid, pages);
      for (const [pfn, data] of pages) ram.write(pfnToAddress(pfn), data);
    },
    touchedPages(domid: number): number[] {
      return ramOf(domid)?.nonZeroPages() ?? base.touchedPages(domid);
    },
    pauseDomain(domid: number): void {
      base.pauseDomain(domid);
      const dm = deviceModelOf(domid);
      if (dm) stopGuest(dm);
    },
    unpauseDomain(domid: number): void {
      const pending = base.getDomain(domid)?.pendingStart ?? null;
      base.unpauseDomain(domid);
      // A pending boot started QEMU running; otherwise the guest continues where it stopped.
      const dm = pending === null ? deviceModelOf(domid) : undefined;
      if (dm) continueGuest(dm);
    },
    resetDomain(domid: number): void {
      reap(domid, true);
      base.resetDomain(domid);
    },
    destroyDomain(domid: number): void {
      reap(domid);
      base.destroyDomain(domid);
    },
    /**
     * The reset trigger of a real guest is its device model's reset (QMP `system_reset`), which
     * qemu-xen reports as the domain's reboot (`hw/i386/xen/xen-hvm.c` destroy_hvm_domain), so the
     * config's `on_reboot` applies. Xen 4.17's domctl implements no reset trigger (ENOSYS), as for
     * a simulated guest. A reset sent to a paused or shut-down guest is lost, as a button is.
     */
    sendTrigger(domid: number, trigger: DomainTrigger, vcpu: number): void {
      const dm = trigger === 'reset' && ramOf(domid) ? deviceModelOf(domid) : undefined;
      const info = base.getDomain(domid);
      if (dm === undefined || info === undefined) return base.sendTrigger(domid, trigger, vcpu);
      checkTrigger(info, 'power', vcpu); // the vCPU, and an HVM guest, as for its buttons
      if (info.paused || info.shutdown !== null) return;
      dm.reset();
      base.shutdownDomain(domid, 'reboot');
    },
    getGuestRecord(domid: number): string | undefined {
      if (!ramOf(domid)) return base.getGuestRecord(domid);
      return guestRecordToJson(recordFromConsole(domid));
    },
  };

  // The base's methods bound to it, each bound once (every call through the proxy reads one).
  const bound = new WeakMap<object, unknown>();
  const hypervisor = new Proxy(base, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property in overrides) return overrides[property as keyof Hypervisor];
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let method = bound.get(value);
      if (method === undefined) {
        method = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(value, method);
      }
      return method;
    },
  });

  /** The guest's record, from what its kernel logged. */
  const recordFromConsole = (domid: number): GuestRecord => {
    const view = readGuestConsole(filesOf(domid));
    const address = hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
    const firstRead = view.bootRead ?? null;
    const reads = [
      ...(firstRead ? [{ reason: 'boot' as const, at: 0, ok: true, genid: firstRead, address, path: VGID_DEVICE_PATH, changed: false, failures: [] }] : []),
      ...view.forkReads.map((genid) => ({ reason: 'notify' as const, at: 0, ok: true, genid, address, path: VGID_DEVICE_PATH, changed: true, failures: [] })),
    ];
    // Each notify the driver received: the toolstack's GPE, answered by the device model's zone.
    const events = Array.from({ length: view.notifies }, () => ({
      at: 0,
      gpe: GENID_NOTIFY_GPE,
      handler: `${GENID_NOTIFY_ZONE_PATH}._TMP`,
      notifications: [{ path: VGID_DEVICE_PATH, value: GENID_NOTIFY_VALUE }],
      failure: null,
    }));
    return {
      ...EMPTY_GUEST_RECORD,
      eventCount: events.length,
      events: events.slice(-GUEST_RECORD_HISTORY),
      genid: view.current ?? null,
      address: view.current ? address : null,
      path: view.current ? VGID_DEVICE_PATH : null,
      readCount: reads.length,
      reads,
      lastFailure: view.ready && !view.bound ? 'vmgenid bound no device' : null,
    };
  };

  /**
   * A stored config's text parsed, the last one kept (read only): a boot reads the config twice,
   * for its kernel (`realGuestOf`) and then for the simulated guest's PV drivers.
   */
  let lastParsed: { readonly text: string; readonly config: DomainConfig } | undefined;
  const parseStored = (text: string): DomainConfig => {
    if (lastParsed?.text !== text) lastParsed = { text, config: domainConfigFromJsonText(text) };
    return lastParsed.config;
  };

  const simulated = createGuestModel({
    hypervisor,
    store: options.store,
    pvDrivers: (domid) => hasPvDrivers({ hypervisor, userdata: options.userdata }, domid, parseStored),
  });

  /** The stored config of an HVM domain that runs a real kernel, and that kernel; undefined for a simulated one. */
  const realGuestOf = (domid: number): { config: DomainConfig; kernel: string } | undefined => {
    const text = base.getDomain(domid)?.type === 'hvm' ? retrieveUserdataText(options.userdata, domid, USERDATA_LIBXL_JSON) : undefined;
    const config = text === undefined ? undefined : parseStored(text);
    const kernel = config?.buildInfo.kernel;
    if (config === undefined || kernel === undefined || kernel === '' || basename(kernel) === 'hvmloader') return undefined;
    return { config, kernel };
  };
  const memoryMiBOf = (domid: number): number => Math.floor((base.getDomain(domid)?.maxMemKb ?? 0) / 1024);
  /** A new RAM file of the domain's memory, its files left from before removed first (but its console's log). */
  const createRam = (domid: number): void => {
    reap(domid, true);
    const memoryMiB = memoryMiBOf(domid);
    try {
      RamFile.create(filesOf(domid).ram, memoryMiB * MIB).close();
    } catch (error) {
      throw new QemuDmError('INVALID_ARGUMENT', `domain ${domid}: guest RAM of ${memoryMiB} MiB: ${(error as Error).message}`);
    }
  };
  /**
   * libxl's record of the device model's pid. The kernel runs on plain QEMU, without Xen's PV
   * drivers: its `HVM_PARAM_CALLBACK_IRQ` stays 0, so libxl sees no PV control interface, and xl
   * shutdown and reboot need `-F` (the power button and the reset, through the device model).
   */
  const recordPid = (domid: number, pid: number): void => {
    const xs = options.store.connect(0);
    try {
      xs.write(`${domainPath(domid)}/${DEVICE_MODEL_PID_KEY}`, String(pid));
    } finally {
      xs.close();
    }
  };

  const recordedPid = (domid: number): string | undefined => {
    const xs = options.store.connect(0);
    try {
      const value = xs.tryRead(`${domainPath(domid)}/${DEVICE_MODEL_PID_KEY}`);
      return value === undefined ? undefined : Buffer.from(value).toString();
    } finally {
      xs.close();
    }
  };

  const realBoot = (domid: number, kernel: string, config: DomainConfig): void => {
    const files = filesOf(domid);
    const machine = machineOfConfig(config);
    const layout = qemuLayoutFor(machine);
    createRam(domid);
    try {
      const firmware = runFirmware(hypervisor, options.store, domid, { layout });
      const dsdt = firmware.tables?.tables.find((table) => table.signature === 'DSDT');
      if (!dsdt) throw new QemuDmError('INVALID_ARGUMENT', `domain ${domid}: the firmware built no DSDT (platform/acpi is off)`);
      const start = Math.min(layout.infoAddress, layout.dynamicStart);
      const end = Math.max(layout.infoAddress + layout.infoSize, layout.dynamicEnd);
      const plan: GuestBootPlan = {
        machine,
        tables: [{ name: 'dsdt.aml', bytes: ramOf(domid)!.read(BigInt(dsdt.address), dsdt.length) }],
        memory: [],
        reserved: [{ address: BigInt(start), size: BigInt(end - start) }],
        idAddress: firmware.vmGenerationIdAddress,
        devicePath: VGID_DEVICE_PATH,
      };
      const button = cachedModuleBeside(kernel);
      const commandLine = config.buildInfo.cmdline;
      const dm = startRealGuest(plan, {
        kernel,
        ...(button ? { modules: [button] } : {}),
        ...(config.buildInfo.ramdisk ? { ramdisk: config.buildInfo.ramdisk } : {}),
        ...(commandLine ? { commandLine } : {}),
        ...(options.qemu !== undefined ? { qemu: options.qemu } : {}),
        ...(options.busybox !== undefined ? { busybox: options.busybox } : {}),
        machine,
        memoryMiB: memoryMiBOf(domid),
        files,
        existingRam: true,
      });
      recordPid(domid, dm.pid);
    } catch (error) {
      reap(domid);
      throw error;
    }
  };

  /**
   * A restored domain's first unpause: QEMU starts waiting for device state (`-incoming`, on the
   * same machine and kernel, so its ROMs match), loads the restored state, and the guest runs on
   * the restored RAM, which already holds the ID the policy chose.
   */
  const resumeRealGuest = (domid: number): void => {
    const files = filesOf(domid);
    const guest = realGuestOf(domid);
    if (!guest) throw new QemuDmError('INVALID_ARGUMENT', `domain ${domid}: a device state was restored, but its config has no kernel`);
    const left = runningDeviceModel(files);
    if (left !== undefined) killDeviceModel(left);
    const pid = launchDeviceModel({
      ...(options.qemu !== undefined ? { qemu: options.qemu } : {}),
      machine: machineOfConfig(guest.config),
      memoryMiB: memoryMiBOf(domid),
      files,
      kernel: guest.kernel,
      incoming: true,
    });
    const dm = new DeviceModel(files, pid);
    try {
      dm.loadDeviceState(files.incoming);
    } catch (error) {
      dm.quit();
      throw error;
    }
    // Spent before the guest runs: a state loaded again later would not match its RAM.
    writeFileSync(files.stopped, '', { mode: 0o600 });
    rmSync(files.incoming, { force: true });
    continueGuest(dm);
    recordPid(domid, pid);
  };

  const deviceModel: DeviceModelPort = {
    saveState(domid: number): Uint8Array | undefined {
      if (!ramOf(domid)) return undefined;
      const files = filesOf(domid);
      // Restored but never unpaused: the state it holds is the one to save.
      if (existsSync(files.incoming)) return encodeDeviceState({ qemu: readFileSync(files.incoming), consoleLog: readIfThere(files.consoleLog) });
      const dm = deviceModelOf(domid);
      if (!dm) throw new QemuDmError('MISSING', `domain ${domid}: its device model is not running`);
      try {
        dm.saveDeviceState(files.outgoing);
        return encodeDeviceState({ qemu: readFileSync(files.outgoing), consoleLog: readIfThere(files.consoleLog) });
      } finally {
        rmSync(files.outgoing, { force: true });
      }
    },
    restoreState(domid: number, data: Uint8Array): void {
      // A simulated guest has no emulated devices: a device state (real qemu-xen's, in a real
      // xl's image) has nothing to go into.
      if (!realGuestOf(domid)) return;
      const state = decodeDeviceState(data);
      const files = filesOf(domid);
      createRam(domid);
      try {
        writeFileSync(files.incoming, state.qemu, { mode: 0o600 });
        writeFileSync(files.consoleLog, state.consoleLog, { mode: 0o600 });
      } catch (error) {
        reap(domid);
        throw error;
      }
    },
  };

  /**
   * What an `xl` killed in the middle of an operation left of this host file's device models, once
   * the host's recovery has finished or undone the operation itself: a device model whose domain is
   * gone is reaped (a create or restore undone); a running domain whose restored state never
   * started starts from it (a restore finished without its device model); a running domain whose
   * QEMU was left stopped (a save that died) runs again; a running domain's QEMU pid is recorded
   * again if the start that recorded it was undone. Paused domains belong to whoever paused
   * them. Only files are looked at, unless something is to be done, and for each running QEMU
   * its pid record in xenstore.
   */
  const recoverDeviceModels = (): void => {
    const domids = deviceModelDomids(runDir, hostId);
    for (const domid of domids) {
      const info = base.getDomain(domid);
      if (!info) {
        reap(domid);
        continue;
      }
      if (info.paused || info.shutdown !== null || info.pendingStart !== null) continue;
      const files = filesOf(domid);
      try {
        rmSync(files.outgoing, { force: true });
        if (existsSync(files.incoming)) resumeRealGuest(domid);
        else if (existsSync(files.stopped)) {
          const dm = deviceModelOf(domid);
          if (dm) continueGuest(dm);
          else rmSync(files.stopped, { force: true });
        }
        // A start whose transaction died after its QEMU ran: libxl's record of the pid is written again.
        const pid = runningDeviceModel(files);
        if (pid !== undefined && recordedPid(domid) !== String(pid)) recordPid(domid, pid);
      } catch {
        // Left as it is: this command goes on, and the domain can still be destroyed.
      }
    }
  };
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  recoverDeviceModels();

  const guestModel: GuestModel = {
    boot(domid: number): void {
      const guest = realGuestOf(domid);
      if (guest) realBoot(domid, guest.kernel, guest.config);
      else simulated.boot(domid);
    },
    resume(domid: number): void {
      if (existsSync(filesOf(domid).incoming)) resumeRealGuest(domid);
      else if (ramOf(domid)) throw new QemuDmError('INVALID_ARGUMENT', `domain ${domid}: a real guest resumes only from a restored device state`);
      else simulated.resume(domid);
    },
    gpe(domid: number, gpe: number): void {
      // A real guest's kernel polls the device model's notify zone: it sees a new ID by itself.
      if (!ramOf(domid)) simulated.gpe(domid, gpe);
    },
    /**
     * A trigger reaches a real guest through QMP: an NMI as `inject-nmi`; the power button as
     * `system_powerdown`, and a guest that powers off in answer (its QEMU ends, which qemu-xen
     * reports as the domain's poweroff) is shut down. QEMU has no command for the sleep button:
     * the press is lost.
     */
    trigger(domid: number, trigger: DomainTrigger, vcpu: number): void {
      if (!ramOf(domid)) return simulated.trigger?.(domid, trigger, vcpu);
      const dm = deviceModelOf(domid);
      if (dm === undefined) return;
      if (trigger === 'nmi') dm.injectNmi();
      else if (trigger === 'power') {
        dm.powerdown();
        if (dm.waitForExit(POWER_OFF_WAIT_MS)) hypervisor.shutdownDomain(domid, 'poweroff');
      }
    },
  };

  /** Serial port 0 of a real guest (`xl console`'s primary console of an HVM guest). */
  const servesConsole = (console: ConsoleRef): boolean => console.type === 'serial' && console.num === 0 && ramOf(console.domid) !== undefined;
  const consoles: ConsoleSource = {
    read(console, offset) {
      if (!servesConsole(console)) return undefined;
      const log = readIfThere(filesOf(console.domid).consoleLog);
      const start = Math.min(Math.max(offset, 0), log.length);
      return { start, data: log.subarray(start) };
    },
    write(console, data) {
      if (!servesConsole(console)) return false;
      writeConsoleInput(filesOf(console.domid), data);
      return true;
    },
  };

  return { hypervisor, guestModel, deviceModel, consoles, filesOf };
}
