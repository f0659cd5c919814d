import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageJson = (name: string) =>
  JSON.parse(readFileSync(`${root}packages/${name}/package.json`, 'utf8')) as {
    dependencies?: Record<string, string>;
  };
const workspaceDeps = (name: string) =>
  Object.keys(packageJson(name).dependencies ?? {})
    .filter((dep) => dep.startsWith('@xen-genid/'))
    .map((dep) => dep.slice('@xen-genid/'.length))
    .sort();

describe('package boundaries (ARCHITECTURE.md)', () => {
  it.each([
    ['xc-params', []],
    ['xenstore', []],
    ['hvmloader-sim', ['xc-params', 'xenstore']],
    ['xl-lib', ['hvmloader-sim', 'xc-params', 'xenstore']],
    ['host', ['xc-params', 'xenstore', 'xl-lib']],
    ['xl-cli', ['host', 'qemu-dm', 'xc-params', 'xenstore', 'xl-lib']],
  ])('%s depends on exactly %j', (name, expected) => {
    expect(workspaceDeps(name)).toEqual(expected);
  });
});
