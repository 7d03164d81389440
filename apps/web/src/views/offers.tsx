import { useState } from 'preact/hooks';
import { inlineName } from '../logic/names.js';
import { formatBytes } from '../logic/format.js';
import { api, errorText, offers, reloaders, say } from '../store.js';
import type { Offer } from '../types.js';

/** Offers not yet accepted: what the badge counts and the list shows. */
export const waitingOffers = (list: readonly Offer[]): Offer[] => list.filter((o) => o.acceptedAt === null);

/** "Friends (2)": the number of shares friends sent that wait for an answer, next to a nav label. */
export function OffersBadge() {
  const loaded = offers.value;
  const n = loaded.state === 'ok' ? waitingOffers(loaded.value).length : 0;
  if (n === 0) return null;
  return (
    <span class="badge" aria-label={`${n} ${n === 1 ? 'share' : 'shares'} sent to you`}>
      {n}
    </span>
  );
}

/**
 * Shares friends sent us (XEP-0447 messages), each with Download (the api starts it from that
 * friend) and Dismiss. Shown above every view while some wait for an answer.
 */
export function OffersPanel() {
  const [busy, setBusy] = useState<string | null>(null);
  const loaded = offers.value;
  if (loaded.state !== 'ok') return null;
  const waiting = waitingOffers(loaded.value);
  if (waiting.length === 0) return null;
  const act = async (offer: Offer, what: 'accept' | 'dismiss') => {
    const a = api.value;
    if (!a) return;
    setBusy(offer.id);
    try {
      if (what === 'accept') {
        await a.acceptOffer(offer.id);
        say(`Downloading ${inlineName(offer.name)} from ${offer.from}`);
      } else {
        await a.dismissOffer(offer.id);
        say(`Dismissed ${inlineName(offer.name)}`);
      }
    } catch (err) {
      say(errorText(err), 'error');
    } finally {
      setBusy(null);
      void reloaders.offers();
    }
  };
  return (
    <section class="sent-offers" aria-labelledby="sent-offers-title">
      <h2 id="sent-offers-title">Sent to you</h2>
      <ul>
        {waiting.map((o) => (
          <li key={o.id}>
            <span class="offer-name" dir="auto">
              {inlineName(o.name)}
            </span>{' '}
            <span class="muted">
              {formatBytes(o.size)} · from {o.from}
            </span>{' '}
            <button
              type="button"
              aria-label={`Download ${inlineName(o.name)} from ${o.from}`}
              disabled={busy === o.id}
              onClick={() => void act(o, 'accept')}
            >
              Download
            </button>{' '}
            <button
              type="button"
              class="link"
              aria-label={`Dismiss ${inlineName(o.name)}`}
              disabled={busy === o.id}
              onClick={() => void act(o, 'dismiss')}
            >
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
