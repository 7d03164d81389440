import { readFileSync } from 'node:fs';

/**
 * The `version` of a package.json found relative to a module: by default the one next to the
 * module's `src/` or `dist/` folder (works both for the built service and under the test
 * runner); `./package.json` for a module at its package's root. `0.0.0` when there is none.
 */
export function packageVersion(moduleUrl: string, manifest = '../package.json'): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL(manifest, moduleUrl), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
