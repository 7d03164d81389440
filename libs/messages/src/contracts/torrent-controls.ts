import { z } from 'zod';
import { command } from '../contract.js';
import { InfoHash, Label, SeedLimits, TorrentStatus } from '../schemas.js';
import { subjects } from '../subjects.js';

/**
 * Controls Transmission clients (the *arr apps, transmission-remote) use, addressed to the
 * engine that owns the torrent.
 */
type Instance = { engineId: string };
const Hash = z.object({ hash: InfoHash });
const WithTorrent = z.object({ torrent: TorrentStatus });
const at =
  (verb: string) =>
  ({ engineId }: Instance) =>
    subjects.engine.instance(engineId, verb);

/** Labels and seeding limits of a torrent (absent = unchanged). Persisted. */
const SetOptionsRequest = z.object({
  hash: InfoHash,
  labels: z.array(Label).max(64).optional(),
  seedLimits: SeedLimits.partial().optional(),
});
export const setOptions = command<typeof SetOptionsRequest, typeof WithTorrent, Instance>({
  name: 'engine.set-options',
  subject: at('set-options'),
  request: SetOptionsRequest,
  response: WithTorrent,
});

/** Check the data on disk again: every piece re-hashed (state `checking` meanwhile). */
export const verify = command<typeof Hash, typeof WithTorrent, Instance>({
  name: 'engine.verify',
  subject: at('verify'),
  request: Hash,
  response: WithTorrent,
});

/**
 * Move a torrent's data to another save folder below the share roots (`move: true`: the files
 * are moved, the torrent paused meanwhile and verified at the new place; `false`: only the
 * location changes and the data is looked for there). Answers once the move is done, or, when it
 * takes longer, while it goes on (the torrent is `paused` until then, its `savePath` the old one).
 */
const SetLocationRequest = z.object({
  hash: InfoHash,
  location: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => !p.includes('\0'), 'must not contain NUL'),
  move: z.boolean(),
});
export const setLocation = command<typeof SetLocationRequest, typeof WithTorrent, Instance>({
  name: 'engine.set-location',
  subject: at('set-location'),
  request: SetLocationRequest,
  response: WithTorrent,
});

/** Dial the friends who share the torrent again (and announce to its trackers, if any). */
export const reannounce = command<typeof Hash, z.ZodObject<{ dialled: z.ZodNumber }>, Instance>({
  name: 'engine.reannounce',
  subject: at('reannounce'),
  request: Hash,
  response: z.object({ dialled: z.number().int().nonnegative() }),
});

/** Which pieces are verified: the bitfield (BitTorrent order, high bit first), base64. */
export const pieces = command<
  typeof Hash,
  z.ZodObject<{ pieceCount: z.ZodNumber; bitfield: z.ZodString }>,
  Instance
>({
  name: 'engine.pieces',
  subject: at('pieces'),
  request: Hash,
  response: z.object({ pieceCount: z.number().int().nonnegative(), bitfield: z.string() }),
});

export const PeerInfo = z.object({
  address: z.string(),
  port: z.number().int().nonnegative(),
  /** From the peer id (e.g. "WebTorrent 3.0.2"), empty when unknown. */
  client: z.string(),
  /** Payload bytes/s from / to this peer. */
  downloadSpeed: z.number().nonnegative(),
  uploadSpeed: z.number().nonnegative(),
  /** 0..1: the share of pieces the peer has. */
  progress: z.number().min(0).max(1),
  amChoking: z.boolean(),
  amInterested: z.boolean(),
  peerChoking: z.boolean(),
  peerInterested: z.boolean(),
  incoming: z.boolean(),
  encrypted: z.boolean(),
  transport: z.enum(['tcp', 'webrtc', 'other']),
});
export type PeerInfo = z.infer<typeof PeerInfo>;

/** The torrent's connected peers (at most 500). */
export const peers = command<typeof Hash, z.ZodObject<{ peers: z.ZodArray<typeof PeerInfo> }>, Instance>({
  name: 'engine.peers',
  subject: at('peers'),
  request: Hash,
  response: z.object({ peers: z.array(PeerInfo).max(500) }),
});

/** Move a torrent in its engine's download queue (maxActiveDownloads). Persisted. */
const QueueMoveRequest = z.object({ hash: InfoHash, to: z.enum(['top', 'up', 'down', 'bottom']) });
export const queueMove = command<typeof QueueMoveRequest, typeof WithTorrent, Instance>({
  name: 'engine.queue-move',
  subject: at('queue-move'),
  request: QueueMoveRequest,
  response: WithTorrent,
});

/** Free space where the engine may save (a folder below its share roots). */
const FreeSpaceRequest = z.object({
  path: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => !p.includes('\0'), 'must not contain NUL'),
});
export const freeSpace = command<
  typeof FreeSpaceRequest,
  z.ZodObject<{ path: z.ZodString; free: z.ZodNumber; total: z.ZodNumber }>,
  Instance
>({
  name: 'engine.free-space',
  subject: at('free-space'),
  request: FreeSpaceRequest,
  response: z.object({ path: z.string(), free: z.number().nonnegative(), total: z.number().nonnegative() }),
});
