/* global console, process */
// Prints the plain closing line CI reads, `N passed, N failed, N skipped`, from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`test-summary: no readable vitest JSON report at ${file}: ${error.message}`);
  process.exit(1);
}
// A test file that failed to load has no assertion results: count it as one failure.
const brokenFiles = (report.testResults ?? []).filter(
  (result) => result.status === 'failed' && (result.assertionResults ?? []).length === 0,
).length;
const failed = report.numFailedTests + brokenFiles;
// Name each failure just above the closing line, where a truncated CI log still shows it.
for (const result of report.testResults ?? []) {
  const name = String(result.name ?? '').replace(`${process.cwd()}/`, '');
  if (result.status === 'failed' && (result.assertionResults ?? []).length === 0) {
    console.log(`FAIL ${name}: ${firstLine(result.message)}`);
  }
  for (const test of result.assertionResults ?? []) {
    if (test.status === 'failed') {
      console.log(`FAIL ${name} > ${test.fullName}: ${firstLine((test.failureMessages ?? [])[0])}`);
    }
  }
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || report.success === false ? 1 : 0);

function firstLine(text) {
  return String(text ?? '').split('\n').find((line) => line.trim() !== '')?.slice(0, 300) ?? '';
}
