/**
 * What a real-xen scenario printed, with only the random and machine-bound parts replaced, so real
 * Xen's output and ours compare as text: uuids, generation IDs, MACs in Xen's OUI, loop devices, start times, ring references,
 * event-channel ports, process ids, ttys, `Time(s)`, whether a domain was running or blocked at that
 * moment, Domain-0's memory and vcpus, trace timestamps,
 * xl's progress lines, and domain ids (named after their domain, since a failed create uses up an id
 * on real Xen). Everything else must be equal.
 */

/** Domain id → the name it is shown as (`<hvm1>`), from what `xl list` printed, in scenario order. */
export type DomainLabels = ReadonlyMap<number, string>;

/** An `xl list` row, and `xl list -v`'s with its uuid, reason code and security label after the time. */
const LIST_ROW = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+([\d.]+)((?:\s+\S+){3})?$/;
/** An `xl vm-list` row: uuid, domain id, name (padded). */
const VM_LIST_ROW = /^(<uuid>|[0-9a-f-]{36})\s+(\d+)\s+(\S+)\s*$/;
const NAME_NODE = /^\/local\/domain\/(\d+)\/name = "([^"]*)"/;
const FAILED_CREATE = /^libxl: error: libxl_create\.c:\d+:initiate_domain_create: Domain (\d+):Unable to set/;
/** An `xl list -l` entry: its domid, then its config's name. */
const LIST_L_ENTRY = /^ {8}"domid": (\d+),\n {8}"config": \{\n {12}"c_info": \{\n(?: {16}.*\n)*? {16}"name": "([^"]*)"/gm;

/**
 * Labels for every guest that an `xl list` row, an `xl list -l` entry, a `xenstore-ls` name node
 * or libxl's line for a create that failed once the domain was made shows, in the order of the
 * outputs; a name seen again with a new id gets `#2`, `#3`.
 */
export function domainLabels(outputs: readonly string[]): Map<number, string> {
  const labels = new Map<number, string>();
  const names = new Map<string, number>();
  const add = (domid: string, name: string): void => {
    if (domid === '0' || labels.has(Number(domid))) return;
    const seen = (names.get(name) ?? 0) + 1;
    names.set(name, seen);
    labels.set(Number(domid), seen === 1 ? `<${name}>` : `<${name}#${seen}>`);
  };
  for (const output of outputs) {
    for (const entry of output.matchAll(LIST_L_ENTRY)) add(entry[1]!, entry[2]!);
    for (const line of output.split('\n')) {
      const row = LIST_ROW.exec(line);
      const node = NAME_NODE.exec(line);
      const failed = FAILED_CREATE.exec(line);
      // A create that failed after the domain was made names it only in libxl's lines.
      const [domid, name] = row ? [row[2]!, row[1]!] : node ? [node[1]!, node[2]!] : failed ? [failed[1]!, 'failed create'] : [];
      if (domid !== undefined && name !== undefined) add(domid, name);
    }
  }
  return labels;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** xenstore keys whose values are random or machine-bound. */
const MACHINE_KEYS = new Set(['generation-id', 'start_time', 'ring-ref', 'port', 'device-model-pid', 'tty', 'event-channel']);

function label(labels: DomainLabels, domid: string): string {
  return labels.get(Number(domid)) ?? domid;
}

/** Domain ids where a path, a permission list, a JSON key or an xl message puts them. */
export function labelDomains(text: string, labels: DomainLabels): string {
  const id = (domid: string): string => label(labels, domid);
  return text
    .replace(/(\/local\/domain\/|\/libxl\/|device-model\/|backend\/[\w-]+\/)(\d+)/g, (_, head: string, domid: string) => head + id(domid))
    .replace(/\(([nrwb]\d+(?:,[nrwb]\d+)*)\)/g, (_, list: string) => `(${list.replace(/([nrwb])(\d+)/g, (__, a: string, d: string) => a + id(d))})`)
    .replace(/("domid": |[Dd]omain |frontend-id = "|\/domid = ")(\d+)/g, (_, head: string, domid: string) => head + id(domid));
}

/** Values of machine-bound keys, uuids and the 16 bytes of an ID, wherever they appear. */
function maskValues(text: string): string {
  return text
    .replace(UUID, '<uuid>')
    // The MACs libxl picks in Xen's OUI (a given one looks the same).
    .replace(/\b00:16:3e(?::[0-9a-f]{2}){3}\b/g, '<xen-mac>')
    // The loop devices of file images: libxl runs the disks' block scripts at once, which race for them.
    .replace(/\/dev\/loop\d+/g, '/dev/loop<N>')
    .replace(/(\/physical-device = "7:)[0-9a-f]+"/g, '$1<N>"')
    // libxl writes an error's strerror part on its own; dom0's console can put a kernel line between.
    .replace(/\n(?=: )/g, '')
    .replace(/^(\S*\/([\w-]+) = ")([^"]*)(")/gm, (all, head: string, key: string, _value: string, tail: string) =>
      MACHINE_KEYS.has(key) ? `${head}<${key}>${tail}` : all,
    )
    .replace(/^\d{1,20}:\d{1,20}$/gm, '<generation-id>')
    .replace(/"ms_vm_genid": \[[\s\d,]*\]/g, '"ms_vm_genid": <generation-id>');
}

/** An output of xl or the xenstore tools, normalised. */
export function normaliseOutput(text: string, labels: DomainLabels): string {
  const lines = maskValues(text)
    .split('\n')
    // xl save's and restore's progress and its padding: `\r` updates joined on dom0's console (a
    // terminal), or a line each (`xc: progress: ...`) where stderr is not a terminal.
    .map((line) => line.replace(/(?:xc: (?:Frames|End of stream)[^%]*%)+/g, '').replace(/^xc: progress: .*%$/, '').trimEnd())
    .filter((line, index, all) => line !== '' || index === all.length - 1)
    .map((line) => {
      const vm = VM_LIST_ROW.exec(line);
      if (vm) return `${vm[1]} ${label(labels, vm[2]!)} ${vm[3]}`;
      const row = LIST_ROW.exec(line);
      if (!row) return line;
      const [, name, domid, memory, vcpus, state, , verbose] = row;
      const dom0 = domid === '0';
      // Running or blocked (the first two flags) is the scheduler's moment; paused, shut down, dying are not.
      const flags = `..${state!.slice(2)}`;
      const columns = [name, label(labels, domid!), dom0 ? '<mem>' : memory, dom0 ? '<vcpus>' : vcpus, flags, '<time>'];
      return [...columns, ...(verbose?.trim().split(/\s+/) ?? [])].join(' ');
    });
  return labelDomains(maskDomain0Memory(lines.join('\n')), labels)
    // The saved config's length in bytes (its generation ID's digits vary).
    .replace(/(new xl (?:format \(info|fmt info) 0x[0-9a-f]+\/0x[0-9a-f]+)\/\d+\)/g, '$1/<config bytes>)');
}

/**
 * Domain-0's memory (the boot's `dom0_mem=`): in its `xl list -l` entry and in its own xenstore
 * `memory/target` and `memory/static-max`, which libxl fills in from the hypervisor.
 */
function maskDomain0Memory(text: string): string {
  return text
    .replace(/^(\/local\/domain\/0\/memory\/(?:target|static-max) = ")\d+(")/gm, '$1<dom0-mem>$2')
    .replace(/\n {8}"domid": 0,\n[\s\S]*?(?=\n {8}"domid": |$)/g, (entry) => entry.replace(/("(?:max|target)_memkb": )\d+/g, '$1<dom0-mem>'));
}

/** `xl info`'s shape: its keys, in order (the values are the machine's). */
export function infoShape(text: string): string {
  return text
    .split('\n')
    .map((line) => /^(\w+)\s+:/.exec(line)?.[1])
    .filter((key) => key !== undefined)
    .join('\n');
}

interface TraceLine {
  readonly kind: 'IN' | 'OUT';
  readonly connection: string;
  readonly type: string;
  readonly payload: string;
}

const TRACE_LINE = /^(IN|OUT) (\S+) \d{8} \d\d:\d\d:\d\d (\S+) \((.*)\)$/;
/** The requests that change the store (what our trace records). */
const CHANGING = new Set(['WRITE', 'MKDIR', 'RM', 'SET_PERMS', 'TRANSACTION_START', 'TRANSACTION_END', 'INTRODUCE', 'RELEASE']);
/** Changing requests whose first payload string is a path. */
const PATH_REQUESTS = new Set(['WRITE', 'MKDIR', 'RM', 'SET_PERMS']);

/**
 * The toolstack's requests in a slice of a `-T` trace (real xenstored's or our host's): those of
 * connections opened during the slice that change nodes by absolute paths only. That leaves out
 * xenstored's longer-lived clients (xenconsoled) and qemu-xen and guests, which write paths relative
 * to their home (libxl only reads one so, its own `domid`). Each connection's requests in order, connections in the order they opened (named c1, c2…):
 * concurrent processes interleave differently from run to run.
 */
export function toolstackRequests(trace: string, labels: DomainLabels): string[] {
  const opened: string[] = [];
  const requests = new Map<string, TraceLine[]>();
  for (const line of trace.split('\n')) {
    const created = /^CREATE connection (\S+)$/.exec(line);
    if (created) {
      // xenstored reuses a freed connection's address: a new connection of the same name starts afresh.
      opened.push(created[1]!);
      requests.set(`${created[1]!}#${opened.length}`, []);
      continue;
    }
    const match = TRACE_LINE.exec(line);
    if (!match || match[1] !== 'IN') continue;
    const connection = match[2]!;
    const index = opened.lastIndexOf(connection);
    if (index < 0) continue;
    requests.get(`${connection}#${index + 1}`)!.push({ kind: 'IN', connection, type: match[3]!, payload: match[4]! });
  }
  const result: string[] = [];
  let number = 0;
  for (const [, lines] of requests) {
    const relative = lines.some((line) => PATH_REQUESTS.has(line.type) && !line.payload.startsWith('/'));
    const changing = lines.filter((line) => CHANGING.has(line.type));
    if (relative || changing.length === 0) continue;
    number += 1;
    for (const line of changing) result.push(`c${number} ${normaliseRequest(line, labels)}`);
  }
  return result;
}

function normaliseRequest(line: TraceLine, labels: DomainLabels): string {
  const payload = line.payload.replace(UUID, '<uuid>');
  if (line.type === 'INTRODUCE' || line.type === 'RELEASE') {
    // INTRODUCE's mfn and event channel are the machine's.
    return `${line.type} ${label(labels, payload.split(' ')[0]!)}`;
  }
  if (line.type === 'WRITE') {
    const space = payload.indexOf(' ');
    const path = space < 0 ? payload : payload.slice(0, space);
    let value = space < 0 ? '' : payload.slice(space + 1);
    const key = path.slice(path.lastIndexOf('/') + 1);
    if (MACHINE_KEYS.has(key) && value !== '') value = `<${key}>`;
    else if (key === 'domid' || key === 'frontend-id') value = label(labels, value);
    return labelDomains(`WRITE ${path} ${value}`.trimEnd(), labels);
  }
  if (line.type === 'SET_PERMS') {
    const [path, ...perms] = payload.trimEnd().split(' ');
    const labelled = perms.map((perm) => perm[0]! + label(labels, perm.slice(1)));
    return labelDomains(['SET_PERMS', path, ...labelled].join(' '), labels);
  }
  return labelDomains(`${line.type} ${payload}`.trimEnd(), labels);
}
