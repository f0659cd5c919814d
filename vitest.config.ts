import { defineConfig } from 'vitest/config';
import { sourceConditions } from './vitest.shared.ts';

// `XEN_GENID_TEST_REPORT=<file>` adds vitest's JSON report (CI counts its results from it).
const report = process.env.XEN_GENID_TEST_REPORT;

export default defineConfig({
  test: {
    ...(report ? { reporters: ['default', 'json'], outputFile: { json: report } } : {}),
    projects: [
      'packages/*/vitest.config.ts',
      {
        // Heavy tests (QEMU boots, many processes, load, kill -9): one file at a time, after the rest.
        ...sourceConditions,
        test: {
          name: 'serial',
          include: ['packages/*/src/**/*.serial.test.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 240_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
