import { defineProject, mergeConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default mergeConfig(
  sourceConditions,
  defineProject({ test: { name: 'qemu-dm', include: ['src/**/*.test.ts'], exclude: ['src/**/*.serial.test.ts'] } }),
);
