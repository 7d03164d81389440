/**
 * The webtorrent client as bitween runs it (friends only: no public discovery of any kind),
 * listening on the first free port of the configured range.
 */
import type { Logger } from '@bitween/bus';
import WebTorrent, { type ClientOptions } from 'webtorrent';
import type { EngineOptions } from './core.js';

/** Friends only: no trackers, DHT, local discovery, PEX, port mapping, web seeds or uTP. */
const CLIENT_OPTIONS = {
  dht: false,
  tracker: false,
  lsd: false,
  utPex: false,
  natUpnp: false,
  natPmp: false,
  webSeeds: false,
  // uTP is 40-80x slower than TCP on loopback/LAN here; TCP only.
  utp: false,
  // Global limits are the engine's own (GlobalLimits), so sockets connect to wires directly.
  throttling: false,
} as const;

/** Listen on the first free port of the range (the original used 8000-8020). */
export async function listen(
  ports: EngineOptions['ports'],
  encryption: NonNullable<EngineOptions['encryption']>,
  log: Logger,
  dialFilter: NonNullable<ClientOptions['dialFilter']>,
): Promise<WebTorrent> {
  const order: number[] = [];
  if (ports.preferred !== undefined) order.push(ports.preferred);
  for (let p = ports.from; p <= ports.to; p++) if (p !== ports.preferred) order.push(p);
  for (const [i, port] of order.entries()) {
    // webtorrent's `secure`: 1 = MSE/PE handshake with plaintext fallback, 0 = plain only.
    const client = new WebTorrent({
      ...CLIENT_OPTIONS,
      secure: encryption === 'off' ? 0 : 1,
      torrentPort: port,
      dialFilter,
    });
    const err = await new Promise<Error | null>((resolve) => {
      client.once('listening', () => resolve(null));
      client.once('error', (e: Error) => resolve(e));
    });
    if (!err) {
      log.info({ port: client.address()?.port }, 'BitTorrent listening (TCP)');
      return client;
    }
    // webtorrent destroys itself on a listen error; destroying it again throws.
    if (!client.destroyed) client.destroy();
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!inUse || i === order.length - 1) {
      throw new Error(`cannot listen for BitTorrent on port ${port} (BITWEEN_TORRENT_PORT): ${err.message}`);
    }
    log.debug({ port }, 'port in use, trying the next');
  }
  throw new Error('BITWEEN_TORRENT_PORT: empty port range');
}
