/**
 * A domain's nics as libxl 4.17 adds them once the device model runs (`domcreate_attach_devices`
 * → `libxl__device_add_async` with `libxl__nic_devtype`, `tools/libs/light/libxl_nic.c`):
 * - `libxl__device_nic_setdefault`: MTU 1500, model `rtl8139`, a random MAC in Xen's OUI
 *   (00:16:3e) when none was given, bridge `xenbr0`, script `vif-bridge`, nictype `vif_ioemu` for
 *   an HVM guest (`vif` for PV and PVH, which refuse an emulated one), trusted;
 * - `libxl__update_config_nic`: the stored config keeps the devid, nictype and MAC chosen;
 * - `libxl__set_xenstore_nic`: the backend's and frontend's entries, in its order.
 */
import { XlError } from '../errors.ts';
import type { DeviceNic } from '../types/devices.ts';
import { ZERO_MAC, defboolValue } from '../types/idl.ts';
import type { RandomSource } from '../random-bytes.ts';
import { absScript } from './disk-devices.ts';
import { deviceAdd, type DeviceEntry, type DeviceNodes } from './devices.ts';

/** `LIBXL_DEVICE_NIC_MTU_DEFAULT`. */
const NIC_MTU_DEFAULT = 1500;

/** The nic's COLO members `libxl__set_xenstore_nic` writes as `colo_<name>` when set, in its order. */
const COLO_KEYS = [
  'sock_mirror_id', 'sock_mirror_ip', 'sock_mirror_port', 'sock_compare_pri_in_id', 'sock_compare_pri_in_ip',
  'sock_compare_pri_in_port', 'sock_compare_sec_in_id', 'sock_compare_sec_in_ip', 'sock_compare_sec_in_port',
  'sock_compare_notify_id', 'sock_compare_notify_ip', 'sock_compare_notify_port', 'sock_redirector0_id',
  'sock_redirector0_ip', 'sock_redirector0_port', 'sock_redirector1_id', 'sock_redirector1_ip', 'sock_redirector1_port',
  'sock_redirector2_id', 'sock_redirector2_ip', 'sock_redirector2_port', 'filter_mirror_queue', 'filter_mirror_outdev',
  'filter_redirector0_queue', 'filter_redirector0_indev', 'filter_redirector0_outdev', 'filter_redirector1_queue',
  'filter_redirector1_indev', 'filter_redirector1_outdev', 'compare_pri_in', 'compare_sec_in', 'compare_out',
  'compare_notify_dev', 'sock_sec_redirector0_id', 'sock_sec_redirector0_ip', 'sock_sec_redirector0_port',
  'sock_sec_redirector1_id', 'sock_sec_redirector1_ip', 'sock_sec_redirector1_port', 'filter_sec_redirector0_queue',
  'filter_sec_redirector0_indev', 'filter_sec_redirector0_outdev', 'filter_sec_redirector1_queue',
  'filter_sec_redirector1_indev', 'filter_sec_redirector1_outdev', 'filter_sec_rewriter0_queue', 'checkpoint_host',
  'checkpoint_port',
] as const;

/** `colo_sock_mirror_id` → the IDL member `coloSockMirrorId`. */
const coloMember = (key: string): keyof DeviceNic =>
  `colo_${key}`.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()) as keyof DeviceNic;


/** A random MAC in Xen's OUI, from the bytes of a fresh uuid (`libxl_uuid_generate`). */
function randomMac(random: RandomSource): string {
  const bytes = new Uint8Array(3);
  random.fill(bytes);
  return ['00', '16', '3e', (bytes[0]! & 0x7f).toString(16), bytes[1]!.toString(16), bytes[2]!.toString(16)]
    .map((part) => part.padStart(2, '0'))
    .join(':');
}

/**
 * `libxl__device_nic_setdefault` for one of `domid`'s nics (devid and backend domid already
 * chosen): the nic as the device is made of it.
 */
export function settleNic(domid: number, type: string, nic: DeviceNic, random: RandomSource): DeviceNic {
  let nictype = nic.nictype;
  if (type === 'hvm') {
    if (nictype === 'unknown') nictype = 'vif_ioemu';
  } else {
    if (nictype === 'vif_ioemu') {
      throw new XlError('INVAL', `libxl_nic.c:108:libxl__device_nic_setdefault: Domain ${domid}:trying to create PV or PVH guest with an emulated interface`);
    }
    nictype = 'vif';
  }
  return {
    ...nic,
    mtu: nic.mtu === 0 ? NIC_MTU_DEFAULT : nic.mtu,
    model: nic.model ?? 'rtl8139',
    mac: nic.mac === ZERO_MAC ? randomMac(random) : nic.mac,
    bridge: nic.bridge ?? 'xenbr0',
    script: nic.script ?? absScript('vif-bridge'),
    nictype,
    trusted: defboolValue(nic.trusted, true) ? 'true' : 'false',
  };
}

/** The vif `libxl__device_add_async` writes for a settled nic. */
export function nicNodes(domid: number, nic: DeviceNic): DeviceNodes {
  const colo: DeviceEntry[] = COLO_KEYS.map((key) => [`colo_${key}`, nic[coloMember(key)] as string | undefined]);
  return deviceAdd(
    { domid, kind: 'vif', backendKind: 'vif', devid: nic.devid, backendDomid: nic.backendDomid },
    [
      ['script', nic.script === undefined ? undefined : absScript(nic.script)],
      ['vifname', nic.ifname],
      ['forwarddev', nic.coloftForwarddev],
      ...colo,
      ['mac', nic.mac],
      ['ip', nic.ip],
      ['gatewaydev', nic.gatewaydev],
      ['rate', nic.rateIntervalUsecs > 0 ? `${nic.rateBytesPerInterval},${nic.rateIntervalUsecs}` : undefined],
      ['mtu', nic.mtu !== NIC_MTU_DEFAULT ? String(nic.mtu) : undefined],
      ['bridge', nic.bridge],
      ['handle', String(nic.devid)],
      ['type', nic.nictype],
      ['hotplug-status', ''],
    ],
    [
      ['handle', String(nic.devid)],
      ['mac', nic.mac],
      ['trusted', nic.trusted === 'true' ? '1' : '0'],
    ],
    [['mtu', String(nic.mtu)]],
  );
}
