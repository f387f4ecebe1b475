#!/usr/bin/env node
// `npm test`: typecheck, lint, then both tiers of vitest tests (unit, then integration). Ends with the plain
// line `N passed, N failed` (typecheck and lint count as one check each).
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
const extra = process.argv.slice(2);

/** One vitest project (tier); its tests count one each, and a file that fails to load counts as a failure. */
function tier(project) {
  const report = `test-results/vitest-${project}.json`;
  console.log(`\n> vitest: ${project} tests`);
  // A filter (`npm test -- test/unit/x.test.ts`) may match files of one tier only: the other then runs none.
  const filtered = extra.length > 0 ? ['--passWithNoTests'] : [];
  const run = spawnSync(bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...filtered, ...extra], {
    stdio: 'inherit',
  });
  const failedBefore = failed;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests;
    failed += json.numFailedTests;
    failed += json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
    if (json.numPendingTests + json.numTodoTests > 0) {
      console.log(`${json.numPendingTests + json.numTodoTests} skipped or todo tests: not allowed`);
      failed += json.numPendingTests + json.numTodoTests;
    }
  } catch {
    failed += 1;
    console.log(`vitest (${project}) produced no report`);
  }
  if (run.status !== 0 && failed === failedBefore) failed += 1;
}

// Unit tests first: they need neither Azurite nor the simulator and fail fast.
tier('unit');
tier('integration');

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
