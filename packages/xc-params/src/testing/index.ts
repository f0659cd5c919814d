/**
 * Test helpers for implementers of the `Hypervisor` interface. This entry imports `vitest` (an
 * optional peer dependency): import it from test files only.
 */
export { describeHypervisorConformance, type HypervisorFactory } from './hypervisor-conformance.ts';
