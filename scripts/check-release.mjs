#!/usr/bin/env node
// Checks that the version people see is one version: every workspace package (apps and libs,
// except vendored forks with their own upstream version) carries the root package.json's
// version, package-lock.json and the committed OpenAPI document agree, and CHANGELOG.md has a
// "## <version> — <date>" section for it. A release (docs/releasing.md) bumps them together with `npm version` and tags v<version>.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const read = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'));

/** Workspaces that keep the version of the upstream package they fork. */
const FORKS = new Set(['libs/webrtc-polyfill']);

/** Is `path` the workspace `pattern` names ("libs/bus", or one folder under "apps/*")? */
const inWorkspace = (pattern, path) =>
  pattern.endsWith('/*')
    ? path.startsWith(pattern.slice(0, -1)) && !path.slice(pattern.length - 1).includes('/')
    : path === pattern;

const rootPkg = read('package.json');
const version = rootPkg.version;
const lock = read('package-lock.json');
const problems = [];

if (lock.version !== version) problems.push(`package-lock.json has version ${lock.version}`);
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || path.startsWith('node_modules/') || path.includes('/node_modules/')) continue;
  if (FORKS.has(path) || !rootPkg.workspaces.some((w) => inWorkspace(w, path))) continue;
  const pkg = read(join(path, 'package.json'));
  if (pkg.version !== version) problems.push(`${path}/package.json has version ${pkg.version}`);
  if (entry.version !== undefined && entry.version !== version) {
    problems.push(`package-lock.json lists ${path} at ${entry.version}`);
  }
}

const openapi = read('apps/api/openapi.json');
if (openapi.info?.version !== version) {
  problems.push(`apps/api/openapi.json says ${openapi.info?.version} (npm run openapi)`);
}

const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
const released = [...changelog.matchAll(/^## (\d+\.\d+\.\d+\S*) — (\d{4}-\d{2}-\d{2})$/gm)];
if (released.length === 0) problems.push('CHANGELOG.md has no "## X.Y.Z — YYYY-MM-DD" section');
else if (released[0][1] !== version) {
  problems.push(`CHANGELOG.md's newest release is ${released[0][1]}, package.json says ${version}`);
}

if (problems.length > 0) {
  console.error(`version ${version} is not consistent:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `version ${version}: every workspace, the lock file, the OpenAPI document and CHANGELOG.md agree`,
);
