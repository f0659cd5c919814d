/**
 * End-to-end fixtures: the built `xl` spawned by absolute path (as a user's shell runs it) on temp
 * host files, a PATH directory whose `xl` is ours (Debian's /usr/sbin/xl needs a hypervisor), and
 * readers for every place the generation ID lives: libxl's stored config, xenstore, guest memory
 * at HVM param 34, and what the guest read through ACPI.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';
import {
  MsVmGenid,
  USERDATA_LIBXL_JSON,
  domainConfigFromJsonText,
  genidFromConfigJson,
  genidOfConfig,
  libxlGuestModel,
  readSaveFile,
  retrieveUserdataText,
} from '@xen-genid/xl-lib';
import { HVM_PARAM_VM_GENERATION_ID_ADDR, PLATFORM_GENERATION_ID_KEY, createGuestMemory, domainPath } from '@xen-genid/xc-params';
import type { ToolstackParts } from '../command-context.ts';

export const XL = new URL('../../dist/bin/xl.js', import.meta.url).pathname;

export interface XlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

export interface XlWorld {
  readonly dir: string;
  /** A directory holding an `xl` that runs ours; put first on PATH for receivers. */
  readonly binDir: string;
  /** A host file path in the world (not created until an xl uses it). */
  host(name: string): string;
  /** Writes a file in the world's directory and returns its path. */
  file(name: string, text: string): string;
  /** Runs our xl on `host` (the env var), in the world's directory. */
  xl(args: readonly string[], options?: { readonly host?: string; readonly env?: Record<string, string> }): XlResult;
  cleanup(): void;
}

export function createXlWorld(prefix: string): XlWorld {
  if (!existsSync(XL)) throw new Error(`${XL} is missing: build first (pnpm turbo run build --filter=@xen-genid/xl-cli...)`);
  const dir = mkdtempSync(join(tmpdir(), `xl-cli-${prefix}-`));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'xl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(XL)} "$@"\n`);
  chmodSync(join(binDir, 'xl'), 0o755);
  const defaultHost = join(dir, 'a.db');
  return {
    dir,
    binDir,
    host: (name) => join(dir, name),
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    xl(args, options = {}) {
      const result = spawnSync(process.execPath, [XL, ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: `${binDir}:${process.env.PATH ?? ''}`,
          HOME: dir,
          XEN_GENID_HOST: options.host ?? defaultHost,
          ...options.env,
        },
      });
      return { stdout: result.stdout, stderr: result.stderr, status: result.status };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Where the ID of one domain lives, each as 32 hex digits in memory order (null: absent). */
export interface GenidView {
  readonly domid: number;
  readonly paused: boolean;
  /** libxl's stored config (`libxl-json` userdata). */
  readonly config: string | null;
  /** `/local/domain/<domid>/platform/generation-id`, decoded from `lo:hi`. */
  readonly xenstore: string | null;
  /** The 16 bytes at HVM param 34's address. */
  readonly memory: string | null;
  /** What the guest OS model last read through ACPI. */
  readonly guest: string | null;
  /** The guest's reads so far (reason of each), and the ACPI events it received. */
  readonly reads: readonly string[];
  readonly events: number;
  /** Every touched page of guest memory, hashed, for "memory untouched" checks. */
  readonly memoryDigest: string;
}

/** The domain named `name` on host file `hostPath`, or undefined. */
export function genidView(hostPath: string, name: string): GenidView | undefined {
  // Bound as xl binds it: a guest the host's recovery resumes runs as under xl.
  const host = openHost(hostPath, { guestModel: libxlGuestModel });
  try {
    return genidViewOn({ hypervisor: host.hypervisor, xenstore: host.store, userdata: host.userdata }, name);
  } finally {
    host.close();
  }
}

/** The domain named `name` on a machine's parts, or undefined. */
export function genidViewOn(parts: ToolstackParts, name: string): GenidView | undefined {
  const { hypervisor } = parts;
  const xs = parts.xenstore.connect(0);
  try {
    const text = (path: string): string | undefined => {
      const value = xs.tryRead(path);
      return value === undefined ? undefined : Buffer.from(value).toString('utf8');
    };
    const info = hypervisor.listDomains().find((domain) => text(`${domainPath(domain.domid)}/name`) === name);
    if (!info) return undefined;
    const { domid } = info;
    const stored = retrieveUserdataText(parts.userdata, domid, USERDATA_LIBXL_JSON);
    const configGenid = stored === undefined ? undefined : genidOfConfig(domainConfigFromJsonText(stored));
    const key = text(`${domainPath(domid)}/${PLATFORM_GENERATION_ID_KEY}`);
    const address = hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
    let memory: string | null = null;
    if (address !== 0n) {
      const guest = createGuestMemory(hypervisor, domid);
      memory = guest.isPopulated(address, 16) ? Buffer.from(guest.read(address, 16)).toString('hex') : null;
    }
    const recordText = hypervisor.getGuestRecord(domid);
    const record = recordText === undefined ? undefined : (JSON.parse(recordText) as { genid: string | null; reads: { reason: string }[]; eventCount: number });
    const digest = createHash('sha256');
    for (const pfn of hypervisor.touchedPages(domid)) {
      digest.update(`${pfn}:`);
      digest.update(hypervisor.readPage(domid, pfn)!);
    }
    return {
      domid,
      paused: info.paused,
      config: configGenid && !configGenid.isZero() ? configGenid.toHex() : null,
      xenstore: key === undefined ? null : MsVmGenid.fromXenstore(key).toHex(),
      memory,
      guest: record?.genid ?? null,
      reads: record?.reads.map((read) => read.reason) ?? [],
      events: record?.eventCount ?? 0,
      memoryDigest: digest.digest('hex'),
    };
  } finally {
    xs.close();
  }
}

/** True when the domain named `name` has its xenstore home on `hostPath`. */
export function domainExists(hostPath: string, name: string): boolean {
  return genidView(hostPath, name) !== undefined;
}

/** The ID a save file records (its libxl JSON config), as hex. */
export async function savedGenid(path: string): Promise<string> {
  const image = await readSaveFile(path);
  return Buffer.from(genidFromConfigJson(image.xl.config!)).toString('hex');
}

