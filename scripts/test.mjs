#!/usr/bin/env node
// `npm test`: typecheck, lint, then every vitest test. Ends with the plain line `N passed, N failed`
// (typecheck and lint count as one check each).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const bin = (name) => `node_modules/.bin/${name}`;
let passed = 0;
let failed = 0;

function step(label, cmd, args) {
  console.log(`\n> ${label}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status === 0) passed += 1;
  else {
    failed += 1;
    console.log(`${label} failed (exit ${r.status})`);
  }
}

step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('lint', bin('eslint'), ['.', '--max-warnings=0']);

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
console.log('\n> vitest');
const extra = process.argv.slice(2);
const run = spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], {
  stdio: 'inherit',
});
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  // A file that fails to load has no test results of its own: count it as a failure.
  failed += json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  if (json.numPendingTests + json.numTodoTests > 0) {
    console.log(`${json.numPendingTests + json.numTodoTests} skipped or todo tests: not allowed`);
    failed += json.numPendingTests + json.numTodoTests;
  }
} catch {
  failed += 1;
  console.log('vitest produced no report');
}
if (run.status !== 0 && failed === 0) failed += 1;

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
