import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './service.js';

const run = promisify(execFile);
const CLI = join(repoRoot, 'apps', 'cli', 'dist', 'main.js');

export interface CliResult {
  /** The exit code (-1: no code, e.g. killed at the timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real `bitween` CLI (apps/cli/dist: build first) against `node`'s api, the API key read from
 * the api's data dir as on the user's machine: its exit code and output, whatever the code.
 */
export async function runCli(
  node: { apiUrl: string; dirs: { apiData: string } },
  ...args: string[]
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        BITWEEN_API_URL: node.apiUrl,
        BITWEEN_DATA_DIR: node.dirs.apiData,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `runCli`'s stdout; throws on a non-zero exit, with what the CLI printed on stderr. */
export async function cli(
  node: { apiUrl: string; dirs: { apiData: string } },
  ...args: string[]
): Promise<string> {
  const r = await runCli(node, ...args);
  if (r.code !== 0) throw new Error(`bitween ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
