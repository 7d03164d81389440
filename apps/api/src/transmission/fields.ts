import type { PeerInfo, TorrentStatus } from '@bitween/messages';

/**
 * bitween's `TorrentStatus` as Transmission RPC torrent objects (the `torrent-get` fields of
 * Transmission 4.0, rpc-version 17). Pure: every value derives from the status, the torrent's
 * numeric id, the current time and what the engine was asked for the request (the pieces
 * bitfield and the peer list, only when those fields are wanted). Fields bitween has no notion
 * of (bandwidth priority, web seeds…) get Transmission's neutral value, so a frontend that asks
 * for them gets an answer (Transmission Remote GUI fails on a missing field).
 */

/** `status` of Transmission's tr_torrent_activity. */
export const TrStatus = {
  Stopped: 0,
  CheckWait: 1,
  Check: 2,
  DownloadWait: 3,
  Download: 4,
  SeedWait: 5,
  Seed: 6,
} as const;

/** Transmission's special eta and ratio values. */
const ETA_NOT_AVAILABLE = -1;
const ETA_UNKNOWN = -2;
const RATIO_NOT_AVAILABLE = -1;
const RATIO_INFINITE = -2;

/** Transmission's speed and size units are kB = 1000 bytes (`units.speed-bytes`). */
export const KILO = 1000;

export interface FieldContext {
  id: number;
  /** Seconds since the epoch. */
  now: number;
  /** Position in the listing (`queuePosition`). */
  position: number;
  /** The verified-pieces bitfield (base64), fetched from the engine when `pieces` is asked for. */
  pieces?: string;
  /** The connected peers, fetched from the engine when `peers` is asked for. */
  peers?: PeerInfo[];
}

/** Transmission's peer object (tr_peer_stat), with its flag string. */
export function trPeer(p: PeerInfo): Record<string, unknown> {
  const downloadingFrom = p.amInterested && !p.peerChoking;
  const uploadingTo = p.peerInterested && !p.amChoking;
  const flags =
    (downloadingFrom ? 'D' : p.amInterested ? 'd' : '') +
    (uploadingTo ? 'U' : p.peerInterested ? 'u' : '') +
    (!p.amChoking && !p.peerInterested ? '?' : '') +
    (p.encrypted ? 'E' : '') +
    (p.incoming ? 'I' : '');
  return {
    address: p.address,
    clientName: p.client,
    clientIsChoked: p.peerChoking,
    clientIsInterested: p.amInterested,
    flagStr: flags,
    isDownloadingFrom: downloadingFrom,
    isEncrypted: p.encrypted,
    isIncoming: p.incoming,
    isUploadingTo: uploadingTo,
    isUTP: false,
    peerIsChoked: p.amChoking,
    peerIsInterested: p.peerInterested,
    port: p.port,
    progress: p.progress,
    rateToClient: Math.round(p.downloadSpeed),
    rateToPeer: Math.round(p.uploadSpeed),
  };
}

/** Transmission's tr_ratiolimit / tr_idlelimit modes. */
const SEED_MODE = { global: 0, single: 1, unlimited: 2 } as const;
/** Transmission's file priorities (TR_PRI_LOW, TR_PRI_NORMAL, TR_PRI_HIGH). */
export const TR_PRIORITY = { low: -1, normal: 0, high: 1 } as const;
const seedLimits = (t: TorrentStatus) =>
  t.seedLimits ?? { ratioMode: 'global', ratio: 2, idleMode: 'global', idleMinutes: 30 };
/** Payload received over the torrent's life (older engines: the bytes held). */
const downloadedEver = (t: TorrentStatus) => Math.round(t.downloadedEver ?? t.downloaded);

export function trStatus(t: TorrentStatus): number {
  switch (t.state) {
    case 'paused':
    case 'error':
      return TrStatus.Stopped;
    case 'checking':
      return TrStatus.Check;
    case 'queued':
      return t.done ? TrStatus.SeedWait : TrStatus.DownloadWait;
    case 'seeding':
      return TrStatus.Seed;
    case 'metadata':
    case 'downloading':
      return TrStatus.Download;
  }
}

/** Transferring or about to: what `ids: "recently-active"` selects. */
export function isActive(t: TorrentStatus): boolean {
  return (
    t.downloadSpeed > 0 ||
    t.uploadSpeed > 0 ||
    t.state === 'metadata' ||
    t.state === 'checking' ||
    t.state === 'downloading'
  );
}

const ratio = (num: number, den: number) =>
  den > 0 ? num / den : num > 0 ? RATIO_INFINITE : RATIO_NOT_AVAILABLE;
const seconds = (ms: number) => Math.floor(ms / 1000);
const kilo = (limit: number | null) => (limit === null ? 0 : Math.round(limit / KILO));

/** The byte counts Transmission reports, from the per-file state. */
function amounts(t: TorrentStatus) {
  let have = 0;
  let wanted = 0;
  let left = 0;
  for (const f of t.files) {
    have += f.downloaded;
    if (f.wanted) {
      wanted += f.size;
      left += Math.max(0, f.size - f.downloaded);
    }
  }
  if (t.files.length === 0 && t.size !== null) {
    // Metadata known but no file list (never sent by the engine today): fall back to progress.
    wanted = t.size;
    have = Math.round(t.progress * t.size);
    left = t.size - have;
  }
  return { have, wanted, left };
}

export function magnetLink(t: TorrentStatus): string {
  const parts = [`xt=urn:btih:${t.hash}`];
  if (t.name !== null) parts.push(`dn=${encodeURIComponent(t.name)}`);
  for (const tr of t.trackers) parts.push(`tr=${encodeURIComponent(tr.url)}`);
  return `magnet:?${parts.join('&')}`;
}

type Getter = (t: TorrentStatus, ctx: FieldContext) => unknown;

function trackerHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

const getters: Record<string, Getter> = {
  activityDate: (t, c) => (isActive(t) ? c.now : t.activityAt ? seconds(t.activityAt) : seconds(t.addedAt)),
  addedDate: (t) => seconds(t.addedAt),
  availability: () => [],
  bandwidthPriority: () => 0,
  comment: () => '',
  corruptEver: () => 0,
  creator: () => '',
  dateCreated: () => 0,
  desiredAvailable: () => 0,
  doneDate: (t) => (t.completedAt ? seconds(t.completedAt) : 0),
  downloadDir: (t) => t.savePath,
  downloadedEver,
  downloadLimit: (t) => kilo(t.downloadLimit),
  downloadLimited: (t) => t.downloadLimit !== null,
  editDate: () => 0,
  error: (t) => (t.state === 'error' || t.error !== null ? 3 : 0),
  errorString: (t) => t.error ?? '',
  eta: (t) => (t.eta !== null ? t.eta : t.state === 'downloading' ? ETA_UNKNOWN : ETA_NOT_AVAILABLE),
  etaIdle: () => ETA_NOT_AVAILABLE,
  'file-count': (t) => t.files.length,
  files: (t) => t.files.map((f) => ({ name: f.path, length: f.size, bytesCompleted: f.downloaded })),
  fileStats: (t) =>
    t.files.map((f) => ({
      bytesCompleted: f.downloaded,
      wanted: f.wanted,
      priority: TR_PRIORITY[f.priority],
    })),
  group: () => '',
  hashString: (t) => t.hash,
  haveUnchecked: () => 0,
  haveValid: (t) => amounts(t).have,
  honorsSessionLimits: () => true,
  id: (_t, c) => c.id,
  // Transmission's "finished": stopped by its seed ratio/idle limit.
  isFinished: (t) => t.finished === true,
  // Friends only: no DHT, PEX or public trackers, whatever the metainfo says.
  isPrivate: () => true,
  isStalled: (t) => t.state === 'downloading' && t.downloadSpeed === 0 && t.peers === 0,
  labels: (t) => t.labels ?? [],
  leftUntilDone: (t) => amounts(t).left,
  magnetLink,
  manualAnnounceTime: () => -1,
  maxConnectedPeers: () => 50,
  metadataPercentComplete: (t) => (t.state === 'metadata' ? 0 : 1),
  name: (t) => t.name ?? t.hash,
  'peer-limit': () => 50,
  peers: (_t, c) => (c.peers ?? []).map(trPeer),
  peersConnected: (t) => t.peers,
  peersFrom: (t) => ({
    fromCache: 0,
    fromDht: 0,
    fromIncoming: 0,
    fromLpd: 0,
    fromLtep: 0,
    fromPex: 0,
    // Every peer of a friends-only torrent comes from XMPP: the nearest Transmission bucket.
    fromTracker: t.peers,
  }),
  // With the peer list (asked for with `peers`): the peers data flows with; without it, every
  // peer counts while data flows that way.
  peersGettingFromUs: (t, c) =>
    c.peers ? c.peers.filter((p) => p.uploadSpeed > 0).length : t.uploadSpeed > 0 ? t.peers : 0,
  peersSendingToUs: (t, c) =>
    c.peers ? c.peers.filter((p) => p.downloadSpeed > 0).length : t.downloadSpeed > 0 ? t.peers : 0,
  percentComplete: (t) => (t.size ? Math.min(1, amounts(t).have / t.size) : 0),
  percentDone: (t) => t.progress,
  pieces: (_t, c) => c.pieces ?? '',
  pieceCount: (t) => t.pieceCount ?? 0,
  pieceSize: (t) => t.pieceLength ?? 0,
  priorities: (t) => t.files.map((f) => TR_PRIORITY[f.priority]),
  'primary-mime-type': () => '',
  queuePosition: (_t, c) => c.position,
  rateDownload: (t) => Math.round(t.downloadSpeed),
  rateUpload: (t) => Math.round(t.uploadSpeed),
  recheckProgress: (t) => (t.state === 'checking' ? t.progress : 0),
  secondsDownloading: (t) => t.secondsDownloading ?? 0,
  secondsSeeding: (t) => t.secondsSeeding ?? 0,
  seedIdleLimit: (t) => seedLimits(t).idleMinutes,
  seedIdleMode: (t) => SEED_MODE[seedLimits(t).idleMode],
  seedRatioLimit: (t) => seedLimits(t).ratio,
  seedRatioMode: (t) => SEED_MODE[seedLimits(t).ratioMode],
  sequentialDownload: () => false,
  sizeWhenDone: (t) => amounts(t).wanted,
  startDate: (t) => seconds(t.addedAt),
  status: trStatus,
  torrentFile: () => '',
  totalSize: (t) => t.size ?? 0,
  trackerList: (t) => t.trackers.map((tr) => tr.url).join('\n'),
  trackers: (t) =>
    t.trackers.map((tr, i) => ({
      announce: tr.url,
      id: i,
      scrape: '',
      sitename: trackerHost(tr.url),
      tier: i,
    })),
  trackerStats: (t) =>
    t.trackers.map((tr, i) => ({
      announce: tr.url,
      announceState: tr.state === 'announcing' ? 3 : 1,
      downloadCount: -1,
      hasAnnounced: tr.lastAnnounceAt !== null,
      hasScraped: false,
      host: trackerHost(tr.url),
      id: i,
      isBackup: false,
      lastAnnouncePeerCount: 0,
      lastAnnounceResult: tr.message ?? (tr.state === 'working' ? 'Success' : ''),
      lastAnnounceStartTime: tr.lastAnnounceAt === null ? 0 : seconds(tr.lastAnnounceAt),
      lastAnnounceSucceeded: tr.state === 'working',
      lastAnnounceTime: tr.lastAnnounceAt === null ? 0 : seconds(tr.lastAnnounceAt),
      lastAnnounceTimedOut: false,
      lastScrapeResult: '',
      lastScrapeStartTime: 0,
      lastScrapeSucceeded: false,
      lastScrapeTime: 0,
      lastScrapeTimedOut: false,
      leecherCount: -1,
      nextAnnounceTime: 0,
      nextScrapeTime: 0,
      scrape: '',
      scrapeState: 0,
      seederCount: -1,
      sitename: trackerHost(tr.url),
      tier: i,
    })),
  // Transmission 4.1 (snake_case even in its old protocol): pieces in order.
  sequential_download: (t) => t.sequential ?? true,
  uploadedEver: (t) => Math.round(t.uploadedEver ?? t.uploaded),
  uploadLimit: (t) => kilo(t.uploadLimit),
  uploadLimited: (t) => t.uploadLimit !== null,
  uploadRatio: (t) => {
    const down = downloadedEver(t);
    return ratio(t.uploadedEver ?? t.uploaded, down > 0 ? down : amounts(t).have);
  },
  wanted: (t) => t.files.map((f) => (f.wanted ? 1 : 0)),
  webseeds: () => [],
  webseedsSendingToUs: () => 0,
};

/** Every torrent field name bitween answers (Transmission 4.0's list). */
export const TORRENT_FIELDS: readonly string[] = Object.keys(getters);

/**
 * The requested fields of one torrent. Names Transmission does not know are left out, as
 * Transmission does; `Object.hasOwn` keeps `__proto__` and friends out of the lookup.
 */
export function torrentObject(
  t: TorrentStatus,
  fields: readonly string[],
  ctx: FieldContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (Object.hasOwn(getters, f)) out[f] = getters[f]!(t, ctx);
  }
  return out;
}
