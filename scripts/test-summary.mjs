// Reads the vitest JSON report of every workspace project with a `test` script
// (<project>/test-results/vitest.json) and the static checks (reports/static/*), and prints the
// result line CI reads: "N passed, N failed, N skipped". A project without a report (its test
// run crashed or never started) counts as one failure, and so does a test file that failed
// outside its tests (it did not load, or a beforeAll threw).
import { existsSync, globSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

const staticDir = path.join(root, 'reports', 'static');
for (const name of existsSync(staticDir) ? readdirSync(staticDir).sort() : []) {
  const outcome = readFileSync(path.join(staticDir, name), 'utf8').trim();
  if (outcome === 'passed') passed++;
  else {
    failed++;
    failures.push(`static check: ${name}`);
  }
}

const workspaces = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces;
const projectDirs = workspaces.flatMap((pattern) => globSync(pattern, { cwd: root })).sort();
for (const dir of projectDirs) {
  const manifest = path.join(root, dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const { name, scripts = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
  if (!scripts.test) continue;
  const project = name;
  const file = path.join(root, dir, 'test-results', 'vitest.json');
  if (!existsSync(file)) {
    failed++;
    failures.push(`${project}: no test report (the test run did not finish)`);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'failed') failures.push(`${project}: ${t.fullName}`);
    }
    // A file that failed to load (no assertions), or whose set-up failed (its tests skipped), is
    // a failure no test counts.
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed')) {
      failed++;
      failures.push(
        `${project}: ${path.relative(root, suite.name)} (${(suite.message ?? '').split('\n')[0] || 'failed outside its tests: see its log above'})`,
      );
    }
  }
}

if (failures.length > 0) {
  console.log('\nFailures:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
