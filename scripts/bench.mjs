/* global console, process, URL */
// Runs every benchmark (packages/*/bench/*.mjs) against the built packages, one after the other.
// Each prints its own rates and ratios. BENCH_QUICK=1 runs each for about a second.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2];
let failed = 0;
for (const pkg of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.mjs')).sort()) {
    if (filter && !`${pkg}/${file}`.includes(filter)) continue;
    console.log(`\n## ${pkg}/bench/${file}`);
    const result = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit', cwd: join(root, 'packages', pkg) });
    if (result.status !== 0) failed += 1;
  }
}
process.exit(failed > 0 ? 1 : 0);
