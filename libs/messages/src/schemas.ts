import { isIP } from 'node:net';
import { z } from 'zod';

/** A BitTorrent v1 info-hash: 40 lowercase hex characters (the only id that crosses the wire). */
export const InfoHash = z
  .string()
  .regex(/^[0-9a-f]{40}$/, 'must be a BitTorrent v1 info-hash: 40 lowercase hex characters');
export type InfoHash = z.infer<typeof InfoHash>;

/** An engine instance id: used as a NATS subject token and a KV key, so no dots or spaces. */
export const EngineId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"');
export type EngineId = z.infer<typeof EngineId>;

export const Port = z.number().int().min(1).max(65535);

/** An IPv4 dotted quad or IPv6 text address without brackets. */
export const IpAddress = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

/** Where a BitTorrent peer listens. */
export const Endpoint = z.object({ address: IpAddress, port: Port });
export type Endpoint = z.infer<typeof Endpoint>;

/**
 * A whole-file SHA-256 digest (XEP-0300 `<hash algo='sha-256'>`): 32 bytes in standard base64
 * (44 characters, one `=`; the last character before it carries 2 zero bits).
 */
export const Sha256 = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'must be a SHA-256 digest: 32 bytes in base64');
export type Sha256 = z.infer<typeof Sha256>;

/** One shared torrent as it is advertised to friends: the info-hash, `info.name` and total bytes. */
export const Share = z.object({
  hash: InfoHash,
  name: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** The SHA-256 of its one file (single-file torrents shared from this host; XEP-0498 items). */
  sha256: Sha256.optional(),
});
export type Share = z.infer<typeof Share>;

/**
 * metadata: waiting for the info dict from peers; checking: verifying data on disk;
 * queued: waiting for a download slot (maxActiveDownloads); paused: stopped by the user
 * (no connections, no transfer); downloading / seeding; error: see `error`.
 */
export const TorrentState = z.enum([
  'metadata',
  'checking',
  'queued',
  'paused',
  'downloading',
  'seeding',
  'error',
]);
export type TorrentState = z.infer<typeof TorrentState>;

/** A file's download priority (Transmission's high / normal / low): its pieces are asked for in that order. */
export const FilePriority = z.enum(['high', 'normal', 'low']);
export type FilePriority = z.infer<typeof FilePriority>;

export const TorrentFile = z.object({
  /** Path inside the torrent, '/'-separated, starting with `info.name` for multi-file torrents. */
  path: z.string(),
  size: z.number().int().nonnegative(),
  /** Selected for download (per-file selection); unwanted files are not fetched. */
  wanted: z.boolean(),
  priority: FilePriority,
  /** Verified bytes of this file. */
  downloaded: z.number().int().nonnegative(),
});
export type TorrentFile = z.infer<typeof TorrentFile>;

/** An optional HTTP/UDP tracker (friend shares have none unless the user adds them). */
export const TrackerUrl = z
  .string()
  .max(2048)
  .regex(/^(https?|udp):\/\/[^\s]+$/, 'must be an http://, https:// or udp:// tracker URL');

export const TrackerStatus = z.object({
  url: TrackerUrl,
  state: z.enum(['idle', 'announcing', 'working', 'error']),
  /** The last error (state error) or warning from the tracker. */
  message: z.string().nullable(),
  /** ms since epoch of the last successful announce. */
  lastAnnounceAt: z.number().int().nullable(),
});
export type TrackerStatus = z.infer<typeof TrackerStatus>;

/** Bytes per second; null = unlimited. */
export const RateLimit = z.number().int().positive().nullable();

/** A torrent label (Transmission `labels`): no commas (Transmission's separator), no control characters. */
export const Label = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^,\p{Cc}]+$/u, 'must not contain commas or control characters');

/**
 * When a complete torrent stops seeding, as Transmission: `global` follows the engine settings,
 * `single` this torrent's value, `unlimited` never. `ratio`: uploaded / downloaded (or size);
 * `idleMinutes`: minutes without sending anything.
 */
const SeedMode = z.enum(['global', 'single', 'unlimited']);
export const SeedLimits = z.object({
  ratioMode: SeedMode,
  ratio: z.number().nonnegative().max(1_000_000),
  idleMode: SeedMode,
  idleMinutes: z.number().int().positive().max(1_000_000),
});
export type SeedLimits = z.infer<typeof SeedLimits>;

/** Everything the engine knows about one torrent at a moment. */
export const TorrentStatus = z.object({
  hash: InfoHash,
  engineId: EngineId,
  /** `info.name`, null until the metadata is known. */
  name: z.string().nullable(),
  /** Total bytes, null until the metadata is known. */
  size: z.number().int().nonnegative().nullable(),
  savePath: z.string(),
  state: TorrentState,
  /** 0..1 of the wanted bytes verified. */
  progress: z.number().min(0).max(1),
  done: z.boolean(),
  downloaded: z.number().nonnegative(),
  uploaded: z.number().nonnegative(),
  downloadSpeed: z.number().nonnegative(),
  uploadSpeed: z.number().nonnegative(),
  peers: z.number().int().nonnegative(),
  files: z.array(TorrentFile),
  /**
   * Set when `files` holds only the first of the torrent's files (single-torrent replies and
   * `torrent.added` of a torrent of more than `FILES_IN_REPLY` files): how many it has. The rest
   * come from `engine.files`. Absent: `files` is complete.
   */
  fileCount: z.number().int().nonnegative().optional(),
  error: z.string().nullable(),
  addedAt: z.number().int(),
  /** Seconds until done at the current rate; null when unknown, stalled or done. */
  eta: z.number().int().nonnegative().nullable(),
  downloadLimit: RateLimit,
  uploadLimit: RateLimit,
  trackers: z.array(TrackerStatus),
  /**
   * Pieces are fetched in order (webtorrent's default; HTTP streams raise their own pieces first
   * either way); false: rarest first. Absent from older engines.
   */
  sequential: z.boolean().optional(),
  // Absent from older engines (issue 22): Transmission's bookkeeping.
  /** Pieces and their length, once the metadata is known. */
  pieceCount: z.number().int().nonnegative().optional(),
  pieceLength: z.number().int().nonnegative().optional(),
  /** Piece payload received / sent over the torrent's whole life (no protocol overhead). Persisted. */
  downloadedEver: z.number().nonnegative().optional(),
  uploadedEver: z.number().nonnegative().optional(),
  /** Time spent downloading / seeding (running, not paused or queued). Persisted. */
  secondsDownloading: z.number().int().nonnegative().optional(),
  secondsSeeding: z.number().int().nonnegative().optional(),
  /** ms since epoch: when every wanted piece was first verified; null while incomplete. */
  completedAt: z.number().int().nullable().optional(),
  /** ms since epoch of the last piece data received or sent; null: none yet. */
  activityAt: z.number().int().nullable().optional(),
  labels: z.array(z.string()).optional(),
  /**
   * The friends (bare JIDs) whose share it was downloaded from, as their lists offered it when it
   * was added; empty for our own shares and other downloads. Persisted. Absent from older engines.
   */
  friends: z.array(z.string()).optional(),
  seedLimits: SeedLimits.optional(),
  /** Stopped because it reached its seeding limit (Transmission's `isFinished`). */
  finished: z.boolean().optional(),
  /** The download queue's sort key on its engine (the time added unless moved). */
  queueOrder: z.number().optional(),
  /** SHA-256 of the one file of a single-file torrent shared from this host (hashed with its pieces). */
  sha256: Sha256.optional(),
});
export type TorrentStatus = z.infer<typeof TorrentStatus>;

export const Empty = z.object({}).strict();

/** A bare JID (`local@domain`), as roster and subscription commands use it. */
export const BareJid = z
  .string()
  .max(3071)
  .regex(/^[^@/\s]+@[^@/\s]+$/, 'must be a bare JID: local@domain');
