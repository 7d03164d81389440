import type { DialPolicy } from '@bitween/net-policy';
import type { Logger } from '@bitween/runtime';
import type { Core } from '../core/index.js';
import { trErrorOf } from './protocol.js';
import type { RecentlyRemoved } from './recently-removed.js';

/** What the methods reach bitween through: the core, and this front-end's own session state. */
export interface TrDeps {
  torrents: Core['torrents'];
  settings: Core['settings'];
  /** Transmission's numeric torrent ids. */
  ids: Core['torrentIds'];
  log: Logger;
  /** Timeout of fetching a .torrent from a URL. */
  addTimeoutMs: number;
  version: string;
  sessionId: string;
  removed: RecentlyRemoved;
  /** Where `torrent-add` may fetch a URL from (the dial policy with BITWEEN_FETCH_ALLOW). */
  fetchPolicy: DialPolicy;
}

export type TrMethod = (args: unknown, deps: TrDeps) => Promise<Record<string, unknown>>;

/** Run a core call; its error becomes a `TrError` saying `what` failed. */
export async function as<T>(what: string, run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (err) {
    throw trErrorOf(err, what);
  }
}
