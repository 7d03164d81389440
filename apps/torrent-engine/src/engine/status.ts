/**
 * How the engine reports a torrent (`TorrentStatus`), its connected peers (Transmission's peer
 * list) and its verified pieces (a BitTorrent bitfield).
 */
import type { HeldTorrent } from '@bitween/bus';
import type { PeerInfo, TorrentStatus } from '@bitween/messages';
import type { Torrent } from 'webtorrent';
import { DEFAULT_SEED_LIMITS } from '../controls/seed-limits.js';
import { priorityOf, wantedTotals } from '../controls/selection.js';
import { clientName } from '../peer-client.js';
import { isSequential } from '../streaming/download-order.js';
import { fold } from './bookkeeping.js';
import { stateOf, type Entry } from './core.js';

/** Seconds to fetch `left` bytes at the current rate; null when stalled. */
function etaSeconds(left: number, rate: number): number | null {
  if (!(rate > 0)) return null;
  return Math.max(0, Math.round(left / rate));
}

/** The torrent as the bus reports it (folds its bookkeeping first). */
export function torrentStatus(entry: Entry, engineId: string): TorrentStatus {
  const t = entry.torrent;
  const now = Date.now();
  fold(entry, now);
  const r = entry.record;
  const a = entry.acct;
  const base = {
    hash: entry.hash,
    engineId,
    savePath: r.savePath,
    addedAt: r.addedAt,
    error: entry.error,
    downloadLimit: r.downloadLimit ?? null,
    uploadLimit: r.uploadLimit ?? null,
    trackers: entry.trackers?.status() ?? [],
    uploaded: r.uploadedEver ?? 0,
    downloadedEver: r.downloadedEver ?? 0,
    uploadedEver: r.uploadedEver ?? 0,
    secondsDownloading: Math.floor((r.downloadingMs ?? 0) / 1000),
    secondsSeeding: Math.floor((r.seedingMs ?? 0) / 1000),
    completedAt: r.completedAt ?? null,
    activityAt: r.activityAt ?? null,
    labels: r.labels ?? [],
    friends: r.friends ?? [],
    seedLimits: r.seedLimits ?? DEFAULT_SEED_LIMITS,
    finished: r.finished === true,
    ...(r.queueOrder === undefined ? {} : { queueOrder: r.queueOrder }),
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
  };
  if (!t || entry.error) {
    return {
      ...base,
      name: null,
      size: null,
      state: 'error',
      progress: 0,
      done: false,
      downloaded: 0,
      downloadSpeed: 0,
      uploadSpeed: 0,
      peers: 0,
      files: [],
      eta: null,
    };
  }
  const known = entry.hasMetadata;
  const unwanted = new Set(r.unwanted ?? []);
  const priority = priorityOf({ high: r.highPriority, low: r.lowPriority });
  const wanted = known ? wantedTotals(t.files, r.unwanted ?? []) : null;
  const done = known && entry.complete;
  const state = stateOf(entry);
  const running = state !== 'paused' && state !== 'queued';
  // Payload rates: 0 once nothing moved for a few seconds, and never while done.
  const downloadSpeed = running && !done ? a.downRate.rate(now) : 0;
  return {
    ...base,
    name: known ? t.name : null,
    size: known ? t.length : null,
    state,
    progress: done ? 1 : wanted && wanted.size > 0 ? Math.min(1, wanted.downloaded / wanted.size) : 0,
    done,
    downloaded: known ? Math.min(t.downloaded, t.length) : 0,
    downloadSpeed,
    uploadSpeed: running ? a.upRate.rate(now) : 0,
    peers: t.numPeers,
    files: known
      ? t.files.map((f, i) => ({
          path: f.path,
          size: f.length,
          wanted: !unwanted.has(i),
          priority: priority(i),
          downloaded: Math.min(f.length, f.downloaded),
        }))
      : [],
    eta: done || !wanted || !running ? null : etaSeconds(wanted.size - wanted.downloaded, downloadSpeed),
    sequential: isSequential(t),
    ...(known ? { pieceCount: t.pieces.length, pieceLength: t.pieceLength } : {}),
  };
}

/**
 * For progress events (progress.ts `ProgressView`): a complete torrent with nothing moving
 * and nothing left to fold is described by its state, peers and upload count (what its
 * event's fingerprint holds then: done, progress 1, no rates); null otherwise. Cheap: no
 * status, no walk over pieces or files.
 */
export function quietKey(entry: Entry, now: number): string | null {
  const t = entry.torrent;
  if (!t || entry.error || !entry.hasMetadata || !entry.complete) return null;
  const a = entry.acct;
  // Rates are 0 once nothing moved for their whole window (RateMeter: 5 s and the current one);
  // every payload byte sets activityAt.
  if (a.up > 0 || a.down > 0 || (a.activityAt !== null && now - a.activityAt <= 7_000)) return null;
  return `${stateOf(entry)}|${t.numPeers}|${entry.record.uploadedEver ?? 0}`;
}

/** For the registry: the torrent's hash, with name, size (and SHA-256, if any) once the metadata is known. */
export function torrentSummary(e: Entry): HeldTorrent {
  const t = e.torrent;
  if (!t || !e.hasMetadata || e.error) return { hash: e.hash, name: null, size: null };
  const { sha256 } = e.record;
  return { hash: e.hash, name: t.name, size: t.length, ...(sha256 ? { sha256 } : {}) };
}

/** The verified pieces as a BitTorrent bitfield (high bit first), base64. */
export function pieceBitfield(entry: Entry): { pieceCount: number; bitfield: string } {
  const t = entry.torrent;
  if (!t || !entry.hasMetadata || !t.bitfield) return { pieceCount: 0, bitfield: '' };
  const n = t.pieces.length;
  const bytes = new Uint8Array(Math.ceil(n / 8));
  bytes.set(t.bitfield.buffer.subarray(0, bytes.length));
  return { pieceCount: n, bitfield: Buffer.from(bytes).toString('base64') };
}

/** The torrent's connected peers, as Transmission's peer list shows them. */
export function peerList(t: Torrent | null): PeerInfo[] {
  if (!t || t.destroyed) return [];
  const n = t.pieces.length;
  return t.wires.slice(0, 500).map((w) => {
    let have = 0;
    for (let i = 0; i < n; i++) if (w.peerPieces.get(i)) have++;
    return {
      address: w.remoteAddress ?? '',
      port: w.remotePort ?? 0,
      client: clientName(w.peerId),
      downloadSpeed: Math.max(0, w.downloadSpeed()),
      uploadSpeed: Math.max(0, w.uploadSpeed()),
      progress: n > 0 ? have / n : 0,
      amChoking: w.amChoking,
      amInterested: w.amInterested,
      peerChoking: w.peerChoking,
      peerInterested: w.peerInterested,
      incoming: w.type.includes('Incoming'),
      encrypted: w._cryptoHandshakeDone === true,
      transport: w.type === 'webrtc' ? 'webrtc' : w.type.startsWith('tcp') ? 'tcp' : 'other',
    };
  });
}
