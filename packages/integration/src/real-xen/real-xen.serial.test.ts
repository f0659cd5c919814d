/**
 * Our host against real Xen 4.17: every scenario of real-xen/scenarios.txt runs on our host and is
 * compared with what real Xen printed (the committed fixtures record.sh wrote), after normalising
 * only what is random or machine-bound. A comparison that differs must be listed in
 * docs/divergences.md, and one listed there must still differ: the list is exact.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { comparisonTexts, documentedDivergences } from './compare.ts';
import { XENSTORE_TOOLS, startOurHost } from './our-host.ts';
import { readRecorded, readScenarios, recordedFiles, type ScenarioResult } from './scenarios.ts';

const real = readRecorded();
const realTexts = comparisonTexts(real);
const documented = documentedDivergences();
const referee = findReferee('xenstore-utils', XENSTORE_TOOLS);

describeWithReferee('real Xen 4.17 as referee: our host against the recorded runs', referee, () => {
  const ours = new Map<string, ScenarioResult>();
  let ourTexts = new Map<string, string>();

  beforeAll(async () => {
    const host = await startOurHost();
    try {
      for (const scenario of readScenarios()) ours.set(scenario.name, { name: scenario.name, ...host.run(scenario.command) });
    } finally {
      await host.close();
    }
    ourTexts = comparisonTexts(ours);
    // `XEN_GENID_REAL_XEN_DIFF_DIR=<dir>`: both sides' normalised texts as files, to diff by hand.
    const dump = process.env.XEN_GENID_REAL_XEN_DIFF_DIR;
    if (dump) {
      mkdirSync(dump, { recursive: true });
      for (const [name, text] of realTexts) writeFileSync(join(dump, `${name}.real`), `${text}\n`);
      for (const [name, text] of ourTexts) writeFileSync(join(dump, `${name}.ours`), `${text}\n`);
    }
  }, 600_000);

  it('has a fixture for every scenario and no other, all from one serial log', () => {
    expect(recordedFiles().sort()).toEqual(readScenarios().map((scenario) => `${scenario.name}.txt`).sort());
    expect(new Set([...real.values()].map((result) => result.serialSha256)).size).toBe(1);
  });

  it('lists in docs/divergences.md only comparisons that exist', () => {
    const unknown = [...documented.keys()].filter((name) => !realTexts.has(name));
    expect(unknown).toEqual([]);
  });

  it.each([...realTexts.keys()])('%s', (name) => {
    const mine = ourTexts.get(name);
    if (documented.has(name)) {
      // A documented divergence that went away must leave the list too.
      expect(mine, `${name} now matches real Xen: remove it from docs/divergences.md`).not.toBe(realTexts.get(name));
    } else {
      expect(mine).toBe(realTexts.get(name));
    }
  });

  it('keeps the generation ID across save and restore on real Xen, and renews it on ours (our policy)', () => {
    const id = (results: ReadonlyMap<string, ScenarioResult>, name: string): string => results.get(name)!.output.trim();
    expect(id(real, 'hvm-genid-before')).toMatch(/^\d+:\d+$/);
    expect(id(real, 'hvm-genid-restored')).toBe(id(real, 'hvm-genid-before'));
    expect(id(ours, 'hvm-genid-before')).toMatch(/^\d+:\d+$/);
    expect(id(ours, 'hvm-genid-restored')).toMatch(/^\d+:\d+$/);
    expect(id(ours, 'hvm-genid-restored')).not.toBe(id(ours, 'hvm-genid-before'));
  });
});
