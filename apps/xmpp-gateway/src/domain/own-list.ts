import type { ResourceEntry } from '../protocol/shares-codec.js';
import { isEntryOf, xmppResourceOf } from './entry-names.js';

/**
 * What this instance publishes (the original's per-resource merge): start from the last item
 * our account published (it holds our sibling instances), replace our own entries (one per
 * engine, see entry-names), drop the entry named "", drop entries of sibling instances that are
 * not online (the original kept a crashed instance's entry for ever), omit entries with no
 * shares. `own` null = we are leaving.
 */
export function mergeOwnList(opts: {
  base: ResourceEntry[];
  own: ResourceEntry[] | null;
  ownResource: string;
  /** Whether the sibling instance logged in as this XMPP resource is to be kept. */
  keepSibling: (xmppResource: string) => boolean;
}): ResourceEntry[] {
  const siblings = opts.base.filter(
    (r) =>
      r.resource !== '' &&
      !isEntryOf(r.resource, opts.ownResource) &&
      opts.keepSibling(xmppResourceOf(r.resource)),
  );
  return [...(opts.own ?? []), ...siblings].filter((r) => r.shares.length > 0);
}

/** A comparable form of a list (entry order does not matter on the wire). */
export function listKey(list: ResourceEntry[]): string {
  return JSON.stringify(
    [...list].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
  );
}
