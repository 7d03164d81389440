import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';
import { JsonRpcClient } from './jsonrpc.js';
import { freePort } from './ports.js';
import { RestClient } from './rest.js';
import { startService, type ServiceProcess } from './service.js';

export interface Api {
  process: ServiceProcess;
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The API key: `token`, or the one the api generated in `dataDir`. */
  key: string;
  rest: RestClient;
  rpc: JsonRpcClient;
}

/**
 * An api process on a free loopback port serving the NATS at `natsUrl` (debug logs). Its key is
 * `token` (BITWEEN_API_TOKEN), else the one it generates in `dataDir` (one of the two is needed:
 * the api's default data dir is relative to the repository).
 */
export async function startApi(
  cleanup: Cleanup,
  opts: { label: string; natsUrl: string; env?: Record<string, string> } & (
    { token: string; dataDir?: string } | { token?: undefined; dataDir: string }
  ),
): Promise<Api> {
  const port = await freePort();
  const process = await startService(cleanup, {
    name: 'api',
    label: opts.label,
    env: {
      BITWEEN_NATS_URL: opts.natsUrl,
      BITWEEN_LOG_LEVEL: 'debug',
      BITWEEN_API_HOST: '127.0.0.1',
      BITWEEN_API_PORT: String(port),
      ...(opts.token ? { BITWEEN_API_TOKEN: opts.token } : {}),
      ...(opts.dataDir ? { BITWEEN_DATA_DIR: opts.dataDir } : {}),
      ...opts.env,
    },
  });
  const key = opts.token ?? (await readFile(join(opts.dataDir, 'api-key'), 'utf8')).trim();
  const url = `http://127.0.0.1:${port}`;
  return {
    process,
    url,
    port,
    key,
    rest: new RestClient(url, key),
    rpc: new JsonRpcClient(url, { token: key }),
  };
}
