import { z } from 'zod';
import { command, event } from '../contract.js';
import type { Share } from '../schemas.js';
import { Empty, Endpoint, EngineId, InfoHash, TorrentStatus } from '../schemas.js';
import { queues, subjects } from '../subjects.js';

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
  }),
  response: z.object({ torrent: TorrentStatus, created: z.boolean() }),
});

/** Remove a torrent from one engine; the files stay on disk. */
export const remove = command<
  z.ZodObject<{ hash: typeof InfoHash }>,
  z.ZodObject<{ removed: z.ZodLiteral<true> }>,
  { engineId: string }
>({
  name: 'engine.remove',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'remove'),
  request: z.object({ hash: InfoHash }),
  response: z.object({ removed: z.literal(true) }),
});

/** Every torrent one engine holds. */
export const list = command<
  typeof Empty,
  z.ZodObject<{ torrents: z.ZodArray<typeof TorrentStatus> }>,
  { engineId: string }
>({
  name: 'engine.list',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'list'),
  request: Empty,
  response: z.object({ torrents: z.array(TorrentStatus) }),
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
});
export type TorrentProgress = z.infer<typeof TorrentProgress>;

export const progress = event<typeof TorrentProgress, { hash: string }>({
  name: 'torrent.progress',
  subject: ({ hash }) => subjects.events.torrentProgress(hash),
  pattern: subjects.events.torrentProgressAll,
  payload: TorrentProgress,
});

/**
 * What one engine holds and where it listens: the value of its key in the engines KV bucket.
 * The gateway watches the bucket to build the list it publishes; the api reads it to find the
 * engines and which one owns a torrent.
 */
export const EngineState = z.object({
  engineId: EngineId,
  version: z.string(),
  endpoints: z.array(Endpoint),
  torrents: z.array(
    z.object({
      hash: InfoHash,
      /** null until metadata is known; only torrents with metadata are shared with friends. */
      name: z.string().nullable(),
      size: z.number().int().nonnegative().nullable(),
    }),
  ),
  /** The engine refreshes its entry at this interval; a silent engine is considered gone after 3. */
  heartbeatMs: z.number().int().positive(),
});
export type EngineState = z.infer<typeof EngineState>;

/** The torrents of an engine state that can be advertised (metadata known). */
export function sharesOf(state: EngineState): Share[] {
  const shares: Share[] = [];
  for (const t of state.torrents) {
    if (t.name !== null && t.size !== null) shares.push({ hash: t.hash, name: t.name, size: t.size });
  }
  return shares;
}
