/**
 * The comparisons of the real-xen tier: each scenario's output normalised into one or more named
 * texts (a trace splits at the domain's introduction: what libxl writes to build the domain, then its
 * devices and device model), computed the same way for real Xen's fixtures and for our host, and the
 * list of documented divergences in docs/divergences.md that they are checked against.
 */
import { readFileSync } from 'node:fs';
import { domainLabels, infoShape, normaliseOutput, toolstackRequests } from './normalise.ts';
import type { ScenarioResult } from './scenarios.ts';

/** Scenarios that are no comparison, and why. */
export const NOT_COMPARED: ReadonlyMap<string, string> = new Map([
  ['hvm-save-file', "the save image's size and hash, checked by record.sh when it receives the image"],
  ['hvm-save-image', 'the save image itself, restored on our host by its own test'],
  ['segfaults', "dom0's health during a recording"],
]);

/** Every comparison's normalised text, by name (`<scenario>` or `<scenario>:devices`). */
export function comparisonTexts(results: ReadonlyMap<string, ScenarioResult>): Map<string, string> {
  const labels = domainLabels([...results.values()].map((result) => result.output));
  const texts = new Map<string, string>();
  for (const [name, result] of results) {
    if (NOT_COMPARED.has(name)) continue;
    if (name.endsWith('-trace')) {
      const requests = toolstackRequests(result.output, labels);
      const introduced = requests.findIndex((request) => / INTRODUCE /.test(`${request} `));
      if (introduced < 0) {
        texts.set(name, requests.join('\n'));
      } else {
        texts.set(name, requests.slice(0, introduced + 1).join('\n'));
        texts.set(`${name}:devices`, requests.slice(introduced + 1).join('\n'));
      }
      continue;
    }
    const body = name === 'info' ? infoShape(result.output) : normaliseOutput(result.output, labels);
    texts.set(name, `${body}\n[exit status ${result.rc}]`);
  }
  return texts;
}

const DIVERGENCES = new URL('../../../../docs/divergences.md', import.meta.url).pathname;
const SECTION = '## Real Xen 4.17 as referee';

/** The comparisons docs/divergences.md lists as differing (the first column of its real-xen table). */
export function documentedDivergences(): Map<string, string> {
  const text = readFileSync(DIVERGENCES, 'utf8');
  const start = text.indexOf(SECTION);
  if (start < 0) throw new Error(`docs/divergences.md has no "${SECTION}" section`);
  const end = text.indexOf('\n## ', start + SECTION.length);
  const section = text.slice(start, end < 0 ? undefined : end);
  const listed = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)) listed.set(match[1]!, match[2]!);
  return listed;
}
