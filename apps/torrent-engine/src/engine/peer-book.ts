/**
 * Where friends offer each torrent (the endpoints the gateway sends per info-hash) and the
 * dialling of them: every dial is judged by the dial guard, with the offer as LAN evidence.
 */
import { isIPv6 } from 'node:net';
import type { PeerEndpoint } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import type { Torrent } from 'webtorrent';
import type { DialGuard } from '../dial-guard.js';
import type { Entry } from './core.js';

/** The address webtorrent dials: "ip:port", "[ipv6]:port". */
export const peerAddress = (e: PeerEndpoint): string =>
  isIPv6(e.address) ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

/** Endpoints friends advertise per info-hash, by the address webtorrent dials. */
export class PeerBook {
  readonly #book = new Map<string, Map<string, PeerEndpoint>>();

  /** Replace what friends offer `hash` at; returns every address and those not known before. */
  set(hash: string, endpoints: PeerEndpoint[]): { all: string[]; fresh: string[] } {
    const book = new Map(endpoints.map((e) => [peerAddress(e), e]));
    const known = this.#book.get(hash) ?? new Map<string, PeerEndpoint>();
    this.#book.set(hash, book);
    const all = [...book.keys()];
    return { all, fresh: all.filter((a) => !known.has(a)) };
  }

  /** Forget `hash` (a metadata-only fetch is over and no torrent holds it). */
  delete(hash: string): void {
    this.#book.delete(hash);
  }

  addresses(hash: string): Iterable<string> {
    return this.#book.get(hash)?.keys() ?? [];
  }

  size(hash: string): number {
    return this.#book.get(hash)?.size ?? 0;
  }

  /** The endpoint a friend offered `hash` at, as dialled at `addr`. */
  offer(hash: string, addr: string): PeerEndpoint | undefined {
    return this.#book.get(hash)?.get(addr);
  }
}

/**
 * Connect to `addresses` (each judged by the dial guard where webtorrent creates the peer).
 * `source`: what gave them, for the guard's log (`contact`: xmpp.peers, `tracker`).
 */
export function dial(entry: Entry, addresses: Iterable<string>, source = 'contact'): void {
  const t = entry.torrent;
  if (!t || t.destroyed || !t.infoHash) return;
  // Our own endpoints never arrive here: the gateway leaves them out of `xmpp.peers`.
  for (const a of addresses) t.addPeer(a, source);
}

/** Connect to every endpoint friends offer the torrent at. */
export function dialBook(book: PeerBook, entry: Entry): void {
  dial(entry, book.addresses(entry.hash));
}

/** webtorrent's `dialFilter`: may `addr` be dialled for `torrent`? Never throws (refuses instead). */
export function mayDial(
  guard: DialGuard,
  book: PeerBook,
  log: Logger,
  addr: string,
  torrent: Torrent,
  source: string | undefined,
): boolean {
  const hash = torrent.infoHash;
  try {
    return guard.allows(addr, { hash, source, offer: book.offer(hash, addr) });
  } catch (err) {
    log.warn({ err, addr, hash }, 'the dial guard failed on an address; not dialling it');
    return false;
  }
}
