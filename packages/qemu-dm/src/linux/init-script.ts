/**
 * The guest's `/init` (busybox `sh`): it reports what Linux made of the firmware's VGID device
 * and exits by powering off. Every line meant for the host starts with `GENID:` so the log
 * parser (`guest-log.ts`) never confuses it with kernel messages on the same serial console.
 *
 * What it reads, all from Linux's own interfaces:
 * - `/sys/bus/acpi/devices/XEN0000:*` (`drivers/acpi/device_sysfs.c`): path, hid, uid, status,
 *   modalias, and the bound driver (the ACPI driver link in 6.1, the platform node's in ≥ 6.10);
 * - the trace buffer of the boot-time kprobes (`kernel/trace/trace_kprobe.c`, `kprobe_event=`),
 *   for `add_device_randomness` called from `vmgenid_add` and `add_vmfork_randomness`;
 * - `dmesg`, for vmgenid's probe errors, table-upgrade notices and `crng reseeded due to virtual
 *   machine fork` (`drivers/char/random.c` add_vmfork_randomness).
 */
import { QemuDmError } from '../errors.ts';

/** A write of new ID bytes into guest RAM from inside the guest, then notifies. */
export interface GuestRenewal {
  /** Guest-physical address of the ID buffer (16-byte aligned, as hvmloader allocates it). */
  readonly address: bigint;
  /** Path inside the initramfs of the 16 new bytes. */
  readonly bytesFile: string;
}

export interface InitScriptOptions {
  readonly renewal?: GuestRenewal;
}

export const LOG_PREFIX = 'GENID:';

/** The kprobe definitions for the kernel command line (`kprobe_event=`, `;`-separated). */
export const KPROBE_EVENTS = [
  'p:vgrand,add_device_randomness,id=+0(%di):x8[16],len=%si:u64,caller=$stack0:symbol',
  'p:vgntf,vmgenid_notify',
  'p:vgnth,vmgenid_acpi_handler',
  'p:vgfork,add_vmfork_randomness,id=+0(%di):x8[16],len=%si:u64',
] as const;

const REPORT_DEVICES = String.raw`
for dev in /sys/bus/acpi/devices/*; do
  hid=$(cat "$dev/hid" 2>/dev/null)
  modalias=$(cat "$dev/modalias" 2>/dev/null)
  case "$hid $modalias" in
    *XEN0000*|*VM_GEN_COUNTER*|*VMGENCTR*) ;;
    *) continue ;;
  esac
  driver=none
  [ -L "$dev/driver" ] && driver=$(basename "$(readlink "$dev/driver")")
  [ -L "$dev/physical_node/driver" ] && driver=$(basename "$(readlink "$dev/physical_node/driver")")
  echo "${LOG_PREFIX} device name=$(basename "$dev") path=$(cat "$dev/path" 2>/dev/null) hid=$hid uid=$(cat "$dev/uid" 2>/dev/null) status=$(cat "$dev/status" 2>/dev/null) modalias=$modalias driver=$driver"
done
`;

/** Trace lines of our probes since the buffer was last cleared, then clears it. */
const REPORT_TRACE = String.raw`
report_trace() {
  grep -E 'vgrand:.*caller=vmgenid|vgfork:|vgntf:|vgnth:' "$T/trace" | while read -r line; do echo "${LOG_PREFIX} trace $1 $line"; done
  echo > "$T/trace"
}
report_dmesg() {
  dmesg -c | grep -v -e 'ommand line:' -e trace_kprobe | grep -E 'vmgenid|XEN0000|VGID|Table Upgrade|ACPI: DSDT|virtual machine fork|ACPI Error|ACPI BIOS Error|AE_' | while read -r line; do echo "${LOG_PREFIX} dmesg $1 $line"; done
}
notify() {
  before=$(grep -cE 'vgntf:|vgnth:' "$T/trace")
  for zone in /sys/class/thermal/thermal_zone*; do
    [ "$(cat "$zone/type" 2>/dev/null)" = acpitz ] && cat "$zone/temp" > /dev/null
  done
  n=0
  while [ "$n" -lt 500 ] && [ "$(grep -cE 'vgntf:|vgnth:' "$T/trace")" -le "$before" ]; do usleep 20000; n=$((n+1)); done
  if [ "$1" = fork ]; then
    n=0
    while [ "$n" -lt 250 ] && ! grep -q 'vgfork:' "$T/trace"; do usleep 20000; n=$((n+1)); done
  fi
  usleep 300000
}
`;

/** The `/init` text. */
export function buildInitScript(options: InitScriptOptions = {}): string {
  const lines = [
    '#!/bin/busybox sh',
    '/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /tmp',
    '/bin/busybox mount -t proc proc /proc',
    '/bin/busybox --install -s',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'T=/sys/kernel/tracing',
    '[ -e "$T/trace" ] || mount -t tracefs tracefs "$T" 2>/dev/null',
    '[ -e "$T/trace" ] || { mount -t debugfs debugfs /sys/kernel/debug; T=/sys/kernel/debug/tracing; }',
    `echo "${LOG_PREFIX} begin kernel=$(uname -r)"`,
    REPORT_TRACE,
    REPORT_DEVICES,
    'report_trace boot',
    'report_dmesg boot',
  ];
  const renewal = options.renewal;
  if (renewal) {
    if (renewal.address % 16n !== 0n) throw new QemuDmError('INVALID_ARGUMENT', `renewal address ${renewal.address} is not 16-byte aligned`);
    lines.push(
      `echo "${LOG_PREFIX} phase unchanged"`,
      'notify',
      'report_trace unchanged',
      'report_dmesg unchanged',
      `echo "${LOG_PREFIX} phase changed"`,
      `dd if=${renewal.bytesFile} of=/dev/mem bs=16 count=1 seek=${renewal.address / 16n} conv=notrunc 2>/dev/null || echo "${LOG_PREFIX} error dd to /dev/mem failed"`,
      'notify fork',
      'report_trace changed',
      'report_dmesg changed',
      `echo "${LOG_PREFIX} phase again"`,
      'notify',
      'report_trace again',
      'report_dmesg again',
    );
  }
  lines.push(`echo "${LOG_PREFIX} end"`, 'poweroff -f', '');
  return lines.join('\n');
}
