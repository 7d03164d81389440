import { xmpp } from '@bitween/messages';
import type { Bus } from '@bitween/bus';
import { CoreError, unwrap } from './errors.js';
import type { Surface } from './surface.js';
import type { Added, Torrents } from './torrents.js';

/**
 * Shares sent between friends (issue 20 item 4), through the gateway: send one of ours to a
 * contact, list the offers friends sent us, accept one (its download starts through the
 * torrents' add-by-hash, recording the sender as the friend it comes from) or dismiss it.
 * Throws `CoreError`s.
 */
export class OfferService {
  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
    private readonly torrents: Pick<Torrents, 'addHash'>,
  ) {}

  async send(jid: string, hash: string): Promise<{ jid: string; hash: string; magnet: string }> {
    return unwrap(await this.bus.request(xmpp.sendShare, { jid, hash }, { timeoutMs: this.timeoutMs }));
  }

  async list(): Promise<xmpp.Offer[]> {
    return unwrap(await this.bus.request(xmpp.offers, {}, { timeoutMs: this.timeoutMs })).offers;
  }

  /** Start the offer's download (idempotent: a hash we hold is answered as is) and mark it accepted. */
  async accept(id: string): Promise<{ offer: xmpp.Offer; added: Added }> {
    const offer = (await this.list()).find((o) => o.id === id);
    if (!offer) throw new CoreError('not_found', `no offer ${id}`);
    const added = await this.torrents.addHash(offer.hash, { friends: [offer.from] });
    const accepted = unwrap(
      await this.bus.request(xmpp.offerAccepted, { id }, { timeoutMs: this.timeoutMs }),
    ).offer;
    return { offer: accepted, added };
  }

  async dismiss(id: string): Promise<void> {
    unwrap(await this.bus.request(xmpp.dismissOffer, { id }, { timeoutMs: this.timeoutMs }));
  }
}

/** What the adapters see of the offers (see surface.ts). */
export type Offers = Surface<OfferService>;
