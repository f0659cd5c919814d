/**
 * The real-xen referee's scenarios and what a run of them left: `real-xen/scenarios.txt` lists them
 * (`<name> <command>` a line), `real-xen/record.sh` runs them in one boot of real Xen 4.17 and writes a
 * directory of `<name>.txt` files, each a header (`# scenario:`, `# command:`, `# rc:`,
 * `# serial-sha256:`) and then what the command printed in dom0.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const REAL_XEN_DIR = new URL('../../real-xen/', import.meta.url).pathname;
/** The committed fixtures (written only by `record.sh`). */
export const FIXTURES_DIR = new URL('./__fixtures__/', import.meta.url).pathname;

export interface Scenario {
  readonly name: string;
  readonly command: string;
}

export interface ScenarioResult {
  readonly name: string;
  readonly rc: number;
  readonly output: string;
}

export interface RecordedResult extends ScenarioResult {
  readonly command: string;
  readonly serialSha256: string;
}

export function readScenarios(): Scenario[] {
  return readFileSync(join(REAL_XEN_DIR, 'scenarios.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\S+)\s+(.*)$/.exec(line);
      if (!match) throw new Error(`scenarios.txt: no command in ${JSON.stringify(line)}`);
      return { name: match[1]!, command: match[2]! };
    });
}

const HEADER = /^# scenario: (.*)\n# command: (.*)\n# rc: (\d+)\n# serial-sha256: ([0-9a-f]{64})\n/;

/**
 * Xen's own lines and the guests' (`(XEN) …`, `(d2) …`) share the serial console with dom0's and can
 * start in the middle of one of dom0's lines: the line is cut there (record.sh drops whole ones).
 */
function withoutConsoleInterleaving(output: string): string {
  return output.replace(/(?<=.)\((?:XEN|d\d+)\) .*$/gm, '');
}

export function parseRecorded(text: string, file: string): RecordedResult {
  const match = HEADER.exec(text);
  if (!match) throw new Error(`${file}: not a real-xen fixture (no header)`);
  const output = withoutConsoleInterleaving(text.slice(match[0].length));
  return { name: match[1]!, command: match[2]!, rc: Number(match[3]), serialSha256: match[4]!, output };
}

/** Every scenario's result in `dir`, by name; every scenario of scenarios.txt must be there. */
export function readRecorded(dir: string = FIXTURES_DIR): Map<string, RecordedResult> {
  const results = new Map<string, RecordedResult>();
  for (const scenario of readScenarios()) {
    const file = join(dir, `${scenario.name}.txt`);
    if (!existsSync(file)) throw new Error(`${file} is missing: run real-xen/record.sh`);
    results.set(scenario.name, parseRecorded(readFileSync(file, 'utf8'), file));
  }
  return results;
}

/** The fixture files present in `dir` (to catch leftovers of a renamed scenario). */
export function recordedFiles(dir: string = FIXTURES_DIR): string[] {
  return readdirSync(dir).filter((file) => file.endsWith('.txt') && file !== 'run.txt');
}
