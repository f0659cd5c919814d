import { describe, it } from 'vitest';
import { createMemoryBackend } from './memory-backend.ts';
import { defineBackendConformance } from './testing/index.ts';

defineBackendConformance({ describe, it }, { name: 'memory', createBackend: createMemoryBackend });
