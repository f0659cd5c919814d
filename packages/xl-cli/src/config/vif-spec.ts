/**
 * xl's `vif` entries: `parse_nic_config` (tools/xl/xl_parse.c) over each comma-separated token, and
 * libxlutil's `xlu_vif_parse_rate` (tools/libs/util/libxlu_vif.c) for `rate=`, with their messages.
 */
import { defaultOf, DeviceNic } from '@xen-genid/xl-lib';
import type { XlCfgDiagnostic } from './xl-cfg.ts';
import { parseUlong, strtoul } from './c-numbers.ts';
import { XlExit } from './xl-exit.ts';

type Nic = DeviceNic;


/** The members that hold any string (IDL `string`). */
type StringMember = { [K in keyof Nic]: string extends Nic[K] ? (K extends 'mac' ? never : K) : never }[keyof Nic];

/** The `key=value` options that set a string member, in parse_nic_config's order. */
const STRING_OPTIONS: ReadonlyArray<readonly [string, StringMember]> = [
  ['bridge', 'bridge'],
  ['gatewaydev', 'gatewaydev'],
  ['ip', 'ip'],
  ['script', 'script'],
  ['backend', 'backendDomname'],
  ['vifname', 'ifname'],
  ['model', 'model'],
  ['forwarddev', 'coloftForwarddev'],
  ...(
    [
      'colo_sock_mirror_id', 'colo_sock_mirror_ip', 'colo_sock_mirror_port',
      'colo_sock_compare_sec_in_id', 'colo_sock_compare_sec_in_ip', 'colo_sock_compare_sec_in_port',
      'colo_sock_redirector0_id', 'colo_sock_redirector0_ip', 'colo_sock_redirector0_port',
      'colo_sock_redirector1_id', 'colo_sock_redirector1_ip', 'colo_sock_redirector1_port',
      'colo_sock_redirector2_id', 'colo_sock_redirector2_ip', 'colo_sock_redirector2_port',
      'colo_sock_compare_pri_in_id', 'colo_sock_compare_pri_in_ip', 'colo_sock_compare_pri_in_port',
      'colo_sock_compare_notify_id', 'colo_sock_compare_notify_ip', 'colo_sock_compare_notify_port',
      'colo_filter_mirror_queue', 'colo_filter_mirror_outdev',
      'colo_filter_redirector0_queue', 'colo_filter_redirector0_indev', 'colo_filter_redirector0_outdev',
      'colo_filter_redirector1_queue', 'colo_filter_redirector1_indev', 'colo_filter_redirector1_outdev',
      'colo_compare_pri_in', 'colo_compare_sec_in', 'colo_compare_out', 'colo_compare_notify_dev',
      'colo_sock_sec_redirector0_id', 'colo_sock_sec_redirector0_ip', 'colo_sock_sec_redirector0_port',
      'colo_sock_sec_redirector1_id', 'colo_sock_sec_redirector1_ip', 'colo_sock_sec_redirector1_port',
      'colo_filter_sec_redirector0_queue', 'colo_filter_sec_redirector0_indev', 'colo_filter_sec_redirector0_outdev',
      'colo_filter_sec_redirector1_queue', 'colo_filter_sec_redirector1_indev', 'colo_filter_sec_redirector1_outdev',
      'colo_filter_sec_rewriter0_queue', 'colo_checkpoint_host', 'colo_checkpoint_port',
    ] as const
  ).map((option) => [option, option.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()) as StringMember] as const),
];

/** `xlu__vif_err`. */
const vifError = (source: string, message: string, rate: string): XlCfgDiagnostic => ({
  severity: 'error',
  message: `${source}: config parsing error in vif: ${message} in \`${rate}'`,
});

const UINT32_MAX = 0xffffffffn;

/** Six two-digit hex bytes separated by colons. */
const PLAIN_MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

const STRING_MEMBERS: ReadonlyMap<string, StringMember> = new Map(STRING_OPTIONS);

/** `strtoull(text, &end, 0)`: the number and the rest (the rate patterns leave only decimal digits). */
function leadingNumber(text: string): { value: bigint; rest: string } {
  const digits = /^[0-9]+/.exec(text)![0];
  // Base 0: a leading 0 means octal; digits 8 and 9 then end the number.
  const octal = digits.length > 1 && digits.startsWith('0');
  const used = octal ? /^[0-7]+/.exec(digits)![0] : digits;
  return { value: octal ? BigInt(`0o${used}`) : BigInt(used), rest: text.slice(used.length) };
}

/**
 * `xlu_vif_parse_rate`: `<rate>[@<interval>]` into bytes per interval and the interval. Throws
 * `XlExit(1)` (xl exits on EINVAL and EOVERFLOW) after libxlutil's message.
 */
export function parseVifRate(rate: string, nic: Nic, source: string, diagnostics: XlCfgDiagnostic[]): void {
  const fail = (message: string): never => {
    diagnostics.push(vifError(source, message, rate));
    throw new XlExit(1);
  };
  const at = rate.indexOf('@');
  const bytesText = at < 0 ? rate : rate.slice(0, at);
  const intervalText = at < 0 ? undefined : rate.slice(at + 1);
  if (bytesText === '') fail('no rate specified');
  if (!/^[0-9]+[GMK]?[Bb]\/s$/.test(bytesText)) {
    diagnostics.push(vifError(source, 'invalid rate', bytesText));
    throw new XlExit(1);
  }
  const parsedRate = leadingNumber(bytesText);
  const rest = parsedRate.rest;
  let bytesPerSec = parsedRate.value;
  if (bytesPerSec === 0n || bytesPerSec > UINT32_MAX) {
    diagnostics.push(vifError(source, 'rate overflow', bytesText));
    throw new XlExit(1);
  }
  if (rest[0] === 'G') bytesPerSec *= 1000n ** 3n;
  else if (rest[0] === 'M') bytesPerSec *= 1000n ** 2n;
  else if (rest[0] === 'K') bytesPerSec *= 1000n;
  if (rest[0] === 'b' || rest[1] === 'b') bytesPerSec /= 8n;
  let intervalUsecs = 50000n;
  if (intervalText !== undefined) {
    if (!/^[0-9]+[mu]?s?$/.test(intervalText)) {
      diagnostics.push(vifError(source, 'invalid replenishment interval', intervalText));
      throw new XlExit(1);
    }
    const parsed = leadingNumber(intervalText);
    let interval = parsed.value;
    if (interval === 0n || interval > UINT32_MAX) {
      diagnostics.push(vifError(source, 'replenishment interval overflow', intervalText));
      throw new XlExit(1);
    }
    if (parsed.rest[0] === 's' || parsed.rest === '') interval *= 1000n * 1000n;
    else if (parsed.rest[0] === 'm') interval *= 1000n;
    if (interval > UINT32_MAX) {
      diagnostics.push(vifError(source, 'replenishment interval overflow', intervalText));
      throw new XlExit(1);
    }
    intervalUsecs = interval;
  }
  if (bytesPerSec > ((1n << 64n) - 1n) / intervalUsecs) fail('rate overflow');
  nic.rateIntervalUsecs = Number(intervalUsecs);
  nic.rateBytesPerInterval = (bytesPerSec * intervalUsecs) / 1000000n;
}

/** `parse_nic_config` of one token; false when xl would report it as not understood (and go on). */
function parseNicToken(nic: Nic, token: string, source: string, diagnostics: XlCfgDiagnostic[]): void {
  const say = (message: string): void => void diagnostics.push({ severity: 'error', message });
  // MATCH_OPTION(name, token): `name=` starts the token, that is, the text before the first `=` is `name`.
  const equals = token.indexOf('=');
  const key = equals < 0 ? undefined : token.slice(0, equals);
  const option = (name: string): string | undefined => (key === name ? token.slice(equals + 1) : undefined);
  let value: string | undefined;
  if ((value = option('type')) !== undefined) {
    if (value === 'vif') nic.nictype = 'vif';
    else if (value === 'ioemu') nic.nictype = 'vif_ioemu';
    else say("Invalid parameter `type'.");
    return;
  }
  if ((value = option('mac')) !== undefined) {
    if (PLAIN_MAC.test(value)) {
      nic.mac = value.toLowerCase(); // the usual form: what the strtoul loop below makes of it
      return;
    }
    const bytes: string[] = [];
    let rest = value;
    for (let index = 0; index < 6; index += 1) {
      const { value: byte, end } = strtoul(rest, 16);
      if (end === 0 || byte > 255n) {
        say("Invalid parameter `mac'.");
        return;
      }
      bytes.push(byte.toString(16).padStart(2, '0'));
      nic.mac = [...bytes, ...nic.mac.split(':').slice(bytes.length)].join(':');
      rest = rest.slice(end + 1);
    }
    return;
  }
  if ((value = option('netdev')) !== undefined) {
    say('the netdev parameter is deprecated, please use gatewaydev instead');
    nic.gatewaydev = value;
    return;
  }
  if ((value = option('rate')) !== undefined) {
    parseVifRate(value, nic, source, diagnostics);
    return;
  }
  const member = key === undefined ? undefined : STRING_MEMBERS.get(key);
  if (member !== undefined) {
    nic[member] = token.slice(equals + 1);
    return;
  }
  if (option('accel') !== undefined) say('the accel parameter for vifs is currently not supported');
  else if ((value = option('devid')) !== undefined) nic.devid = Number(BigInt.asIntN(32, parseUlong(value, diagnostics))); // into an int
  else if ((value = option('mtu')) !== undefined) nic.mtu = Number(BigInt.asIntN(32, parseUlong(value, diagnostics)));
  else if (token === 'trusted') nic.trusted = 'true';
  else if (token === 'untrusted') nic.trusted = 'false';
  else say(`unrecognized argument \`${token}'`);
}

/**
 * One `vif = [...]` entry as xl parses it: a nic with `devid` its index, then each token of the spec
 * (`strtok` on ',', leading spaces skipped). Throws `XlExit` where xl exits.
 * @see parse_config_data, parse_nic_config (tools/xl/xl_parse.c)
 */
export function parseVifSpec(spec: string, devid: number, source: string, diagnostics: XlCfgDiagnostic[]): Nic {
  const nic = defaultOf(DeviceNic);
  nic.devid = devid;
  for (const token of spec.split(',')) {
    if (token === '') continue;
    parseNicToken(nic, token.replace(/^ +/, ''), source, diagnostics);
  }
  return nic;
}
