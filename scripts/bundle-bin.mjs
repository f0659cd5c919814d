// Bundles a bin and everything it imports into one ESM file (esbuild), so that starting it reads
// and resolves one module instead of the package graph. Native addons stay external (loaded from the
// package's own dependencies at run time). Run after `tsc -b`; it replaces tsc's output for the bin.
// argv: <entry .ts> <out .js> [external...]
import { build } from 'esbuild';

const [entry, outfile, ...external] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: node scripts/bundle-bin.mjs <entry.ts> <out.js> [external...]');
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The workspace packages from their sources, as the tests see them.
  conditions: ['@xen-genid/source'],
  external: ['better-sqlite3', ...external],
  legalComments: 'none',
  logLevel: 'warning',
});
