import {
  BusError,
  chunkByBytes,
  pageBudget,
  xmpp as contracts,
  type Contact,
  type ContactShares,
  type PeersPayload,
} from '@bitween/messages';
import type { Bus, ServiceHost } from '@bitween/bus';
import type { ActiveGateway } from './account/active-gateway.js';
import type { IceServerSource } from './discovery/ice-servers.js';
import { sharesPage } from './domain/shares-pages.js';

/**
 * The gateway's NATS adapter: the `xmpp.*` commands it serves (`serveGatewaySubjects`) and the
 * events it publishes (`GatewayEvents`); rendezvous signalling has its own (rendezvous/).
 */
export function serveGatewaySubjects(
  host: ServiceHost,
  active: ActiveGateway,
  iceServers: IceServerSource,
): void {
  const gatewayOrFail = () => {
    const gateway = active.gateway;
    if (!gateway) throw new BusError('failed', 'no XMPP account is configured yet');
    return gateway;
  };
  host.serve(contracts.shares, ({ cursor }) =>
    active.gateway ? sharesPage(active.gateway.index, cursor, host.maxPayload) : { contacts: [], next: null },
  );
  host.serve(contracts.status, () => active.status());
  host.serve(contracts.contacts, () => ({ contacts: active.gateway?.contacts() ?? [] }));
  host.serve(contracts.subscriptions, () => ({ pending: active.gateway?.pending.list() ?? [] }));
  host.serve(contracts.approve, ({ jid }) => gatewayOrFail().approve(jid));
  host.serve(contracts.deny, ({ jid }) => gatewayOrFail().deny(jid));
  host.serve(contracts.setAccount, (settings) => active.setAccount(settings));
  // Friends behind routers: admission tickets, STUN/TURN servers, rendezvous.
  host.serve(
    contracts.tickets,
    () =>
      active.gateway?.rendezvous?.table() ?? {
        self: '',
        issued: [],
        received: [],
        legacy: [],
        revision: 0,
      },
  );
  host.serve(contracts.iceServers, () => iceServers.current());
  // Shares sent to friends, and the offers friends sent us.
  host.serve(contracts.sendShare, ({ jid, hash }) => gatewayOrFail().offers.send(jid, hash));
  host.serve(contracts.offers, () => ({ offers: active.gateway?.offers.list() ?? [] }));
  host.serve(contracts.offerAccepted, ({ id }) => gatewayOrFail().offers.accepted(id));
  host.serve(contracts.dismissOffer, ({ id }) => gatewayOrFail().offers.dismiss(id));
  host.serve(contracts.connect, (req) => {
    const rendezvous = gatewayOrFail().rendezvous;
    if (!rendezvous) throw new BusError('failed', 'rendezvous is not available');
    return rendezvous.connect(req);
  });
}

/** The events the gateway publishes on the bus (each checked against its contract by the bus). */
export class GatewayEvents {
  constructor(private readonly bus: Bus) {}

  /** A roster entry or its presence changed (a JID that fails the contract is logged by the bus and not sent). */
  contactChanged(contact: Contact): void {
    this.bus.publish(contracts.contactChanged, contact);
  }

  /**
   * A contact's list changed. Returns false when it is too large for one NATS message: then
   * `xmpp.contact` is to tell readers to fetch the lists (paged) again.
   */
  contactShares(shares: ContactShares): boolean {
    return this.bus.publish(contracts.contactShares, shares);
  }

  /** A friend sent us a share (a new offer). */
  offerReceived(offer: contracts.Offer): void {
    this.bus.publish(contracts.offerReceived, offer);
  }

  /** A subscription request is held for the user. */
  subscriptionRequest(jid: string, receivedAt: number): void {
    this.bus.publish(contracts.subscriptionRequest, { jid, receivedAt });
  }

  /** Friends' endpoints for our hashes: each hash's entry stands alone, so a long list goes out as several events of one message each. */
  peers(peers: PeersPayload['peers'], ownPublic: string[]): void {
    for (const chunk of chunkByBytes(peers, pageBudget(this.bus.nc.info?.max_payload))) {
      this.bus.publish(contracts.peers, { peers: chunk, ownPublic });
    }
  }
}
