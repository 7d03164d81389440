import type { Logger } from '@bitween/bus';
import { BusError, type PeerEndpoint, type xmpp } from '@bitween/messages';
import { canonicalIp } from '@bitween/net-policy';
import { coalesce } from '@bitween/runtime';
import { jid as parseJid } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { ContactIndex } from '../domain/contact-index.js';
import type { EngineView } from '../domain/engine-view.js';
import { maySee } from '../domain/group-plan.js';
import { readShareMessage, shareMessage } from '../protocol/share-message.js';
import type { XmppSession } from '../xmpp/session.js';
import { OfferBook, type OfferLimits } from './offer-book.js';
import type { OfferFile } from './offer-file.js';

export interface ShareOffersOptions {
  session: XmppSession;
  log: Logger;
  engines: EngineView;
  index: ContactIndex;
  limits: OfferLimits;
  /** Where the offers are kept across restarts (null: in memory only, unit tests). */
  file: OfferFile | null;
  /** A new offer arrived (the `offer.received` event). */
  onOffer(offer: xmpp.Offer): void;
  /** The offers changed: the engines' endpoints may change (`xmpp.peers`). */
  onChange(): void;
  /** Our site-wide addresses (added to our entries, as in the lists we publish). */
  extraAddresses(): readonly string[];
  /** Which roster groups see each restricted share (per-group visibility); absent hash: everyone. */
  visibility(): ReadonlyMap<string, readonly string[]>;
}

const key = (address: string, port: number) => `${canonicalIp(address) ?? address}|${port}`;

/**
 * Shares sent between friends (issue 20 item 4): `send` puts one of our shares in an XEP-0447
 * chat message to a contact (protocol/share-message.ts); a message received from a contact we
 * follow becomes an offer (OfferBook: deduplicated, bounded; kept in the data dir) the user
 * accepts or dismisses through the api. Refused with a log line, never stored: messages from
 * strangers or from our own account, malformed or oversized payloads, a hash our engines hold.
 * A share restricted to roster groups is sent only to their members (`conflict` otherwise): our
 * engines would refuse anyone else its bytes.
 */
export class ShareOffers {
  #book: OfferBook;
  #dropped = 0;
  readonly #saver;

  constructor(private readonly opts: ShareOffersOptions) {
    this.#book = new OfferBook(opts.limits);
    this.#saver = coalesce(
      async () => {
        await this.opts.file?.save(this.opts.session.bareJid, this.#book.list());
      },
      (err) => opts.log.warn({ err }, 'could not store the offers'),
    );
  }

  /** Offers refused since start (strangers, malformed, oversized). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Load the stored offers of our account. */
  async load(): Promise<void> {
    const { file, log, session, limits } = this.opts;
    if (!file) return;
    try {
      this.#book = new OfferBook(limits, await file.load(session.bareJid));
    } catch (err) {
      log.error({ err, file: file.path }, 'stored offers cannot be read; starting without them');
    }
  }

  /** Wait for pending writes (tests, shutdown). */
  idle(): Promise<void> {
    return this.#saver.idle();
  }

  list(): xmpp.Offer[] {
    return this.#book.list();
  }

  accepted(id: string): { offer: xmpp.Offer } {
    const offer = this.#book.accept(id, Date.now());
    if (!offer) throw new BusError('not_found', `no offer ${id}`);
    this.#saver.trigger();
    return { offer };
  }

  dismiss(id: string): { id: string; dismissed: true } {
    if (!this.#book.dismiss(id)) throw new BusError('not_found', `no offer ${id}`);
    this.#saver.trigger();
    this.opts.onChange();
    return { id, dismissed: true };
  }

  /** Drop the offers of senders no longer followed (the roster changed). */
  retainTrusted(): void {
    const dropped = this.#book.retain((from) => this.opts.session.isTrusted(from));
    if (dropped === 0) return;
    this.opts.log.info({ dropped }, 'dropped the offers of contacts no longer followed');
    this.#saver.trigger();
    this.opts.onChange();
  }

  /** Send our share `hash` to the contact `jid`; resolves with the magnet the message carries. */
  async send(jid: string, hash: string): Promise<{ jid: string; hash: string; magnet: string }> {
    const { session, engines, log } = this.opts;
    const to = jid.toLowerCase();
    if (!session.online) throw new BusError('unavailable', 'the XMPP account is not online');
    if (to === session.bareJid || !session.roster.has(to))
      throw new BusError('not_found', `${to} is not one of our contacts`);
    const entry = engines
      .entries(Date.now(), session.resource, this.opts.extraAddresses())
      .find((e) => e.shares.some((s) => s.hash === hash));
    const share = entry?.shares.find((s) => s.hash === hash);
    if (!entry || !share) throw new BusError('not_found', `none of our engines shares ${hash}`);
    const visibility = this.opts.visibility();
    if (!maySee({ hash, jid: to, self: session.bareJid, visibility, roster: session.roster })) {
      const groups = visibility.get(hash.toLowerCase()) ?? [];
      log.info({ to, hash, groups }, 'refused to send a share to a contact outside its groups');
      throw new BusError(
        'conflict',
        `share ${hash} is seen only by the roster groups ${groups.map((g) => `"${g}"`).join(', ')} and ${to} is in none of them: add the contact to one of them or change the share's visibility`,
      );
    }
    const { stanza, magnet } = shareMessage(to, { share, endpoints: entry.endpoints });
    await session.sendMessage(stanza);
    log.info({ to, hash }, 'sent a share to a contact');
    return { jid: to, hash, magnet };
  }

  /** A message carrying `<file-sharing/>` arrived from `from` (a full or bare JID). */
  onMessage(from: string, stanza: Element): void {
    const { session, log, engines } = this.opts;
    let bare: string;
    try {
      bare = parseJid(from).bare().toString().toLowerCase();
    } catch {
      return this.#drop({ from: from.slice(0, 200) }, 'ignored a share message with an invalid sender');
    }
    if (bare === session.bareJid) return; // our own (carbons, a sibling): nothing to offer
    if (!session.isTrusted(bare))
      return this.#drop({ from: bare }, 'ignored a share sent by someone we do not follow');
    const read = readShareMessage(stanza);
    if (read.kind === 'none') return;
    if (read.kind === 'refused')
      return this.#drop({ from: bare, reason: read.reason }, 'refused a share message');
    const { file } = read;
    if (file.hashIgnored)
      log.debug(
        { from: bare, hash: file.hash, reason: file.hashIgnored },
        "ignored a share message's <hash/>",
      );
    if (engines.hashes(Date.now()).includes(file.hash)) {
      log.info({ from: bare, hash: file.hash }, 'ignored a share offer for a hash we already hold');
      return;
    }
    const { offer, isNew } = this.#book.add({
      from: bare,
      hash: file.hash,
      name: file.name,
      size: file.size,
      ...(file.mediaType ? { mediaType: file.mediaType } : {}),
      ...(file.sha256 ? { sha256: file.sha256 } : {}),
      endpoints: file.endpoints,
      receivedAt: Date.now(),
    });
    log.info(
      { from: bare, hash: offer.hash, id: offer.id, repeated: !isNew, droppedPeers: file.droppedPeers },
      'share offer received',
    );
    this.#saver.trigger();
    if (isNew) this.opts.onOffer(offer);
    this.opts.onChange();
  }

  /**
   * For the hashes our engines hold, the endpoints offers name that their senders' own lists
   * announce (an online entry's address and port): a magnet admits no address its sender's list
   * does not. Each with the evidence the list gives (ContactIndex.contactEndpoints).
   */
  endpointsFor(hashes: Iterable<string>): Map<string, PeerEndpoint[]> {
    const held = new Set(hashes);
    const out = new Map<string, PeerEndpoint[]>();
    for (const offer of this.#book.list()) {
      if (!held.has(offer.hash) || offer.endpoints.length === 0) continue;
      const named = new Set(offer.endpoints.map((e) => key(e.address, e.port)));
      const admitted = this.opts.index
        .contactEndpoints(offer.from)
        .filter((e) => named.has(key(e.address, e.port)));
      if (admitted.length > 0) out.set(offer.hash, [...(out.get(offer.hash) ?? []), ...admitted]);
    }
    return out;
  }

  #drop(fields: Record<string, unknown>, msg: string): void {
    this.#dropped += 1;
    this.opts.log.warn(fields, msg);
  }
}
