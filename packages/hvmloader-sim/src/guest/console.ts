/**
 * What the guest model prints on its console (the serial port of an HVM guest, the PV console of a
 * PV one; `Hypervisor.appendConsole`), one line per thing it did: the firmware at boot, each read
 * of the VM Generation ID (boot, resume, notify) and each ACPI event. Our own lines: a real guest
 * prints its kernel's log here, which `xl console` shows the same way.
 */
import type { Hypervisor } from '@xen-genid/xc-params';
import type { FirmwareRecord, GuestEvent, GuestRead } from './record.ts';

const hex = (value: bigint | null): string => (value === null ? 'none' : `0x${value.toString(16)}`);

export function firmwareLine(firmware: FirmwareRecord): string {
  if (!firmware.acpi) return 'hvmloader: ACPI disabled, no tables built';
  return `hvmloader: ACPI tables built, generation-id "${firmware.generationIdValue}" placed at ${hex(firmware.vmGenerationIdAddress)}`;
}

export function readLine(read: GuestRead): string {
  if (!read.ok) return `vmgenid: ${read.reason} read failed: ${read.failures.join('; ') || 'no ID found'}`;
  const change = read.reason === 'boot' ? '' : read.changed ? ', changed' : ', unchanged';
  return `vmgenid: ${read.reason} read ${read.genid} at ${hex(read.address)} (${read.path}${change})`;
}

export function eventLine(event: GuestEvent): string {
  const gpe = `ACPI: GPE 0x${event.gpe.toString(16).padStart(2, '0')}`;
  if (event.failure !== null) return `${gpe}: ${event.failure}`;
  const notified = event.notifications.map((notification) => `Notify(${notification.path}, 0x${notification.value.toString(16)})`);
  return `${gpe}: ${event.handler}${notified.length ? ` -> ${notified.join(', ')}` : ''}`;
}

/** Prints `lines` on the domain's console, each ending in CR LF as a serial console's do. */
export function printConsole(hypervisor: Hypervisor, domid: number, lines: readonly string[]): void {
  if (lines.length) hypervisor.appendConsole(domid, Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'utf8'));
}
