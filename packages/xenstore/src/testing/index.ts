export { defineBackendConformance, type ConformanceOptions, type ConformanceRunner } from './conformance.ts';
