import {
  engine as contracts,
  xmpp,
  type Bus,
  type Logger,
  type ServiceHost,
  type Subscription,
} from '@bitween/messages';
import type { TorrentEngine } from './engine.js';
import type { PeerFilter } from './peer-filter.js';

/** The engine's NATS endpoints: placement commands in the queue group, the rest per instance. */
export function serveCommands(host: ServiceHost, engine: TorrentEngine): void {
  const params = { engineId: engine.engineId };
  host.serve(contracts.addPath, ({ path }) => engine.addPath(path));
  host.serve(contracts.addHash, ({ hash, savePath }) => engine.addHash(hash, savePath));
  host.serve(
    contracts.remove,
    async ({ hash }) => {
      await engine.remove(hash);
      return { removed: true as const };
    },
    { params },
  );
  host.serve(contracts.list, () => ({ torrents: engine.list() }), { params });
}

/** Endpoints friends advertise for our torrents arrive from the gateway. */
export function followPeers(bus: Bus, engine: TorrentEngine, filter?: PeerFilter): Subscription {
  return bus.subscribe(xmpp.peers, ({ peers }) => {
    for (const { hash, endpoints } of peers) {
      filter?.setHashPeers(hash, endpoints);
      engine.setPeers(hash, endpoints);
    }
  });
}

/**
 * Contacts' advertised endpoints for the peer filter: every list as it arrives, and the
 * gateway's whole view at start and every `refreshMs` (events sent before we started are lost).
 */
export function followContacts(
  bus: Bus,
  filter: PeerFilter,
  log: Logger,
  refreshMs = 60_000,
): { stop: () => void } {
  const sub = bus.subscribe(xmpp.contactShares, (contact) => filter.setContact(contact));
  const refresh = async () => {
    const r = await bus.request(xmpp.shares, {});
    if (r.ok) filter.replaceContacts(r.value.contacts);
    else log.debug({ code: r.error.code }, 'could not fetch the contacts’ lists (gateway not up yet?)');
  };
  void refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  return {
    stop: () => {
      clearInterval(timer);
      sub.unsubscribe();
    },
  };
}
