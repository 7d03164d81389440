import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const LaunchFile = z.strictObject({
  /** Node flags before the script, e.g. V8 heap sizes. */
  nodeArgs: z.array(z.string().startsWith('--')),
  /** Environment of the process, e.g. glibc malloc tunables; the caller's own values win. */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()),
});
export type Launch = z.infer<typeof LaunchFile>;

/**
 * How an app's process is started (`<appDir>/launch.json`): Node flags and environment variables
 * that take effect only when given before the process starts (V8's heap layout, glibc's malloc
 * arenas), so its main.ts cannot set them itself. Read by scripts/start.mjs, the test harness and
 * the benchmarks; docker-compose.yml repeats them (apps/torrent-engine/src/launch.test.ts checks
 * that). An app without the file has none. Throws, naming the file, if it is malformed.
 */
export function readLaunch(appDir: string): Launch {
  const file = join(appDir, 'launch.json');
  if (!existsSync(file)) return { nodeArgs: [], env: {} };
  const parsed = LaunchFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
