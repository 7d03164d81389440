import { storedName, type ResourceEntry } from '../protocol/shares-codec.js';
import { isEntryOf, xmppResourceOf } from './entry-names.js';

/**
 * What this instance publishes (the original's per-resource merge): start from the last item
 * our account published (it holds our sibling instances), replace our own entries (one per
 * engine, see entry-names), drop the entry named "", drop entries of sibling instances that are
 * not online (the original kept a crashed instance's entry for ever), omit entries with
 * neither shares nor endpoints. `own` null = we are leaving.
 *
 * The original also omitted entries that have endpoints but no shares. We keep them: a friend's
 * engine accepts connections only from addresses its contacts advertise (the peer filter), so
 * an instance that only downloads must still say where it connects from. An original reader
 * sees a resource without share items, which it handles like any other.
 *
 * Our own share names go out cleaned (bidi controls and invisible characters dropped, as every
 * reader of the list does on its side; an original Bitween friend does not): what we read back
 * from the server is then exactly what we published.
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
  const own = (opts.own ?? []).map((r) => ({
    ...r,
    shares: r.shares.map((s) => ({ ...s, name: storedName(s.name) })),
  }));
  return [...own, ...siblings].filter((r) => r.shares.length > 0 || r.endpoints.length > 0);
}

/** A comparable form of a list (entry order does not matter on the wire). */
export function listKey(list: ResourceEntry[]): string {
  return JSON.stringify(
    [...list].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
  );
}
