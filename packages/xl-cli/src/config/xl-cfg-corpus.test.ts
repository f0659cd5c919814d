/**
 * The xl.cfg corpus (`__fixtures__/xl-cfg-corpus/`): every config through our `xl -N create`,
 * byte for byte (exit status, stderr, stdout) against what Debian's real xl 4.17 printed, recorded
 * by `scripts/record-xl-cfg-corpus.mjs` (fixtures everywhere; the live real xl where installed).
 * Only the random uuid and generation ID differ between runs. The corpus must use every key
 * xl.cfg(5) documents and every device spec form.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { main } from '../main.ts';
import { getListItem } from './getters.ts';
import { parseXlCfg } from './parse-xl-cfg.ts';
import type { XlCfgValue } from './xl-cfg.ts';

const CORPUS = new URL('./__fixtures__/xl-cfg-corpus/', import.meta.url).pathname;
const REAL_XL = '/usr/lib/xen-4.17/bin/xl';

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const names = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.cfg'))
  .map((file) => file.slice(0, -'.cfg'.length))
  .sort();

/** What differs on every run: the random uuid and the 16 generation-ID bytes. */
const normalise = (outcome: Outcome): Outcome => ({
  status: outcome.status,
  stderr: outcome.stderr,
  stdout: outcome.stdout
    .replace(/"uuid": "[0-9a-f-]{36}"/g, '"uuid": "<uuid>"')
    .replace(/"ms_vm_genid": \[[\s\d,]*\]/g, '"ms_vm_genid": <genid>'),
});

async function runOurs(name: string, env: Record<string, string>): Promise<Outcome> {
  const result = { status: 0 as number | null, stdout: '', stderr: '' };
  const text = (chunk: string | Uint8Array) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  result.status = await main(['-N', 'create', `${name}.cfg`], {
    stdout: { write: (chunk) => (result.stdout += text(chunk)) },
    stderr: { write: (chunk) => (result.stderr += text(chunk)) },
    readFile: (path) => readFileSync(join(CORPUS, path)),
    env,
  });
  return result;
}

const recorded = (name: string): Outcome => JSON.parse(readFileSync(join(CORPUS, `${name}.xl-4.17.json`), 'utf8')) as Outcome;

describe('the xl.cfg corpus against real xl 4.17 (recorded)', () => {
  let home = '';
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'xl-cfg-corpus-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('holds at least 60 configs, each with its recording', () => {
    expect(names.length).toBeGreaterThanOrEqual(60);
    for (const name of names) expect(() => recorded(name), name).not.toThrow();
  });

  it.each(names)('%s', async (name) => {
    const ours = await runOurs(name, { HOME: home, XEN_GENID_HOST: join(home, 'host.db') });
    expect(normalise(ours)).toEqual(normalise(recorded(name)));
  });
});

describeWithReferee('the xl.cfg corpus against real xl 4.17 (live)', findReferee('xl 4.17 (xen-utils-4.17) and gcc', [REAL_XL, 'gcc']), () => {
  let dir = '';
  let stub = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xl-cfg-corpus-live-'));
    stub = join(dir, 'stub.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', stub, new URL('../commands/__fixtures__/xl-hypervisor-stub.c', import.meta.url).pathname]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('real xl still prints what was recorded, and ours prints the same', async () => {
    for (const name of names) {
      const real = spawnSync(REAL_XL, ['-N', 'create', `${name}.cfg`], {
        cwd: CORPUS,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LD_PRELOAD: stub },
        timeout: 20_000,
      });
      expect(real.error).toBeUndefined();
      expect(normalise(real), name).toEqual(normalise(recorded(name)));
      expect(normalise(await runOurs(name, { HOME: dir, XEN_GENID_HOST: join(dir, 'host.db') })), name).toEqual(normalise(real));
    }
  }, 180_000);
});

/** Every setting of the corpus: its key and each string it holds (list items included). */
function corpusSettings(): { key: string; strings: string[] }[] {
  const strings = (value: XlCfgValue): string[] =>
    value.type === 'string' ? [value.bytes] : value.items.flatMap((item, index) => (item.type === 'list' ? strings(item) : [getListItem(value, index)!]));
  return names.flatMap((name) => {
    const parsed = parseXlCfg(readFileSync(join(CORPUS, `${name}.cfg`)), { source: name });
    return parsed.ok ? parsed.config.settings.map((setting) => ({ key: setting.name, strings: strings(setting.value) })) : [];
  });
}

/** Each device spec form, by key: a pattern one corpus entry of that key must match. */
const SPEC_FORMS: Record<string, Record<string, RegExp>> = {
  disk: {
    'positional target,format,vdev,access': /^[^=,]+,(raw|qcow2?|vhd),[a-z]+,(rw?|w|ro)$/,
    'deprecated prefix': /^(phy|file|tap2?|aio|qcow2|vhd|nbd):/,
    'vdev:cdrom': /:cdrom/,
    'key=value': /vdev=.*target=/,
    'devtype=cdrom': /devtype=cdrom/,
    backendtype: /backendtype=/,
    script: /script=/,
  },
  vif: { mac: /mac=/, bridge: /bridge=/, 'type=ioemu and model': /type=ioemu.*model=|model=.*type=ioemu/, 'empty entry': /^$/ },
  pci: {
    'BB:DD.F': /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/,
    'DDDD:BB:DD.F': /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/,
    'every function (.*)': /\.\*/,
    '@vslot': /@[0-9a-f]+/,
    'bdf= and vslot=': /bdf=.*vslot=/,
    'name=': /^name=/,
    'per-device options': /permissive=.*msitranslate=|power_mgmt=.*seize=/,
    rdm_policy: /rdm_policy=/,
  },
  rdm: { strategy: /strategy=/, policy: /policy=/ },
  cpus: { range: /^\d+-\d+/, 'excluded cpu': /\^\d/, all: /^all$/, nodes: /^nodes?:/ },
  cpus_soft: { all: /^all$/, 'excluded cpu': /\^\d/ },
  usbctrl: { type: /type=/, version: /version=/, ports: /ports=/ },
  usbdev: { 'type=hostdev': /type=hostdev/, 'hostbus and hostaddr': /hostbus=.*hostaddr=/, 'controller and port': /controller=.*port=/ },
  vfb: { vnc: /vnc=1.*vnclisten=.*vncdisplay=.*vncunused=.*vncpasswd=/, sdl: /sdl=1.*opengl=.*display=.*xauthority=/, keymap: /keymap=/ },
  vkb: { 'backend-type': /backend-type=/, 'unique-id': /unique-id=/, features: /feature-disable-keyboard=.*feature-abs-pointer=/, 'multi-touch': /multi-touch-width=.*multi-touch-height=.*multi-touch-num-contacts=/ },
  vtpm: { backend: /backend=/, uuid: /uuid=/ },
  p9: { 'tag, security_model, path': /tag=.*security_model=.*path=/, backend: /backend=/ },
  pvcalls: { backend: /backend=/ },
  vdispl: { 'backend and be-alloc': /backend=.*be-alloc=/, connectors: /connectors=[^;]+;/ },
  vsnd: { card: /^card,/, pcm: /^pcm,/, stream: /^stream,/, 'sample rates and formats': /sample-rates=.*sample-formats=/ },
  channel: { socket: /connection=socket/, pty: /connection *= *pty/, name: /name=/ },
  viridian: { all: /^all$/, defaults: /^defaults$/, group: /^[a-z_]+$/, 'disabled group': /^!/ },
  iomem: { '@gfn': /@/, 'no gfn': /^[0-9a-fx]+,[0-9]+$/ },
  cpuid: { 'host string': /^host,/, 'xend leaf': /^[0-9a-fx]+:e[a-d]x=/, 'xend subleaf': /^[0-9a-fx]+,[0-9a-fx]+:e[a-d]x=/ },
  ioports: { range: /-/, single: /^[0-9a-fA-F]+$/ },
};

describe('the xl.cfg corpus covers xl.cfg(5)', () => {
  const settings = corpusSettings();
  const keys = (JSON.parse(readFileSync(join(CORPUS, 'keys.json'), 'utf8')) as { keys: string[] }).keys;

  it('uses every key xl.cfg(5) documents and xl reads', () => {
    expect(keys.length).toBeGreaterThan(100);
    const used = new Set(settings.map((setting) => setting.key));
    expect(keys.filter((key) => !used.has(key))).toEqual([]);
  });

  it.each(Object.entries(SPEC_FORMS))('uses every %s spec form', (key, forms) => {
    const entries = settings.filter((setting) => setting.key === key).flatMap((setting) => setting.strings);
    for (const [form, pattern] of Object.entries(forms)) {
      expect(entries.some((entry) => pattern.test(entry)), `${key}: ${form}`).toBe(true);
    }
  });
});
