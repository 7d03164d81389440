import type { components } from '../openapi.gen.js';

/** What a user pasted, typed or dropped to add a torrent (pure: parsed here, sent by the view). */
export type AddInput = { kind: 'magnet'; magnet: string } | { kind: 'hash'; hash: string };

/**
 * A magnet link (`magnet:?…xt=urn:btih:<40 hex>`) or a bare 40-hex info-hash, from pasted or
 * dropped text (surrounding space and a trailing newline are fine); null for anything else.
 */
export function parseAddInput(text: string): AddInput | null {
  const t = text.trim();
  if (/^[0-9a-f]{40}$/i.test(t)) return { kind: 'hash', hash: t.toLowerCase() };
  if (!/^magnet:\?/i.test(t) || t.length > 8192 || /\s/.test(t)) return null;
  const query = new URLSearchParams(t.slice(t.indexOf('?') + 1));
  const ok = query.getAll('xt').some((xt) => /^urn:btih:[0-9a-f]{40}$/i.test(xt));
  return ok ? { kind: 'magnet', magnet: t } : null;
}

/** A dropped or picked file that looks like a .torrent (by name or type). */
export function isTorrentFile(f: { name: string; type: string }): boolean {
  return /\.torrent$/i.test(f.name) || f.type === 'application/x-bittorrent';
}

/**
 * A .torrent is at most this large: the api's limit, which its OpenAPI document states as a
 * constant (`Limits`), so this stops type-checking when the api's limit changes.
 */
export const MAX_TORRENT_FILE: components['schemas']['Limits']['torrentFileBytes'] = 716_800; // 700 KiB
