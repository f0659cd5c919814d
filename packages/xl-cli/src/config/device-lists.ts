/**
 * The device lists of an xl.cfg besides `disk` and `vif`, as xl 4.17 parses them in
 * `parse_config_data` (tools/xl/xl_parse.c: the `p9`, `vtpm`, `vdispl`, `pvcalls`, `channel`, `vfb`,
 * `usbctrl`, `usbdev` loops, `parse_vsnd_config`, `parse_vkb_list` and their token parsers), and
 * libxlutil's PCI and RDM specs (`xlu_pci_parse_spec_string`, `xlu_rdm_parse`,
 * tools/libs/util/libxlu_pci.c), with their messages and exit statuses.
 *
 * Quirks kept because users see them: a `p9` entry inherits the fields an earlier entry gave; a
 * token without `=` ends a vfb, vtpm, p9 or pvcalls entry; unknown vfb keys are ignored.
 */
import {
  LIBXL_PCI_FUNC_ALL,
  UUID_TEXT,
  XL_ERROR,
  RDM_RESERVE_POLICIES,
  USBCTRL_TYPES,
  VKB_BACKENDS,
  VSND_PCM_FORMATS,
  defaultOf,
  DeviceChannel,
  DeviceP9,
  DevicePci,
  DevicePvcallsif,
  DeviceUsbctrl,
  DeviceUsbdev,
  DeviceVdispl,
  DeviceVfb,
  DeviceVkb,
  DeviceVsnd,
  DeviceVtpm,
  VsndParams,
  VsndPcm,
  VsndStream,
  type Defbool,
} from '@xen-genid/xl-lib';
import { atoi, scanNumber, strtoul, strtoulInto } from './c-numbers.ts';
import { XlExit } from './xl-exit.ts';
import type { XlCfgDiagnostic } from './xl-cfg.ts';

/** What a device parser reports to: xl's stderr, in order. */
export interface DeviceReport {
  readonly diagnostics: XlCfgDiagnostic[];
}

/** A line xl prints. */
export function say(report: DeviceReport, message: string): void {
  report.diagnostics.push({ severity: 'error', message });
}

/** Text printed without a newline (libxlutil's `XLU__PCI_ERR`, some xl messages): the next message follows on the same line. */
export function sayUnterminated(report: DeviceReport, message: string): void {
  report.diagnostics.push({ severity: 'error', message, unterminated: true });
}

function fail(report: DeviceReport, message: string, code = 1): never {
  say(report, message);
  throw new XlExit(code);
}

/** `strtok(spec, ",")` with each token's leading spaces skipped, as xl's device loops do. */
export function commaTokens(spec: string): string[] {
  return spec
    .split(',')
    .filter((token) => token !== '')
    .map((token) => token.replace(/^ +/, ''));
}

/** `MATCH_OPTION(name, token, oparg)`: the value after `name=`, or undefined. */
export function optionValue(token: string, name: string): string | undefined {
  return token.startsWith(`${name}=`) ? token.slice(name.length + 1) : undefined;
}

/** `libxl_<enum>_from_string`: the name in any case, or undefined. */
function fromString<const N extends string>(names: readonly N[], text: string): N | undefined {
  const lower = text.toLowerCase();
  return names.find((name) => name === lower);
}

/** `split_string_into_string_list(text, delim)`: non-empty pieces (xl crashes on none; we return none). */
function splitList(text: string, delims: string): string[] {
  return text.split(new RegExp(`[${delims}]`)).filter((piece) => piece !== '');
}

/** `libxl_uuid_from_string`: the lower-case uuid, or undefined. */
export function uuidFromString(text: string): string | undefined {
  return UUID_TEXT.test(text) ? text.toLowerCase() : undefined;
}

const defboolOf = (value: number): Defbool => (value ? 'true' : 'false');

// ---------------------------------------------------------------- PCI and RDM (libxlutil)

type Pci = DevicePci;

/** libxl's ERROR_INVAL and ERROR_FAIL, as libxlutil's PCI parser returns them. */
const { INVAL: ERROR_INVAL, FAIL: ERROR_FAIL } = XL_ERROR;

/** `parse_bdf`: `[DDDD:]BB:DD.F` or `.*`; sets the device on success, and says where it stopped. */
function parseBdf(pci: Pci, text: string): number | undefined {
  let colons = 0;
  for (let index = 0; index < text.length && /[0-9a-fA-F:]/.test(text[index]!); index += 1) if (text[index] === ':') colons += 1;
  if (colons !== 1 && colons !== 2) return undefined;
  const fields: bigint[] = [];
  let position = 0;
  for (let field = 0; field <= colons; field += 1) {
    const scanned = scanNumber(text, position, 16, 32);
    if (!scanned) return undefined;
    fields.push(scanned.value);
    position = scanned.end;
    const literal = field < colons ? ':' : '.';
    if (text[position] !== literal) return undefined;
    position += 1;
  }
  const [domain, bus, dev] = colons === 2 ? fields : [0n, ...fields];
  if (domain! > 0xffffn || bus! > 0xffn || dev! > 0x1fn) return undefined;
  let func = 0n;
  let mask: number;
  if (text[position] === '*') {
    mask = LIBXL_PCI_FUNC_ALL;
    position += 1;
  } else {
    const scanned = scanNumber(text, position, 16, 32);
    if (!scanned || scanned.value > 7n) return undefined;
    func = scanned.value;
    mask = 1;
    position = scanned.end;
  }
  pci.vfuncMask = mask;
  pci.domain = Number(domain);
  pci.bus = Number(bus);
  pci.dev = Number(dev);
  pci.func = Number(func);
  return position;
}

/** `parse_vslot`: a hex slot up to 0x1f, as `vdevfn` (slot << 3). */
function parseVslot(pci: Pci, text: string, position: number): number | undefined {
  const scanned = scanNumber(text, position, 16, 32);
  if (!scanned || scanned.value > 0x1fn) return undefined;
  pci.vdevfn = Number(scanned.value) << 3;
  return scanned.end;
}

function rdmPolicy(report: DeviceReport, text: string): (typeof RDM_RESERVE_POLICIES)[number] | undefined {
  const policy = fromString(RDM_RESERVE_POLICIES, text);
  if (policy === undefined) sayUnterminated(report, `Unknown RDM policy: ${text}`);
  return policy;
}

/**
 * `xlu_pci_parse_spec_string`: `BDF[@VSLOT][,KEY=VALUE...]` or `name=...`; 0 or libxl's error
 * code (its messages have no newline).
 */
export function parsePciSpec(report: DeviceReport, pci: Pci, spec: string): number {
  let position = 0;
  let bdfPresent = false;
  let namePresent = false;
  const positional = parseBdf(pci, spec);
  if (positional !== undefined) {
    bdfPresent = true;
    position = positional;
    if (spec[position] === '@') {
      const end = parseVslot(pci, spec, position + 1);
      if (end === undefined) return ERROR_INVAL;
      position = end;
    }
    if (spec[position] === ',') position += 1;
    else if (position < spec.length) return ERROR_INVAL;
  }
  while (position < spec.length) {
    const equals = spec.indexOf('=', position);
    if (equals < 0) return ERROR_INVAL;
    const key = spec.slice(position, equals);
    const comma = spec.indexOf(',', equals + 1);
    const value = spec.slice(equals + 1, comma < 0 ? undefined : comma);
    position = comma < 0 ? spec.length : comma + 1;
    let rc = 0;
    if (key === 'bdf') {
      if (parseBdf(pci, value) === undefined) rc = ERROR_INVAL;
      else bdfPresent = true;
    } else if (key === 'vslot') {
      if (parseVslot(pci, value, 0) === undefined) rc = ERROR_INVAL;
    } else if (key === 'permissive') pci.permissive = atoi(value) !== 0;
    else if (key === 'msitranslate') pci.msitranslate = atoi(value) !== 0;
    else if (key === 'seize') pci.seize = atoi(value) !== 0;
    else if (key === 'power_mgmt') pci.powerMgmt = atoi(value) !== 0;
    else if (key === 'rdm_policy') {
      const policy = rdmPolicy(report, value);
      if (policy === undefined) rc = ERROR_FAIL;
      else pci.rdmPolicy = policy;
    } else if (key === 'name') {
      namePresent = true;
      pci.name = value;
    } else {
      sayUnterminated(report, `Unknown PCI_SPEC_STRING option: ${key}`);
      rc = ERROR_INVAL;
    }
    if (rc) return rc;
  }
  return bdfPresent !== namePresent ? 0 : ERROR_INVAL;
}

/** PCI options that `pci_*` keys give every device. */
export interface PciDefaults {
  readonly msitranslate: boolean;
  readonly powerMgmt: boolean;
  readonly permissive: boolean;
  readonly seize: boolean;
  readonly rdmPolicy: (typeof RDM_RESERVE_POLICIES)[number];
}

/** One `pci = [...]` entry; xl exits with libxl's error code negated on failure. */
export function parsePciEntry(report: DeviceReport, spec: string, defaults: PciDefaults): Pci {
  const pci = defaultOf(DevicePci);
  Object.assign(pci, defaults);
  const rc = parsePciSpec(report, pci, spec);
  if (rc) fail(report, `unable to parse PCI_SPEC_STRING \`${spec}' for passthrough`, -rc);
  return pci;
}

/**
 * `xlu_rdm_parse` as 4.17 ships it: `strategy=host[,policy=P]`. Its policy check is inverted (a
 * known policy is a parse error, an unknown one passes after its message), so the only spec that
 * parses leaves the policy as xl's uninitialised local holds it; undefined when the spec fails.
 */
export function parseRdmSpec(report: DeviceReport, spec: string): { strategy: 'host' } | undefined {
  let state: 'type' | 'strategy' | 'policy' | 'done' = 'type';
  let token = 0;
  let strategy: 'host' | undefined;
  for (let position = 0; position <= spec.length; position += 1) {
    const char = position < spec.length ? spec[position]! : '\0';
    if (state === 'type') {
      if (char === '=') {
        const key = spec.slice(token, position);
        if (key === 'strategy') state = 'strategy';
        else if (key === 'policy') state = 'policy';
        else {
          sayUnterminated(report, `Unknown RDM state option: ${key}`);
          return undefined;
        }
        token = position + 1;
      }
    } else if ((state === 'strategy' || state === 'policy') && (char === ',' || char === '\0')) {
      const value = spec.slice(token, position);
      const next = char === ',' ? 'type' : 'done';
      if (state === 'strategy') {
        if (value !== 'host') {
          sayUnterminated(report, `Unknown RDM strategy option: ${value}`);
          return undefined;
        }
        strategy = 'host';
      } else if (rdmPolicy(report, value) !== undefined) {
        return undefined;
      }
      state = next;
      token = position + 1;
    }
  }
  if (token !== spec.length + 1 || state !== 'done') return undefined;
  return strategy ? { strategy } : undefined;
}

// ---------------------------------------------------------------- the xl device loops

/** A `p9` entry's fields, which persist from one entry to the next as xl's locals do. */
export interface P9Fields {
  securityModel?: string;
  path?: string;
  tag?: string;
  backend?: string;
}

/** One `p9 = [...]` entry. */
export function parseP9Entry(report: DeviceReport, spec: string, fields: P9Fields): DeviceP9 {
  const p9 = defaultOf(DeviceP9);
  for (const token of commaTokens(spec)) {
    const equals = token.indexOf('=');
    if (equals < 0) break;
    const key = token.slice(0, equals);
    const value = token.slice(equals + 1);
    if (key === 'security_model') fields.securityModel = value;
    else if (key === 'path') fields.path = value;
    else if (key === 'tag') fields.tag = value;
    else if (key === 'backend') fields.backend = value;
    else fail(report, `Unknown string \`${key}' in 9pfs spec`);
  }
  if (fields.path === undefined || fields.securityModel === undefined || fields.tag === undefined) fail(report, '9pfs spec missing required field!');
  p9.tag = fields.tag;
  p9.securityModel = fields.securityModel;
  p9.path = fields.path;
  if (fields.backend !== undefined) p9.backendDomname = fields.backend;
  return p9;
}

/** One `vtpm = [...]` entry, devid its index. */
export function parseVtpmEntry(report: DeviceReport, spec: string, devid: number): DeviceVtpm {
  const vtpm = { ...defaultOf(DeviceVtpm), devid };
  let gotBackend = false;
  for (const token of commaTokens(spec)) {
    const equals = token.indexOf('=');
    if (equals < 0) break;
    const key = token.slice(0, equals);
    const value = token.slice(equals + 1);
    if (key === 'backend') {
      vtpm.backendDomname = value;
      gotBackend = true;
    } else if (key === 'uuid') {
      const uuid = uuidFromString(value);
      if (uuid === undefined) fail(report, `Failed to parse vtpm UUID: ${value}`);
      vtpm.uuid = uuid;
    } else fail(report, `Unknown string \`${key}' in vtpm spec`);
  }
  if (!gotBackend) fail(report, 'vtpm spec missing required backend field!');
  return vtpm;
}

/** `sscanf(text, "%ux%u")`: how many numbers it converted (-1 for an empty input) and them. */
function scanResolution(text: string): { count: number; width?: number; height?: number } {
  if (text.trim() === '') return { count: -1 };
  const width = scanNumber(text, 0, 10, 32);
  if (!width) return { count: 0 };
  if (text[width.end] !== 'x') return { count: 1, width: Number(width.value) };
  const height = scanNumber(text, width.end + 1, 10, 32);
  if (!height) return { count: 1, width: Number(width.value) };
  return { count: 2, width: Number(width.value), height: Number(height.value) };
}

/** `parse_vdispl_config` of one token. */
function parseVdisplToken(report: DeviceReport, vdispl: DeviceVdispl, token: string): void {
  let value: string | undefined;
  if ((value = optionValue(token, 'backend')) !== undefined) vdispl.backendDomname = value;
  else if ((value = optionValue(token, 'be-alloc')) !== undefined) vdispl.beAlloc = strtoul(value, 0).value !== 0n;
  else if ((value = optionValue(token, 'connectors')) !== undefined) {
    const connectors = splitList(value, ';');
    vdispl.connectors = connectors.map(() => ({ uniqueId: undefined, width: 0, height: 0 }));
    for (const [index, connector] of connectors.entries()) {
      const [id, resolution = ''] = splitList(connector, ':');
      const slot = vdispl.connectors[index]!;
      slot.uniqueId = id;
      const scanned = scanResolution(resolution);
      if (scanned.width !== undefined) slot.width = scanned.width;
      if (scanned.height !== undefined) slot.height = scanned.height;
      if (scanned.count !== 2) {
        say(report, "Can't parse connector resolution");
        // xl returns sscanf's count: 0 reads as success and leaves the rest unparsed.
        if (scanned.count !== 0) throw new XlExit(1);
        return;
      }
    }
  } else fail(report, `Unknown string "${token}" in vdispl spec`);
}

/** One `vdispl = [...]` entry, devid its index. */
export function parseVdisplEntry(report: DeviceReport, spec: string, devid: number): DeviceVdispl {
  const vdispl = { ...defaultOf(DeviceVdispl), devid };
  for (const token of commaTokens(spec)) parseVdisplToken(report, vdispl, token);
  if (vdispl.connectors.length === 0) fail(report, 'At least one connector should be specified.');
  return vdispl;
}

/** One `pvcalls = [...]` entry, devid its index. */
export function parsePvcallsEntry(report: DeviceReport, spec: string, devid: number): DevicePvcallsif {
  const pvcalls = { ...defaultOf(DevicePvcallsif), devid };
  for (const token of commaTokens(spec)) {
    const equals = token.indexOf('=');
    if (equals < 0) break;
    const key = token.slice(0, equals);
    if (key === 'backend') pvcalls.backendDomname = token.slice(equals + 1);
    else fail(report, `Unknown string \`${key}' in pvcalls spec`);
  }
  return pvcalls;
}

/** `split_string_into_pair(text, "=")`: the first two `=`-separated pieces, or undefined. */
function splitPair(text: string): [string, string] | undefined {
  const pieces = splitList(text, '=');
  return pieces.length >= 2 ? [pieces[0]!, pieces[1]!] : undefined;
}

/** `trim(isspace, ...)`. */
const trimSpace = (text: string): string => text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');

/** One `channel = [...]` entry, devid its index. */
export function parseChannelEntry(report: DeviceReport, spec: string, devid: number): DeviceChannel {
  const channel = { ...defaultOf(DeviceChannel), devid };
  let connection: 'unknown' | 'pty' | 'socket' = 'unknown';
  let path: string | undefined;
  for (const pair of splitList(spec, ',')) {
    const split = splitPair(pair);
    if (!split) {
      sayUnterminated(report, `failed to parse channel configuration: ${pair}`);
      throw new XlExit(1);
    }
    const [key, value] = split.map(trimSpace) as [string, string];
    if (key === 'backend') channel.backendDomname = value;
    else if (key === 'name') channel.name = value;
    else if (key === 'path') path = value;
    else if (key === 'connection') {
      if (value === 'pty' || value === 'socket') connection = value;
      else fail(report, `unknown channel connection '${value}'`);
    } else say(report, `unknown channel parameter '${key}', ignoring`);
  }
  if (connection === 'unknown') fail(report, "channel has unknown 'connection'");
  if (connection === 'socket') {
    if (path === undefined) fail(report, "channel connection 'socket' requires path=..");
    channel.u = { connection, path };
  } else channel.u = { connection };
  return channel;
}

/** One `vfb = [...]` entry, devid its index (xl adds a vkb with each). */
export function parseVfbEntry(spec: string, devid: number): DeviceVfb {
  const vfb = { ...defaultOf(DeviceVfb), devid };
  for (const token of commaTokens(spec)) {
    const equals = token.indexOf('=');
    if (equals < 0) break;
    const key = token.slice(0, equals);
    const value = token.slice(equals + 1);
    if (key === 'vnc') vfb.vnc.enable = defboolOf(atoi(value));
    else if (key === 'vnclisten') vfb.vnc.listen = value;
    else if (key === 'vncpasswd') vfb.vnc.passwd = value;
    else if (key === 'vncdisplay') vfb.vnc.display = atoi(value);
    else if (key === 'vncunused') vfb.vnc.findunused = defboolOf(atoi(value));
    else if (key === 'keymap') vfb.keymap = value;
    else if (key === 'sdl') vfb.sdl.enable = defboolOf(atoi(value));
    else if (key === 'opengl') vfb.sdl.opengl = defboolOf(atoi(value));
    else if (key === 'display') vfb.sdl.display = value;
    else if (key === 'xauthority') vfb.sdl.xauthority = value;
  }
  return vfb;
}

/** One `usbctrl = [...]` entry, devid its index. */
export function parseUsbctrlEntry(report: DeviceReport, spec: string, devid: number): DeviceUsbctrl {
  const usbctrl = { ...defaultOf(DeviceUsbctrl), devid };
  for (const token of commaTokens(spec)) {
    let value: string | undefined;
    if ((value = optionValue(token, 'type')) !== undefined) {
      const type = fromString(USBCTRL_TYPES, value);
      if (type === undefined) fail(report, `Invalid usb controller type '${value}'`);
      usbctrl.type = type;
    } else if ((value = optionValue(token, 'version')) !== undefined) usbctrl.version = atoi(value);
    else if ((value = optionValue(token, 'ports')) !== undefined) usbctrl.ports = atoi(value);
    else fail(report, `Unknown string \`${token}' in usbctrl spec`);
  }
  return usbctrl;
}

/** One `usbdev = [...]` entry. */
export function parseUsbdevEntry(report: DeviceReport, spec: string): DeviceUsbdev {
  const usbdev = defaultOf(DeviceUsbdev);
  let hostdev = false;
  let hostbus = 0;
  let hostaddr = 0;
  for (const token of commaTokens(spec)) {
    let value: string | undefined;
    if ((value = optionValue(token, 'type')) !== undefined) {
      // xl prints getopt's `optarg` here, which no create option has set.
      if (value.toLowerCase() !== 'hostdev') fail(report, 'Invalid usb device type: (null)');
      hostdev = true;
    } else if ((value = optionValue(token, 'hostbus')) !== undefined) hostbus = strtoulInto(value, 8);
    else if ((value = optionValue(token, 'hostaddr')) !== undefined) hostaddr = strtoulInto(value, 8);
    else if ((value = optionValue(token, 'controller')) !== undefined) usbdev.ctrl = atoi(value);
    else if ((value = optionValue(token, 'port')) !== undefined) usbdev.port = atoi(value);
    else fail(report, `Unknown string \`${token}' in usbdev spec`);
  }
  usbdev.u = hostdev ? { type: 'hostdev', hostbus, hostaddr } : { type: 'unset' };
  return usbdev;
}

/** `parse_vsnd_params`: false when the token is none of them. */
function parseVsndParams(report: DeviceReport, params: VsndParams, token: string): boolean {
  let value: string | undefined;
  if ((value = optionValue(token, 'sample-rates')) !== undefined) {
    params.sampleRates = splitList(value, ';').map((rate) => strtoulInto(rate, 32));
  } else if ((value = optionValue(token, 'sample-formats')) !== undefined) {
    params.sampleFormats = splitList(value, ';').map((text) => {
      const format = fromString(VSND_PCM_FORMATS, text);
      if (format === undefined) fail(report, `Invalid pcm format: ${text}`);
      return format;
    });
  } else if ((value = optionValue(token, 'channels-min')) !== undefined) params.channelsMin = strtoulInto(value, 32);
  else if ((value = optionValue(token, 'channels-max')) !== undefined) params.channelsMax = strtoulInto(value, 32);
  else if ((value = optionValue(token, 'buffer-size')) !== undefined) params.bufferSize = strtoulInto(value, 32);
  else return false;
  return true;
}

/** `parse_vsnd_item`: one string of a card's list (`card, ...`, `pcm, ...` or `stream, ...`). */
function parseVsndItem(report: DeviceReport, vsnd: DeviceVsnd, spec: string): void {
  const [key, ...tokens] = commaTokens(spec);
  if (key === undefined) return;
  const kind = key.toLowerCase();
  if (kind === 'pcm') vsnd.pcms.push(defaultOf(VsndPcm));
  else if (kind === 'stream') {
    if (vsnd.pcms.length === 0) vsnd.pcms.push(defaultOf(VsndPcm));
    vsnd.pcms.at(-1)!.streams.push(defaultOf(VsndStream));
  } else if (kind !== 'card') fail(report, `Invalid key: ${key}`);
  for (const token of tokens) {
    let value: string | undefined;
    if (kind === 'card') {
      if (parseVsndParams(report, vsnd.params, token)) continue;
      if ((value = optionValue(token, 'backend')) !== undefined) vsnd.backendDomname = value;
      else if ((value = optionValue(token, 'short-name')) !== undefined) vsnd.shortName = value;
      else if ((value = optionValue(token, 'long-name')) !== undefined) vsnd.longName = value;
      else fail(report, `Invalid parameter: ${token}`);
    } else if (kind === 'pcm') {
      const pcm = vsnd.pcms.at(-1)!;
      if (parseVsndParams(report, pcm.params, token)) continue;
      if ((value = optionValue(token, 'name')) !== undefined) pcm.name = value;
      else fail(report, `Invalid parameter: ${token}`);
    } else {
      const stream = vsnd.pcms.at(-1)!.streams.at(-1)!;
      if (parseVsndParams(report, stream.params, token)) continue;
      if ((value = optionValue(token, 'unique-id')) !== undefined) stream.uniqueId = value;
      else if ((value = optionValue(token, 'type')) !== undefined) {
        const type = value.toLowerCase();
        if (type !== 'p' && type !== 'c') fail(report, `Invalid stream type: ${value}`);
        stream.type = type;
      } else fail(report, `Invalid parameter: ${token}`);
    }
  }
}

/** One card of `vsnd = [ [...], ... ]`: its strings in order, devid its index. */
export function parseVsndCard(report: DeviceReport, items: readonly string[], devid: number): DeviceVsnd {
  const vsnd = { ...defaultOf(DeviceVsnd), devid };
  for (const item of items) parseVsndItem(report, vsnd, item);
  return vsnd;
}

/** `parse_vkb_config` of one token. */
function parseVkbToken(report: DeviceReport, vkb: DeviceVkb, token: string): void {
  let value: string | undefined;
  if ((value = optionValue(token, 'backend')) !== undefined) vkb.backendDomname = value;
  else if ((value = optionValue(token, 'backend-type')) !== undefined) {
    const type = fromString(VKB_BACKENDS, value);
    if (type === undefined) fail(report, `Unknown backend_type "${value}" in vkb spec`);
    vkb.backendType = type;
  } else if ((value = optionValue(token, 'unique-id')) !== undefined) vkb.uniqueId = value;
  else {
    const flags = {
      'feature-disable-keyboard': 'featureDisableKeyboard',
      'feature-disable-pointer': 'featureDisablePointer',
      'feature-abs-pointer': 'featureAbsPointer',
      'feature-raw-pointer': 'featureRawPointer',
      'feature-multi-touch': 'featureMultiTouch',
    } as const;
    const sizes = {
      'multi-touch-width': 'multiTouchWidth',
      'multi-touch-height': 'multiTouchHeight',
      'multi-touch-num-contacts': 'multiTouchNumContacts',
      width: 'width',
      height: 'height',
    } as const;
    for (const [name, member] of Object.entries(flags)) {
      if ((value = optionValue(token, name)) !== undefined) {
        vkb[member] = strtoul(value, 0).value !== 0n;
        return;
      }
    }
    for (const [name, member] of Object.entries(sizes)) {
      if ((value = optionValue(token, name)) !== undefined) {
        vkb[member] = strtoulInto(value, 32);
        return;
      }
    }
    fail(report, `Unknown string "${token}" in vkb spec`);
  }
}

/** One `vkb = [...]` entry, devid its index in the vkb list (after those the vfbs added). */
export function parseVkbEntry(report: DeviceReport, spec: string, devid: number): DeviceVkb {
  const vkb = { ...defaultOf(DeviceVkb), devid };
  for (const token of commaTokens(spec)) parseVkbToken(report, vkb, token);
  if (vkb.backendType === 'unknown') fail(report, 'backend-type should be set in vkb spec');
  const touchSize = vkb.multiTouchHeight || vkb.multiTouchWidth || vkb.multiTouchNumContacts;
  if (touchSize) vkb.featureMultiTouch = true;
  if (vkb.featureMultiTouch && !touchSize) {
    fail(report, 'multi-touch-width, multi-touch-height, multi-touch-num-contacts should be set for multi touch in vkb spec');
  }
  return vkb;
}
