import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Debian's real `transmission-remote` (package transmission-cli) against the api at `url`
 * (`host:port` or a URL), with Basic auth (any user name, the API key as password): what it
 * printed on stdout; rejects on a non-zero exit with an error holding what it printed.
 */
export async function transmissionRemote(url: string, token: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('transmission-remote', [url, '--auth', `bitween:${token}`, ...args], {
      timeout: 60_000,
    });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`transmission-remote ${args.join(' ')} failed: ${stdout ?? ''}${stderr ?? ''}`, {
      cause: err,
    });
  }
}
