import type { TorrentStatus } from '@bitween/messages';

/**
 * bitween's `TorrentStatus` as Transmission RPC torrent objects (the `torrent-get` fields of
 * Transmission 4.0, rpc-version 17). Pure: every value derives from the status, the torrent's
 * numeric id and the current time. Fields bitween has no notion of (pieces, peer lists, seed
 * ratio limits…) get Transmission's neutral value, so a frontend that asks for them gets an
 * answer (Transmission Remote GUI fails on a missing field).
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
}

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
  activityDate: (t, c) => (isActive(t) ? c.now : seconds(t.addedAt)),
  addedDate: (t) => seconds(t.addedAt),
  availability: () => [],
  bandwidthPriority: () => 0,
  comment: () => '',
  corruptEver: () => 0,
  creator: () => '',
  dateCreated: () => 0,
  desiredAvailable: () => 0,
  doneDate: () => 0,
  downloadDir: (t) => t.savePath,
  downloadedEver: (t) => Math.round(t.downloaded),
  downloadLimit: (t) => kilo(t.downloadLimit),
  downloadLimited: (t) => t.downloadLimit !== null,
  editDate: () => 0,
  error: (t) => (t.state === 'error' || t.error !== null ? 3 : 0),
  errorString: (t) => t.error ?? '',
  eta: (t) => (t.eta !== null ? t.eta : t.state === 'downloading' ? ETA_UNKNOWN : ETA_NOT_AVAILABLE),
  etaIdle: () => ETA_NOT_AVAILABLE,
  'file-count': (t) => t.files.length,
  files: (t) => t.files.map((f) => ({ name: f.path, length: f.size, bytesCompleted: f.downloaded })),
  fileStats: (t) => t.files.map((f) => ({ bytesCompleted: f.downloaded, wanted: f.wanted, priority: 0 })),
  group: () => '',
  hashString: (t) => t.hash,
  haveUnchecked: () => 0,
  haveValid: (t) => amounts(t).have,
  honorsSessionLimits: () => true,
  id: (_t, c) => c.id,
  // Transmission's "finished" is "stopped by its seed ratio/idle limit"; bitween has no such limits.
  isFinished: () => false,
  isPrivate: () => false,
  isStalled: (t) => t.state === 'downloading' && t.downloadSpeed === 0 && t.peers === 0,
  labels: () => [],
  leftUntilDone: (t) => amounts(t).left,
  magnetLink,
  manualAnnounceTime: () => -1,
  maxConnectedPeers: () => 50,
  metadataPercentComplete: (t) => (t.state === 'metadata' ? 0 : 1),
  name: (t) => t.name ?? t.hash,
  'peer-limit': () => 50,
  peers: () => [],
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
  // bitween knows the peer count, not who sends or takes: every peer counts while data flows.
  peersGettingFromUs: (t) => (t.uploadSpeed > 0 ? t.peers : 0),
  peersSendingToUs: (t) => (t.downloadSpeed > 0 ? t.peers : 0),
  percentComplete: (t) => (t.size ? Math.min(1, amounts(t).have / t.size) : 0),
  percentDone: (t) => t.progress,
  pieces: () => '',
  pieceCount: () => 0,
  pieceSize: () => 0,
  priorities: (t) => t.files.map(() => 0),
  'primary-mime-type': () => '',
  queuePosition: (_t, c) => c.position,
  rateDownload: (t) => Math.round(t.downloadSpeed),
  rateUpload: (t) => Math.round(t.uploadSpeed),
  recheckProgress: (t) => (t.state === 'checking' ? t.progress : 0),
  secondsDownloading: () => 0,
  secondsSeeding: () => 0,
  seedIdleLimit: () => 30,
  seedIdleMode: () => 0,
  seedRatioLimit: () => 2,
  seedRatioMode: () => 0,
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
  uploadedEver: (t) => Math.round(t.uploaded),
  uploadLimit: (t) => kilo(t.uploadLimit),
  uploadLimited: (t) => t.uploadLimit !== null,
  uploadRatio: (t) => ratio(t.uploaded, t.downloaded > 0 ? t.downloaded : amounts(t).have),
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
