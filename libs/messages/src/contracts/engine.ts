import { z } from 'zod';
import { command, event } from '../contract.js';
import type { Share } from '../schemas.js';
import {
  BareJid,
  Endpoint,
  EngineId,
  FilePriority,
  InfoHash,
  RateLimit,
  Sha256,
  TorrentStatus,
  TrackerUrl,
} from '../schemas.js';
import { PortMappingStatus } from './port-mapping.js';
import { AdmissionCounters, ConnectionCounters, Reachability } from './reachability.js';
import { queues, subjects } from '../subjects.js';
import { DownloadOrder } from './streaming.js';

/** Share a file or folder that is on the engine's host: seeded in place, never copied. */
export const addPath = command({
  name: 'engine.add-path',
  subject: subjects.engine.addPath,
  queue: queues.engine,
  request: z.object({
    path: z
      .string()
      .min(1, 'must not be empty')
      .refine((p) => !p.includes('\0'), 'must not contain NUL'),
    /** Optional public trackers to announce to as well (none by default: friends only). */
    trackers: z.array(TrackerUrl).max(32).optional(),
  }),
  response: z.object({ torrent: TorrentStatus, created: z.boolean() }),
});

/** Start downloading a friend's share by info-hash; metadata comes from the peers. */
export const addHash = command({
  name: 'engine.add-hash',
  subject: subjects.engine.addHash,
  queue: queues.engine,
  request: z.object({
    hash: InfoHash,
    /** Directory to save into, on the engine's host; the engine's download dir when absent. */
    savePath: z.string().min(1).optional(),
    trackers: z.array(TrackerUrl).max(32).optional(),
    ...DownloadOrder.shape,
    /** The friends whose lists offer it (a friend's share added): recorded with the torrent. */
    friends: z.array(BareJid).max(256).optional(),
  }),
  response: z.object({ torrent: TorrentStatus, created: z.boolean() }),
});

/** The largest `.torrent` file (bytes, decoded) anyone takes: base64 of it fits one 1 MiB NATS message. */
export const MAX_METAINFO_BYTES = 700 * 1024;
/** `MAX_METAINFO_BYTES` as base64 characters. */
export const MAX_METAINFO_BASE64 = Math.ceil(MAX_METAINFO_BYTES / 3) * 4;

/** Add a torrent from its metainfo (a `.torrent` file, base64), e.g. an upload or Transmission's torrent-add. */
export const addTorrentFile = command({
  name: 'engine.add-torrent-file',
  subject: subjects.engine.addTorrentFile,
  queue: queues.engine,
  request: z.object({
    /** The bencoded metainfo, base64; at most MAX_METAINFO_BYTES decoded. */
    metainfo: z
      .string()
      .min(1)
      .max(MAX_METAINFO_BASE64)
      .regex(/^[A-Za-z0-9+/]+=*$/, 'must be base64'),
    savePath: z.string().min(1).optional(),
    trackers: z.array(TrackerUrl).max(32).optional(),
    ...DownloadOrder.shape,
  }),
  response: z.object({ torrent: TorrentStatus, created: z.boolean() }),
});

/** One entry of a folder listed by `engine.browse`. */
export const BrowseEntry = z.object({
  name: z.string(),
  type: z.enum(['dir', 'file']),
  /** Bytes, for files; null for folders. */
  size: z.number().int().nonnegative().nullable(),
});
export type BrowseEntry = z.infer<typeof BrowseEntry>;

/**
 * List a folder below the share roots (the web UI's path picker). Without `path`: the roots.
 * The engine resolves symlinks and refuses anything outside the roots (`failed`); entries that
 * lead outside (symlinks) are left out. At most 1,000 entries (`truncated` says so).
 */
export const browse = command({
  name: 'engine.browse',
  subject: subjects.engine.browse,
  queue: queues.engine,
  request: z.object({
    path: z
      .string()
      .min(1, 'must not be empty')
      .max(4096)
      .refine((p) => !p.includes('\0'), 'must not contain NUL')
      .optional(),
  }),
  response: z.object({
    /** The folder listed; null for the list of roots. */
    path: z.string().nullable(),
    /** The folder above, while still inside a root; null at a root (go back to the roots). */
    parent: z.string().nullable(),
    /** The share roots (the download dir included) that exist. */
    roots: z.array(z.string()),
    entries: z.array(BrowseEntry),
    truncated: z.boolean(),
  }),
});

const Hash = z.object({ hash: InfoHash });
const WithTorrent = z.object({ torrent: TorrentStatus });
type Instance = { engineId: string };

/** Remove a torrent from one engine; its files stay on disk unless `deleteData`. */
const RemoveRequest = z.object({ hash: InfoHash, deleteData: z.boolean().default(false) });
export const remove = command<typeof RemoveRequest, z.ZodObject<{ removed: z.ZodLiteral<true> }>, Instance>({
  name: 'engine.remove',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'remove'),
  request: RemoveRequest,
  response: z.object({ removed: z.literal(true) }),
});

/** Stop a torrent: every connection closed, nothing sent or received until `resume`. Persisted. */
export const pause = command<typeof Hash, typeof WithTorrent, Instance>({
  name: 'engine.pause',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'pause'),
  request: Hash,
  response: WithTorrent,
});

export const resume = command<typeof Hash, typeof WithTorrent, Instance>({
  name: 'engine.resume',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'resume'),
  request: Hash,
  response: WithTorrent,
});

/** Per-file selection and priority by index into `TorrentStatus.files`; what is not named is kept. */
const SetFilesRequest = z.object({
  hash: InfoHash,
  files: z
    .array(
      z
        .object({
          index: z.number().int().nonnegative(),
          wanted: z.boolean().optional(),
          priority: FilePriority.optional(),
        })
        .refine((f) => f.wanted !== undefined || f.priority !== undefined, 'name wanted and/or priority'),
    )
    .min(1)
    .max(100_000),
});
export const setFiles = command<typeof SetFilesRequest, typeof WithTorrent, Instance>({
  name: 'engine.set-files',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'set-files'),
  request: SetFilesRequest,
  response: WithTorrent,
});

/** Per-torrent speed limits in bytes/s: absent = unchanged, null = unlimited. */
const SetLimitsRequest = z.object({
  hash: InfoHash,
  downloadLimit: RateLimit.optional(),
  uploadLimit: RateLimit.optional(),
});
export const setLimits = command<typeof SetLimitsRequest, typeof WithTorrent, Instance>({
  name: 'engine.set-limits',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'set-limits'),
  request: SetLimitsRequest,
  response: WithTorrent,
});

/** Where the next page of `engine.list` starts: opaque, issued by the engine. */
export const ListCursor = z.string().min(1).max(1024);
const ListRequest = z.object({ cursor: ListCursor.nullable().optional() }).strict();
const ListResponse = z.object({
  torrents: z.array(TorrentStatus),
  /** The cursor of the next page; null (or absent, from older engines) after the last page. */
  next: ListCursor.nullable().optional(),
});

/**
 * Every torrent one engine holds (by time added, then hash), in pages that each fit one NATS
 * message: an empty request gets the first page, `next` the following one (null: the last). A
 * torrent with more files than fit one page is cut inside its `files`: the next page starts
 * with the same torrent holding the rest (`fetchAllTorrents` merges the pieces).
 */
export const list = command<typeof ListRequest, typeof ListResponse, { engineId: string }>({
  name: 'engine.list',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'list'),
  request: ListRequest,
  response: ListResponse,
});

/** Progress of one torrent; coalesced (at most one a second per torrent) on core NATS. */
export const TorrentProgress = TorrentStatus.pick({
  hash: true,
  engineId: true,
  name: true,
  size: true,
  state: true,
  progress: true,
  done: true,
  downloaded: true,
  uploaded: true,
  downloadSpeed: true,
  uploadSpeed: true,
  peers: true,
  eta: true,
  // Transmission's bookkeeping (optional: older engines send none).
  finished: true,
  downloadedEver: true,
  uploadedEver: true,
  secondsDownloading: true,
  secondsSeeding: true,
  completedAt: true,
  activityAt: true,
});
export type TorrentProgress = z.infer<typeof TorrentProgress>;

export const progress = event<typeof TorrentProgress, { hash: string }>({
  name: 'torrent.progress',
  subject: ({ hash }) => subjects.events.torrentProgress(hash),
  pattern: subjects.events.torrentProgressAll,
  payload: TorrentProgress,
});

/** A torrent appeared on an engine (added by a user, restored, or taken over from a dead engine). */
export const added = event({
  name: 'torrent.added',
  subject: ({ hash }: { hash: string }) => subjects.events.torrent(hash, 'added'),
  pattern: subjects.events.torrentAll('added'),
  payload: z.object({ torrent: TorrentStatus }),
});

/** A torrent left an engine (removed by a user). */
export const removed = event({
  name: 'torrent.removed',
  subject: ({ hash }: { hash: string }) => subjects.events.torrent(hash, 'removed'),
  pattern: subjects.events.torrentAll('removed'),
  payload: z.object({ hash: InfoHash, engineId: EngineId, deleteData: z.boolean() }),
});

/**
 * Settings every engine applies (JetStream KV bucket `bitween_settings`, key `engine`; engines
 * watch it, the api writes it). Global limits apply per engine instance.
 */
export const EngineSettings = z.object({
  downloadLimit: RateLimit,
  uploadLimit: RateLimit,
  /** Downloads running at once on an engine; the rest wait in state `queued`. null = no limit. */
  maxActiveDownloads: z.number().int().positive().nullable(),
  /** Complete torrents stop seeding at this ratio (per-torrent mode `global`); null/absent: never. */
  seedRatioLimit: z.number().nonnegative().max(1_000_000).nullable().optional(),
  /** …or after this many minutes without sending anything; null/absent: never. */
  seedIdleMinutes: z.number().int().positive().max(1_000_000).nullable().optional(),
  /**
   * Alternative speed limits (Transmission's "turtle mode"): used instead of the limits above
   * while `enabled`, or while the schedule says so (minutes after local midnight, `days` a
   * bitmask Sunday = 1 … Saturday = 64). Absent: off.
   */
  altSpeed: z
    .object({
      enabled: z.boolean(),
      downloadLimit: RateLimit,
      uploadLimit: RateLimit,
      schedule: z
        .object({
          enabled: z.boolean(),
          begin: z.number().int().min(0).max(1439),
          end: z.number().int().min(0).max(1439),
          days: z.number().int().min(0).max(127),
        })
        .optional(),
    })
    .optional(),
});
export type EngineSettings = z.infer<typeof EngineSettings>;
export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  downloadLimit: null,
  uploadLimit: null,
  maxActiveDownloads: null,
};

/**
 * One torrent an engine holds: the value of key `<engineId>.<info-hash>` in the KV bucket
 * `bitween_engine_torrents` (one key per torrent, so no value grows with the number of torrents;
 * written when the torrent is added, gets its metadata or is removed, not on heartbeats).
 */
export const EngineTorrent = z.object({
  /** null until metadata is known; only torrents with metadata are shared with friends. */
  name: z.string().nullable(),
  size: z.number().int().nonnegative().nullable(),
  /** SHA-256 of the one file of a single-file torrent shared from this host; absent otherwise. */
  sha256: Sha256.optional(),
});
export type EngineTorrent = z.infer<typeof EngineTorrent>;

/**
 * Where one engine listens and that it is alive: the value of its key in the engines KV bucket
 * (`bitween_engines`), refreshed by its heartbeat. Its torrents are not in it (they are keys of
 * `bitween_engine_torrents`), only their count, so the entry stays small whatever it holds.
 */
export const EngineEntry = z.object({
  engineId: EngineId,
  version: z.string(),
  endpoints: z.array(Endpoint),
  /** How many torrents the engine holds (its keys in `bitween_engine_torrents`). */
  torrentCount: z.number().int().nonnegative(),
  /** The engine refreshes its entry at this interval; a silent engine is considered gone after 3. */
  heartbeatMs: z.number().int().positive(),
  /**
   * Where the engine saves a download that names no folder (BITWEEN_DOWNLOAD_DIR, absolute): what
   * Transmission's `session-get` calls `download-dir`. Absent from older engines.
   */
  downloadDir: z.string().min(1).max(4096).optional(),
  /** The engine's port mapping on the home router (UPnP-IGD / NAT-PMP). Absent from older engines. */
  portMapping: PortMappingStatus.optional(),
  /**
   * The IPv6 pinhole the engine holds in the home router's firewall for its port, for its first
   * global IPv6 address (PCP MAP; `external` is that address). Absent when the engine has no global IPv6 address, port mapping
   * is off, or from older engines.
   */
  pinhole: PortMappingStatus.optional(),
  /**
   * Every IPv6 pinhole the engine holds: one per global IPv6 address it announces (`pinhole` is the
   * first of them). Absent when it has none, or from older engines.
   */
  pinholes: z.array(PortMappingStatus).max(8).optional(),
  /**
   * Outgoing connections the dial policy refused since the engine started, by reason (`loopback`,
   * `lan`, `not-ip`, …: libs/net-policy `DialRefusal`). Absent from older engines.
   */
  refusedDials: z.record(z.string().max(32), z.number().int().nonnegative()).optional(),
  /** Can friends reach this engine (issue 19). Absent from older engines. */
  reachability: Reachability.optional(),
  /** Connections by transport since start. Absent from older engines. */
  connections: ConnectionCounters.optional(),
  /** Peers admitted or refused by ticket since start. Absent from older engines. */
  admission: AdmissionCounters.optional(),
});
export type EngineEntry = z.infer<typeof EngineEntry>;

/**
 * What one engine holds and where it listens, as readers see it (not a message): its entry plus
 * its torrents from `bitween_engine_torrents` (libs/bus `EngineRegistry` puts them together).
 * The gateway builds the list it publishes from it; the api finds the engines and owners by it.
 */
export const EngineState = EngineEntry.omit({ torrentCount: true }).extend({
  torrents: z.array(EngineTorrent.extend({ hash: InfoHash })),
});
export type EngineState = z.infer<typeof EngineState>;

/** The torrents of an engine state that can be advertised (metadata known). */
export function sharesOf(state: EngineState): Share[] {
  const shares: Share[] = [];
  for (const t of state.torrents) {
    if (t.name === null || t.size === null) continue;
    shares.push({ hash: t.hash, name: t.name, size: t.size, ...(t.sha256 ? { sha256: t.sha256 } : {}) });
  }
  return shares;
}

/**
 * A contact's rendezvous for a hash this engine holds (the gateway checked the contact and the
 * rate): dial the contact's endpoints (connection reversal) and, when `sdp` is an offer, answer it
 * with a WebRTC peer for the torrent. The reply carries the answer.
 */
const ConnectRequest = z
  .object({
    hash: InfoHash,
    /** The contact (bare JID) asking. */
    jid: z.string().min(1).max(3071),
    /** Where the contact's engine can be reached (already through the gateway's checks). */
    endpoints: z.array(Endpoint).max(32),
    sdp: z.string().min(1).max(16_384).optional(),
  })
  .strict();
export const connect = command<
  typeof ConnectRequest,
  z.ZodObject<{ sdp: z.ZodOptional<z.ZodString> }>,
  Instance
>({
  name: 'engine.connect',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'connect'),
  request: ConnectRequest,
  response: z.object({ sdp: z.string().min(1).max(16_384).optional() }),
});

// Streaming a file (HTTP Range in the api): raw-bytes replies, see streaming.ts.
export { read, setSequential, streamClose } from './streaming.js';
// Transmission's torrent controls (verify, reannounce, labels, seeding limits, pieces…).
export {
  freeSpace,
  peers,
  pieces,
  queueMove,
  reannounce,
  setLocation,
  setOptions,
  verify,
} from './torrent-controls.js';
// A friend's share's file list, fetched on demand (metadata only), see share-files.ts.
export { shareFiles } from './share-files.js';
// One page of a torrent's files (single-torrent replies carry only the first), see torrent-files.ts.
export { files } from './torrent-files.js';
