import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago (listen on port 0, read the port, close). Another process can
 * still take it before it is used: callers that bind it later should retry on "address in use".
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  if (address === null || typeof address === 'string') throw new Error(`no TCP port from ${String(address)}`);
  return address.port;
}
