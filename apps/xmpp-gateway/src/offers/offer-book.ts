import { createHash } from 'node:crypto';
import type { xmpp } from '@bitween/messages';

type Offer = xmpp.Offer;

/** An offer's id: one per share and sender (a repeated offer replaces the first). */
export function offerId(hash: string, from: string): string {
  return createHash('sha256').update(`${hash}\n${from}`).digest('hex').slice(0, 16);
}

export interface OfferLimits {
  /** The most offers kept; the oldest received go first. */
  max: number;
  /** The most offers kept from one sender; that sender's oldest go first. */
  perSender: number;
}

/**
 * The offers friends sent us, without I/O: deduplicated by info-hash and sender, bounded in
 * total and per sender (a friend who sends thousands pushes out only its own older ones).
 */
export class OfferBook {
  readonly #offers = new Map<string, Offer>();

  constructor(
    private readonly limits: OfferLimits,
    initial: readonly Offer[] = [],
  ) {
    for (const offer of [...initial].sort((a, b) => a.receivedAt - b.receivedAt)) this.#put(offer);
  }

  /** Newest first. */
  list(): Offer[] {
    return [...this.#offers.values()].sort((a, b) => b.receivedAt - a.receivedAt);
  }

  get(id: string): Offer | undefined {
    return this.#offers.get(id);
  }

  /**
   * Record an offer; `isNew` is false when the same share from the same sender was held already
   * (its details and time are refreshed, its accepted state kept).
   */
  add(offer: Omit<Offer, 'id' | 'acceptedAt'>): { offer: Offer; isNew: boolean } {
    const id = offerId(offer.hash, offer.from);
    const known = this.#offers.get(id);
    const stored: Offer = { ...offer, id, acceptedAt: known?.acceptedAt ?? null };
    this.#offers.delete(id);
    this.#put(stored);
    return { offer: stored, isNew: !known };
  }

  accept(id: string, at: number): Offer | undefined {
    const known = this.#offers.get(id);
    if (!known) return undefined;
    const accepted = { ...known, acceptedAt: known.acceptedAt ?? at };
    this.#offers.set(id, accepted);
    return accepted;
  }

  dismiss(id: string): boolean {
    return this.#offers.delete(id);
  }

  /** Drop every offer whose sender `keep` rejects (no longer a contact); returns how many. */
  retain(keep: (from: string) => boolean): number {
    let dropped = 0;
    for (const [id, offer] of this.#offers)
      if (!keep(offer.from)) {
        this.#offers.delete(id);
        dropped += 1;
      }
    return dropped;
  }

  #put(offer: Offer): void {
    this.#offers.set(offer.id, offer);
    const fromSender = [...this.#offers.values()].filter((o) => o.from === offer.from);
    if (fromSender.length > this.limits.perSender) this.#dropOldest(fromSender);
    if (this.#offers.size > this.limits.max) this.#dropOldest([...this.#offers.values()]);
  }

  #dropOldest(among: Offer[]): void {
    const oldest = among.reduce((a, b) => (b.receivedAt < a.receivedAt ? b : a));
    this.#offers.delete(oldest.id);
  }
}
