/**
 * Per-group visibility on the bytes (docs/security.md, "Who sees a share"): may a contact that
 * proved who it is be served a share? Pure; the inputs come from the KV bucket
 * `bitween_share_visibility` (share-visibility.ts) and the gateway's ticket table (ticket-book.ts).
 */
export type ShareAccess = { serve: true } | { serve: false; why: string };

const SERVE: ShareAccess = { serve: true };

export function shareAccess(input: {
  /** The torrent's info-hash. */
  hash: string;
  /** The contact's bare JID (proven). */
  jid: string;
  /** Our own bare JID: our other instances get every share. */
  self: string;
  /** Restricted shares (info-hash → roster groups); null while the bucket is not read yet. */
  visibility: ReadonlyMap<string, readonly string[]> | null;
  /** A contact's roster groups (undefined: in none); null while no ticket table has arrived. */
  groupsOf: ((jid: string) => readonly string[] | undefined) | null;
}): ShareAccess {
  const jid = input.jid.toLowerCase();
  if (jid !== '' && jid === input.self.toLowerCase()) return SERVE;
  if (!input.visibility) return { serve: false, why: 'share visibility not read yet' };
  const groups = input.visibility.get(input.hash.toLowerCase());
  if (!groups || groups.length === 0) return SERVE;
  if (!input.groupsOf) return { serve: false, why: 'restricted share; contact groups not known yet' };
  const mine = input.groupsOf(jid) ?? [];
  if (mine.some((g) => groups.includes(g))) return SERVE;
  return { serve: false, why: 'restricted share; contact not in its roster groups' };
}
