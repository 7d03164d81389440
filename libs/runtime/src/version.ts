import { readFileSync } from 'node:fs';

/**
 * The `version` of the package.json next to the module's `src/` or `dist/` folder; works both
 * when running the built service and under the test runner.
 */
export function packageVersion(moduleUrl: string): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
