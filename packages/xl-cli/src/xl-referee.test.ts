/**
 * xl's command line against Debian's real xl 4.17: every case the referee script recorded
 * (`__fixtures__/xl-referee/fixtures.json`: the command table, lookup by prefix, help, usage, option
 * and argument errors, global options) run through our `main` in process on an in-memory machine
 * of its own, stdout, stderr and exit status byte for byte. Live, the real xl is run again on each
 * case (over the stub hypervisor) to show the fixtures are still what it prints.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { memoryXl } from './__fixtures__/memory-xl.ts';
// @ts-expect-error: a plain-JavaScript script of the fixtures, without types
import { REAL_XL, SCENARIOS, buildStub, referenceCases, runReal } from './__fixtures__/xl-referee/referee.mjs';
import { ScenarioHypervisor, writeScenarioNames, type ScenarioDomain } from './__fixtures__/xl-referee/scenario-hypervisor.ts';

interface RecordedCase {
  readonly args: readonly string[];
  /** The fake domain table (a SCENARIOS name of referee.mjs), if any. */
  readonly domains?: string;
  /** Files (name: text) in the directory the case runs in. */
  readonly files?: Readonly<Record<string, string>>;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

const fixtures = JSON.parse(readFileSync(new URL('./__fixtures__/xl-referee/fixtures.json', import.meta.url), 'latin1')) as { xl: string; cases: RecordedCase[] };

describe("xl's command line, as Debian's xl 4.17 recorded it", () => {
  it('has the recorded cases', () => {
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(300);
  });

  it.each(fixtures.cases.map((recorded) => [`${recorded.domains ? `[${recorded.domains}] ` : ''}${recorded.args.join(' ') || '(no arguments)'}`, recorded] as const))('xl %s', async (_title, recorded) => {
    const table = recorded.domains === undefined ? undefined : (SCENARIOS as Record<string, ScenarioDomain[]>)[recorded.domains]!;
    const machine = table ? memoryXl(1, (options) => new ScenarioHypervisor(table, options)) : memoryXl();
    if (table) writeScenarioNames(machine.parts.xenstore, table);
    for (const [name, text] of Object.entries(recorded.files ?? {})) machine.file(name, text);
    // The real xl ran in its case's directory: relative paths (and the messages naming them) match there.
    const cwd = process.cwd();
    process.chdir(machine.dir);
    let ours;
    try {
      ours = await machine.xl(recorded.args, { programName: fixtures.xl });
    } finally {
      process.chdir(cwd);
    }
    expect(ours).toEqual({ stdout: recorded.stdout, stderr: recorded.stderr, status: recorded.status });
  });
});

const referee = findReferee('xl 4.17 (xen-utils-4.17) and gcc', [REAL_XL as string, 'gcc']);
describeWithReferee("the recorded cases are still what Debian's xl 4.17 prints", referee, () => {
  let dir = '';
  let stub = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xl-referee-'));
    stub = (buildStub as (dir: string) => string)(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the same cases the script lists, and the real xl prints each as recorded', () => {
    const cases = (referenceCases as () => Array<{ args: string[]; domains?: string; files?: Record<string, string> }>)();
    const key = (item: { args: readonly string[]; domains?: string }): string => `${item.domains ?? ''}\0${item.args.join('\0')}`;
    const recorded = new Map(fixtures.cases.map((item) => [key(item), item]));
    for (const { args, domains, files } of cases) {
      const real = (runReal as (args: string[], options: { dir: string; stub: string; domains?: string; files?: Record<string, string> }) => RecordedCase & { signal?: string })(args, { dir, stub, domains, files });
      const fixture = recorded.get(key({ args, domains }));
      if (real.status === null) {
        expect(fixture, `xl ${args.join(' ')} crashes over the stub and is not recorded`).toBeUndefined();
        continue;
      }
      expect({ args, stdout: real.stdout, stderr: real.stderr, status: real.status }).toEqual({ args, stdout: fixture?.stdout, stderr: fixture?.stderr, status: fixture?.status });
    }
  }, 900_000);
});
