import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Where the CLI finds the api and its key: flags, then environment, then the data directory. */
export interface Connection {
  url: string;
  key: string;
}

export interface ConnectionFlags {
  url?: string | undefined;
  apiKey?: string | undefined;
  dataDir?: string | undefined;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The api's key file inside a data directory (what the api writes on its first start). */
export function keyFile(dataDir: string): string {
  return join(resolve(dataDir), 'api-key');
}

export function dataDirOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string {
  return flags.dataDir ?? (env['BITWEEN_DATA_DIR'] || './data');
}

export async function readKey(dataDir: string): Promise<string> {
  const path = keyFile(dataDir);
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (key) return key;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new CliError(`cannot read the API key in ${path}: ${(err as Error).message}`);
  }
  throw new CliError(
    `no API key: pass --api-key, set BITWEEN_API_KEY, or point --data-dir / BITWEEN_DATA_DIR at the api's data directory (${path} does not exist)`,
  );
}

export async function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const port = env['BITWEEN_API_PORT'] || '5000';
  const url = (flags.url ?? (env['BITWEEN_API_URL'] || `http://127.0.0.1:${port}`)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw new CliError(`--url must be http(s)://host:port, got ${JSON.stringify(url)}`, 2);
  const key =
    flags.apiKey ??
    (env['BITWEEN_API_KEY'] || env['BITWEEN_API_TOKEN'] || (await readKey(dataDirOf(flags, env))));
  return { url, key };
}
