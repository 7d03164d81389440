import { isIPv4, isIPv6 } from 'node:net';
import type { ContactShares, Endpoint, TorrentStatus } from '@bitween/messages';

/**
 * Pure conversions from the bus contracts to the result shapes of the original Bitween API
 * (snake_case, addresses as `[address, port]` pairs). Sizes and ports are numbers here; the
 * original passed on the strings it read from XML.
 *
 * Maps keyed by JID, resource or hash are built with `Object.fromEntries`, which defines own
 * properties: a friend naming a resource `__proto__` gets an ordinary key, not a prototype.
 */

/** One torrent as `bt.get_torrents` lists it: the original's fields first, then ours. */
export interface TorrentResult {
  // The original's fields.
  /** `info.name`; null until the metadata is known. */
  name: string | null;
  hash: string;
  /** Total bytes; null until the metadata is known. */
  total_size: number | null;
  /** Bytes done: round(progress × size); 0 while the size is unknown. */
  done: number;
  files: { path: string; size: number }[];
  // Ours.
  progress: number;
  state: TorrentStatus['state'];
  engine_id: string;
  save_path: string;
  peers: number;
  download_speed: number;
  upload_speed: number;
  uploaded: number;
  error: string | null;
}

export function torrentResult(t: TorrentStatus): TorrentResult {
  return {
    name: t.name,
    hash: t.hash,
    total_size: t.size,
    done: t.size === null ? 0 : Math.min(t.size, Math.round(t.progress * t.size)),
    files: t.files.map((f) => ({ path: f.path, size: f.size })),
    progress: t.progress,
    state: t.state,
    engine_id: t.engineId,
    save_path: t.savePath,
    peers: t.peers,
    download_speed: t.downloadSpeed,
    upload_speed: t.uploadSpeed,
    uploaded: t.uploaded,
    error: t.error,
  };
}

export type AddressPair = [address: string, port: number];

export interface ShareResult {
  hash: string;
  name: string;
  size: number;
  /** Always null: no file list goes on the wire (the original's field, kept for its clients). */
  files: null;
}

export interface ResourceResult {
  ip_v4: AddressPair[];
  ip_v6: AddressPair[];
  shares: Record<string, ShareResult>;
}

/** `xmpp.get_shares`: `{jid: {resource: {ip_v4, ip_v6, shares: {hash: share}}}}`. */
export type SharesResult = Record<string, Record<string, ResourceResult>>;

const pair = (e: Endpoint): AddressPair => [e.address, e.port];

export function sharesResult(contacts: readonly ContactShares[]): SharesResult {
  const byJid = new Map<string, Map<string, ResourceResult>>();
  for (const contact of contacts) {
    // One entry per JID is what the gateway keeps; should it repeat one, the later resources win.
    const resources = byJid.get(contact.jid) ?? new Map<string, ResourceResult>();
    byJid.set(contact.jid, resources);
    for (const r of contact.resources) {
      resources.set(r.resource, {
        ip_v4: r.endpoints.filter((e) => isIPv4(e.address)).map(pair),
        ip_v6: r.endpoints.filter((e) => isIPv6(e.address)).map(pair),
        shares: Object.fromEntries(
          r.shares.map((s) => [s.hash, { hash: s.hash, name: s.name, size: s.size, files: null }] as const),
        ),
      });
    }
  }
  return Object.fromEntries([...byJid].map(([jid, resources]) => [jid, Object.fromEntries(resources)]));
}

/** `xmpp.get_hashes`: every offered hash with the de-duplicated endpoints of all who offer it. */
export type HashesResult = Record<string, AddressPair[]>;

export function hashesResult(contacts: readonly ContactShares[]): HashesResult {
  const byHash = new Map<string, Map<string, AddressPair>>();
  for (const contact of contacts) {
    for (const r of contact.resources) {
      for (const share of r.shares) {
        const endpoints = byHash.get(share.hash) ?? new Map<string, AddressPair>();
        byHash.set(share.hash, endpoints);
        for (const e of r.endpoints) endpoints.set(`${e.address} ${e.port}`, pair(e));
      }
    }
  }
  return Object.fromEntries([...byHash].map(([hash, endpoints]) => [hash, [...endpoints.values()]]));
}
