/**
 * Our libxl JSON against Debian's real libxenlight 4.17: arbitrary domain configs (every modelled
 * member, devices empty) are printed by us, read and printed again by real
 * `libxl_domain_config_from_json` / `libxl_domain_config_to_json`, and the texts must be equal byte
 * for byte. So the member order, the omission of defaults, the keyed-union keys, the defbool and
 * enum strings, integer widths and string escaping are all libxl's. Bad JSON must fail in both.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReferee, findReferee, type Referee } from '@xen-genid/test-utils';
import { arbitraryFor } from './__fixtures__/arbitrary.ts';
import { DomainConfig, domainConfigFromJsonText, domainConfigToJsonText } from './domain-config.ts';

function findLibxl(): Referee {
  const found = findReferee('libxenlight 4.17 (libxen-dev) and gcc', ['gcc']);
  if (found.missing) return found;
  for (const file of ['/usr/include/libxl.h', '/usr/lib/x86_64-linux-gnu/libxenlight.so']) {
    if (!existsSync(file)) return { ...found, missing: `libxen-dev not installed (missing: ${file})` };
  }
  return found;
}

const seed = Number(process.env.XEN_GENID_FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

describeWithReferee('libxl JSON against real libxenlight 4.17', findLibxl(), () => {
  let dir = '';
  let referee = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xl-lib-libxl-json-'));
    referee = join(dir, 'libxl-json-referee');
    const source = new URL('./__fixtures__/libxl-json-referee.c', import.meta.url).pathname;
    execFileSync('gcc', ['-O1', '-o', referee, source, '-lxenlight', '-lxentoollog']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Real libxl's parse-then-print of each text: its rc and output. */
  function realLibxl(texts: readonly string[]): { rc: number; json: string }[] {
    const files = texts.map((text, index) => {
      const file = join(dir, `config-${index}.json`);
      writeFileSync(file, text);
      return file;
    });
    const output = execFileSync(referee, files, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    return output
      .split(/^=== /m)
      .slice(1)
      .map((chunk) => {
        const newline = chunk.indexOf('\n');
        return { rc: Number(chunk.slice(0, newline)), json: chunk.slice(newline + 1) };
      });
  }

  it(`prints every arbitrary config exactly as libxl does (seed ${seed})`, () => {
    const configs = fc.sample(arbitraryFor(DomainConfig, { noOpaque: true }), { numRuns: 400, seed }) as DomainConfig[];
    const texts = configs.map(domainConfigToJsonText);
    const results = realLibxl(texts);
    expect(results).toHaveLength(texts.length);
    results.forEach((result, index) => {
      expect(result.rc, texts[index]).toBe(0);
      expect(result.json, `config ${index} (seed ${seed})`).toBe(texts[index]);
    });
  }, 60_000);

  it('reads what libxl prints back to the same text', () => {
    const configs = fc.sample(arbitraryFor(DomainConfig, { noOpaque: true }), { numRuns: 50, seed: seed + 1 }) as DomainConfig[];
    const results = realLibxl(configs.map(domainConfigToJsonText));
    for (const result of results) expect(domainConfigToJsonText(domainConfigFromJsonText(result.json))).toBe(result.json);
  }, 60_000);

  it('fails where libxl fails, and skips what libxl skips', () => {
    const cases = [
      '{"b_info": {"type.hvm": {"ms_vm_genid": [1, 2, 3]}}}',
      `{"b_info": {"type.hvm": {"ms_vm_genid": [1.5${', 0'.repeat(15)}]}}}`,
      '{"b_info": {"type.hvm": {"ms_vm_genid": "0102"}}}',
      '{"c_info": {"type": "xen"}}',
      '{"c_info": {"hap": "yes"}}',
      '{"c_info": {"name": 5, "hap": "Truex"}, "b_info": {"max_vcpus": "2", "type.pv": {}}, "on_crash": "Preserve"}',
      `{"b_info": {"type.hvm": {"ms_vm_genid": [300, -1${', 7'.repeat(14)}, 9]}}}`,
      '{"b_info": {"max_vcpus": 4294967297, "event_channels": -1}}',
      '{"b_info": {"cpuid": 5}}',
      '{"b_info": {"cpuid": null}}',
      '{"b_info": {"cpuid": {"cpuid": []}}}',
      '{"b_info": {"cpuid": {"cpuid": [], "msr": [{"index": 266, "policy": "x"}]}}}',
      `{"b_info": {"cpuid": {"cpuid": [], "msr": [{"index": "266", "policy": "${'x'.repeat(64)}"}]}}}`,
      '{"b_info": {"cpuid": {"cpuid": [7], "msr": []}}}',
      `{"b_info": {"cpuid": [{"leaf": 1, "ecx": "${'1'.repeat(32)}", "eax": 5}, {"leaf": 4294967297, "subleaf": -1}]}}`,
      `{"b_info": {"cpuid": {"cpuid": [{"leaf": 1}, {"subleaf": 2}, {"leaf": 3}], "msr": [{"index": 16, "policy": "${'k'.repeat(64)}"}, {"index": -1, "policy": "${'0'.repeat(64)}"}]}}}`,
      '{"b_info": {"cpuid": {"cpuid": [], "msr": []}}}',
    ];
    const results = realLibxl(cases);
    cases.forEach((text, index) => {
      const real = results[index]!;
      let ours: string | number;
      try {
        ours = domainConfigToJsonText(domainConfigFromJsonText(text));
      } catch (error) {
        ours = (error as { rc: number }).rc;
      }
      if (real.rc !== 0) expect(ours, text).toBe(real.rc);
      else expect(ours, text).toBe(real.json);
    });
  });
});
