import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/service.js';

const run = promisify(execFile);
const cli = join(repoRoot, 'apps', 'cli', 'dist', 'main.js');

async function bitween(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the bitween command, without a daemon', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'apps', 'cli', 'package.json'), 'utf8')) as {
      version: string;
    };
    const r = await bitween('--version');
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('reports an error as JSON on stderr under --json, as prose otherwise, with exit code 1', async () => {
    // Port 9 on loopback: nothing listens there (discard), the connection is refused at once.
    const json = await bitween('--json', '--url', 'http://127.0.0.1:9', '--api-key', 'k', 'status');
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    const parsed = JSON.parse(json.stderr) as { error: { message: string } };
    expect(parsed.error.message).toMatch(/cannot reach the api at http:\/\/127\.0\.0\.1:9/);
    const prose = await bitween('--url', 'http://127.0.0.1:9', '--api-key', 'k', 'status');
    expect(prose.code).toBe(1);
    expect(prose.stderr).toMatch(/^bitween: cannot reach the api/);
  });
});
