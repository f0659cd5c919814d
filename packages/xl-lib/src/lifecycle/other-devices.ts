/**
 * The device lists libxl 4.17 adds beside disks, nics, vfbs and vkbs, with the entries each
 * devtype's `set_xenstore_config` writes after `libxl__device_add`'s common ones:
 * - channels (`libxl__init_console_from_channel` and `libxl__device_console_add`,
 *   `tools/libs/light/libxl_console.c`): secondary consoles served by qemu (`ioemu`); a channel
 *   left at devid 0 (xl numbers channels from 0) is refused as a primary console with a name, a
 *   log line libxl ignores, so it gets no nodes;
 * - p9s and pvcallsifs (`libxl_9pfs.c`, `libxl_pvcalls.c`), added without waiting;
 * - vtpms (`libxl_vtpm.c`: a random uuid when none was given), vdispls (`libxl_vdispl.c`:
 *   `be-alloc` and each connector's resolution and id) and vsnds (`libxl_vsnd.c`: the card's
 *   names and parameters, each pcm's and each stream's), for which libxl waits for the backend.
 * A devid left at -1 is the next of its kind (`libxl__device_nextid`).
 */
import { XlError } from '../errors.ts';
import type { RandomSource } from '../random-bytes.ts';
import type { DeviceChannel, DeviceP9, DevicePvcallsif, DeviceVdispl, DeviceVsnd, DeviceVtpm, VsndParams } from '../types/devices.ts';
import { NIL_UUID } from '../types/idl.ts';
import { generateUuid } from '../uuid.ts';
import { consoleNodes, deviceAdd, nextDevids, type DeviceEntry, type DeviceNodes } from './devices.ts';

/** What a channel's console is, or the log line libxl gives instead of adding it. */
export type ChannelConsole = { readonly nodes: DeviceNodes } | { readonly skipped: string };

/**
 * Each channel as a console of `domid` (devid its position + 1 when left at -1). A channel without
 * a name, a connection or a socket path fails the create as `libxl__init_console_from_channel` does.
 */
export function channelConsoles(domid: number, channels: readonly DeviceChannel[], backendDomid: (channel: DeviceChannel) => number): ChannelConsole[] {
  return channels.map((channel, index) => {
    const devid = channel.devid === -1 ? index + 1 : channel.devid;
    if (channel.name === undefined) throw new XlError('INVAL', `libxl_console.c:407:libxl__init_console_from_channel: channel ${devid} has no name`);
    let connection: string;
    let output: string;
    let path: string | undefined;
    switch (channel.u.connection) {
      case 'pty':
        connection = 'pty';
        output = 'pty';
        break;
      case 'socket':
        if (channel.u.path === undefined) throw new XlError('INVAL', `libxl_console.c:436:libxl__init_console_from_channel: channel ${devid} has no path`);
        connection = 'socket';
        path = channel.u.path;
        output = `chardev:libxl-channel${devid}`;
        break;
      default:
        throw new XlError(
          'INVAL',
          `libxl_console.c:427:libxl__init_console_from_channel: channel ${devid} has no defined connection; to where should it be connected?`,
        );
    }
    if (devid === 0) return { skipped: `libxl_console.c:271:libxl__device_console_add: Domain ${domid}:Primary console has invalid configuration` };
    return { nodes: consoleNodes(domid, { devid, backendDomid: backendDomid(channel), ioemu: true, output, name: channel.name, connection, ...(path !== undefined && { path }) }) };
  });
}

/**
 * `domcreate_launch_dm` ignores what `libxl__device_add` returns for a p9 or pvcallsif: one whose
 * backend domain cannot be resolved is left out, and the create goes on.
 */
function resolvable<T>(devices: readonly T[], backendDomid: (device: T) => number): { device: T; backend: number }[] {
  return devices.flatMap((device) => {
    try {
      return [{ device, backend: backendDomid(device) }];
    } catch {
      return [];
    }
  });
}

/** The p9s (`9pfs`): the exported path and security model, the tag on the frontend. */
export function p9Nodes(domid: number, p9s: readonly DeviceP9[], backendDomid: (p9: DeviceP9) => number): DeviceNodes[] {
  return resolvable(nextDevids(p9s), backendDomid).map(({ device: p9, backend }) =>
    deviceAdd(
      { domid, kind: '9pfs', backendKind: '9pfs', devid: p9.devid, backendDomid: backend },
      [
        ['path', p9.path],
        ['security_model', p9.securityModel],
      ],
      [['tag', p9.tag]],
    ),
  );
}

/** The pvcallsifs: only the common entries. */
export function pvcallsNodes(domid: number, pvcalls: readonly DevicePvcallsif[], backendDomid: (pvcalls: DevicePvcallsif) => number): DeviceNodes[] {
  return resolvable(nextDevids(pvcalls), backendDomid).map(({ device: pvcallsif, backend }) =>
    deviceAdd({ domid, kind: 'pvcalls', backendKind: 'pvcalls', devid: pvcallsif.devid, backendDomid: backend }, []),
  );
}

/** The vtpms after `libxl__device_vtpm_setdefault` (a random uuid for a nil one): what the stored config keeps of each, and its nodes. */
export function settleVtpms(domid: number, vtpms: readonly DeviceVtpm[], backendDomid: (vtpm: DeviceVtpm) => number, random: RandomSource): { vtpm: DeviceVtpm; nodes: DeviceNodes }[] {
  return nextDevids(vtpms).map((given) => {
    const vtpm = { ...given, uuid: given.uuid === NIL_UUID ? generateUuid(random) : given.uuid };
    const nodes = deviceAdd(
      { domid, kind: 'vtpm', backendKind: 'vtpm', devid: vtpm.devid, backendDomid: backendDomid(vtpm) },
      [
        ['handle', String(vtpm.devid)],
        ['uuid', vtpm.uuid],
        ['resume', 'False'],
      ],
      [['handle', String(vtpm.devid)]],
    );
    return { vtpm, nodes };
  });
}

/** The vdispls: `be-alloc` and the connectors, on the read-only frontend. */
export function vdisplNodes(domid: number, vdispls: readonly DeviceVdispl[], backendDomid: (vdispl: DeviceVdispl) => number): DeviceNodes[] {
  return nextDevids(vdispls).map((vdispl) =>
    deviceAdd({ domid, kind: 'vdispl', backendKind: 'vdispl', devid: vdispl.devid, backendDomid: backendDomid(vdispl) }, [], [], [
      ['be-alloc', vdispl.beAlloc ? '1' : '0'],
      ...vdispl.connectors.flatMap((connector, index): DeviceEntry[] => [
        [`${index}/resolution`, `${connector.width}x${connector.height}`],
        [`${index}/unique-id`, connector.uniqueId],
      ]),
    ]),
  );
}

/** `libxl__set_params_vsnd`: the parameters set, under `prefix`. */
function vsndParams(prefix: string, params: VsndParams): DeviceEntry[] {
  return [
    [`${prefix}sample-rates`, params.sampleRates.length > 0 ? params.sampleRates.join(',') : undefined],
    [`${prefix}sample-formats`, params.sampleFormats.length > 0 ? params.sampleFormats.join(',') : undefined],
    [`${prefix}channels-min`, params.channelsMin ? String(params.channelsMin) : undefined],
    [`${prefix}channels-max`, params.channelsMax ? String(params.channelsMax) : undefined],
    [`${prefix}buffer-size`, params.bufferSize ? String(params.bufferSize) : undefined],
  ];
}

/** The vsnds: the card's names and parameters, then each pcm's name, parameters and streams. */
export function vsndNodes(domid: number, vsnds: readonly DeviceVsnd[], backendDomid: (vsnd: DeviceVsnd) => number): DeviceNodes[] {
  return nextDevids(vsnds).map((vsnd) =>
    deviceAdd({ domid, kind: 'vsnd', backendKind: 'vsnd', devid: vsnd.devid, backendDomid: backendDomid(vsnd) }, [], [
      ['long-name', vsnd.longName],
      ['short-name', vsnd.shortName],
      ...vsndParams('', vsnd.params),
      ...vsnd.pcms.flatMap((pcm, p): DeviceEntry[] => [
        [`${p}/name`, pcm.name],
        ...vsndParams(`${p}/`, pcm.params),
        ...pcm.streams.flatMap((stream, s): DeviceEntry[] => [
          [`${p}/${s}/unique-id`, stream.uniqueId],
          [`${p}/${s}/type`, stream.type === 'unset' ? undefined : stream.type],
          ...vsndParams(`${p}/${s}/`, stream.params),
        ]),
      ]),
    ]),
  );
}
