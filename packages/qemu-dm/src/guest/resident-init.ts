/**
 * The `/init` of a guest that keeps running under the device model (busybox `sh`). It reports once
 * what Linux's vmgenid driver (`drivers/virt/vmgenid.c`) bound and read at probe, then stays up:
 * every ACPI notify its driver receives (`vmgenid_notify`) and every re-read that changed the ID
 * (`add_vmfork_randomness`, after a notify) is reported as it happens, each line typed on the console is answered (`GENID: typed <line>`), and the ACPI
 * power button (QMP `system_powerdown`) powers the guest off. Lines for
 * the host start with `GENID:`; the kernel's own `random: crng reseeded due to virtual machine fork`
 * reaches the same console (loglevel 6).
 */
import { LOG_PREFIX } from '../linux/init-script.ts';

/** Where `/init` finds kernel modules to load first (the ACPI button driver, a module in Debian). */
export const MODULES_DIR = 'modules';

export function buildResidentInit(): string {
  return String.raw`#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in /${MODULES_DIR}/*.ko; do [ -e "$module" ] && insmod "$module"; done
T=/sys/kernel/tracing
[ -e "$T/trace" ] || mount -t tracefs tracefs "$T" 2>/dev/null
echo "${LOG_PREFIX} begin kernel=$(uname -r)"
for dev in /sys/bus/acpi/devices/*; do
  case "$(cat "$dev/hid" 2>/dev/null) $(cat "$dev/modalias" 2>/dev/null)" in *XEN0000*|*VM_GEN_COUNTER*) ;; *) continue ;; esac
  driver=none
  [ -L "$dev/driver" ] && driver=$(basename "$(readlink "$dev/driver")")
  [ -L "$dev/physical_node/driver" ] && driver=$(basename "$(readlink "$dev/physical_node/driver")")
  echo "${LOG_PREFIX} device name=$(basename "$dev") path=$(cat "$dev/path") status=$(cat "$dev/status" 2>/dev/null) driver=$driver"
done
grep -E 'vgrand:.*caller=vmgenid' "$T/trace" | while read -r line; do echo "${LOG_PREFIX} read $line"; done
echo > "$T/trace"
(while read -r line; do case "$line" in *vgntf:*) echo "${LOG_PREFIX} notify" ;; *vgfork:*) echo "${LOG_PREFIX} fork $line" ;; esac; done < "$T/trace_pipe") &
echo "${LOG_PREFIX} ready"
(while read -r line; do echo "${LOG_PREFIX} typed $line"; done) < /dev/console &
presses=$(cut -c1-10 /sys/firmware/acpi/interrupts/ff_pwr_btn 2>/dev/null)
while :; do
  sleep 1
  now=$(cut -c1-10 /sys/firmware/acpi/interrupts/ff_pwr_btn 2>/dev/null)
  if [ "$now" != "$presses" ]; then echo "${LOG_PREFIX} power button"; poweroff -f; fi
done
`;
}
