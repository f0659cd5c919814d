/**
 * The consumer test: each published package, packed with `pnpm pack` and installed with npm into an
 * empty project outside the workspace, works from its tarball alone: a Node ESM script uses the
 * public API for something real, and `tsc` (NodeNext, strict) resolves its types.
 *
 * To cover another package, add an entry to `CONSUMERS` (and its tarball's own workspace
 * dependencies to `packages`, in install order).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPublished, publishedPackages, root } from './workspace-packages.ts';

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Consumer {
  /** The package under test, e.g. `@xen-genid/xc-params`. */
  readonly name: string;
  /** Every workspace package whose tarball must be installed, the package under test included. */
  readonly packages: readonly string[];
  /** A Node ESM script using the public API; prints one line of JSON. */
  readonly script: string;
  /** What the script must print, parsed. */
  readonly expected: unknown;
  /** A TypeScript module for `tsc --noEmit` against the installed types; must type-check. */
  readonly types: string;
  /** A TypeScript module misusing the API, and the diagnostic `tsc` must report for it. */
  readonly misuse: { readonly source: string; readonly diagnostic: RegExp };
}

const CONSUMERS: readonly Consumer[] = [
  {
    name: '@xen-genid/xc-params',
    packages: ['xc-params'],
    script: `
import {
  createGuestMemory, createXc, DOMID_SELF, HVM_NR_PARAMS, HVM_PARAM_IDENT_PT,
  HVM_PARAM_VM_GENERATION_ID_ADDR, hvmParamName, MemoryHypervisor, XcError,
} from '@xen-genid/xc-params';
const hypervisor = new MemoryHypervisor();
const { domid } = hypervisor.createDomain({ type: 'hvm' });
const firmware = createXc(hypervisor, { caller: domid });
firmware.hvmParamSet(DOMID_SELF, HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc001000n);
let denied;
try { firmware.hvmParamSet(DOMID_SELF, HVM_PARAM_IDENT_PT, 1n); } catch (error) { denied = XcError.is(error) ? error.code : String(error); }
const xc = createXc(hypervisor);
const address = xc.hvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
const mapping = xc.mapForeignRange(domid, Number(address >> 12n), 1);
mapping.bytes.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], Number(address & 0xfffn));
mapping.unmap();
const seen = Array.from(createGuestMemory(hypervisor, domid).read(address, 16));
console.log(JSON.stringify({ domid, address: address.toString(16), denied, seen, nr: HVM_NR_PARAMS, name: hvmParamName(34) }));
`,
    expected: {
      domid: 1,
      address: 'fc001000',
      denied: 'EPERM',
      seen: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
      nr: 39,
      name: 'HVM_PARAM_VM_GENERATION_ID_ADDR',
    },
    types: `
import { createXc, MemoryHypervisor, HVM_PARAM_VM_GENERATION_ID_ADDR, XcError, type Hypervisor, type XcErrno } from '@xen-genid/xc-params';
import type { HypervisorFactory } from '@xen-genid/xc-params/testing';
const hypervisor: Hypervisor = new MemoryHypervisor();
const xc = createXc(hypervisor);
const value: bigint = xc.hvmParamGet(0, HVM_PARAM_VM_GENERATION_ID_ADDR);
// @ts-expect-error a param value is a bigint (uint64), never a number
xc.hvmParamSet(1, HVM_PARAM_VM_GENERATION_ID_ADDR, 5);
// @ts-expect-error the domain type is 'hvm' | 'pvh' | 'pv'
hypervisor.createDomain({ type: 'hvn' });
const code: XcErrno = new XcError('ESRCH').code;
const factory: HypervisorFactory = { create: () => new MemoryHypervisor() };
export { value, code, factory };
`,
    misuse: {
      source: `import { createXc, MemoryHypervisor } from '@xen-genid/xc-params';
const value: string = createXc(new MemoryHypervisor()).hvmParamGet(0, 34);
export { value };
`,
      diagnostic: /misuse\.ts.*error TS2322: Type 'bigint' is not assignable to type 'string'/,
    },
  },
];

const run = (command: string, args: readonly string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });

describe('packed packages in a project outside the workspace', () => {
  let scratch: string;
  const tarballs = new Map<string, string>();

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'xen-genid-consumer-'));
    for (const [name, tarball] of packPublished(join(scratch, 'tarballs'))) tarballs.set(name, tarball);
  }, 240_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs the licence and the README into every tarball', () => {
    for (const [name, tarball] of tarballs) {
      const entries = run('tar', ['tzf', tarball], scratch).split('\n');
      expect(entries, name).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/package.json']));
    }
    expect([...tarballs.keys()]).toEqual(publishedPackages());
  });

  it("runs xl from the xl-cli tarball alone: its bin is a launcher and one bundled script (only SQLite's addon stays outside, loaded when a host file is opened)", () => {
    const unpacked = join(scratch, 'xl-cli-unpacked');
    mkdirSync(unpacked, { recursive: true });
    run('tar', ['xzf', tarballs.get('xl-cli') ?? '', '-C', unpacked], scratch);
    const xl = join(unpacked, 'package', 'dist', 'bin', 'xl.js');
    expect(run(process.execPath, [xl, 'help'], unpacked)).toContain('xl full list of subcommands:');
    const dryRun = run(process.execPath, [xl, '-N', 'create', join(root, 'examples', 'genid.cfg')], unpacked);
    expect(JSON.parse(dryRun)).toMatchObject({ c_info: { type: 'hvm', name: 'genid-example' } });
  });

  for (const consumer of CONSUMERS) {
    describe(consumer.name, () => {
      let project: string;

      beforeAll(() => {
        project = join(scratch, `project-${consumer.packages.at(-1) ?? 'x'}`);
        mkdirSync(project, { recursive: true });
        writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
        const files = consumer.packages.map((name) => tarballs.get(name) ?? '');
        run('npm', ['install', '--no-audit', '--no-fund', '--offline', '--ignore-scripts', '--no-package-lock', ...files], project);
      }, 240_000);

      it('installs from the tarball and runs the public API from a Node ESM script', () => {
        writeFileSync(join(project, 'consumer.mjs'), consumer.script);
        const output = run(process.execPath, ['consumer.mjs'], project);
        expect(JSON.parse(output.trim())).toEqual(consumer.expected);
      });

      it('type-checks a TypeScript consumer (NodeNext, strict) against the installed types', () => {
        writeFileSync(join(project, 'consumer.ts'), consumer.types);
        writeFileSync(
          join(project, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2022', 'ESNext.Disposable'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              noEmit: true,
              skipLibCheck: false,
              types: [],
            },
            files: ['consumer.ts'],
          }),
        );
        let diagnostics = '';
        try {
          run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
        } catch (error) {
          diagnostics = String((error as { stdout?: string }).stdout ?? error);
        }
        expect(diagnostics).toBe('');
      });

      it('reports a type error when the API is misused (the types are real, not any)', () => {
        writeFileSync(join(project, 'misuse.ts'), consumer.misuse.source);
        writeFileSync(
          join(project, 'tsconfig.misuse.json'),
          JSON.stringify({ extends: './tsconfig.json', files: ['misuse.ts'] }),
        );
        let diagnostics = '';
        try {
          run(process.execPath, [tsc, '-p', 'tsconfig.misuse.json'], project);
        } catch (error) {
          diagnostics = String((error as { stdout?: string }).stdout ?? error);
        }
        expect(diagnostics).toMatch(consumer.misuse.diagnostic);
      });
    });
  }
});
