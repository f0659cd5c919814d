import { defineConfig } from 'vitest/config';
import { sourceConditions } from './vitest.shared.ts';

export default defineConfig({
  test: {
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
