import { posix } from 'node:path';
import { BareJid, Label, TrackerUrl, engine } from '@bitween/messages';
import { z } from 'zod';
import { NatsStateSchema } from '../core/nats-state.js';
import { normaliseHash } from '../core/hash.js';
import {
  Contact,
  ContactResource,
  EngineSettings,
  EngineSettingsFields,
  EngineSummary,
  FilePriority,
  FolderEntry,
  PendingSubscription,
  RateLimit,
  SeedLimitsFields,
  Torrent,
} from './resources.js';

/**
 * The REST requests' zod schemas and the responses composed of the public resources
 * (resources.ts): request validation, response serialisation and the OpenAPI document all come
 * from these. Nothing here is a bus contract: inputs reuse only the contracts' value formats
 * (bare JID, tracker URL, label) so the API refuses what the engines would.
 */

export const TorrentSchema = Torrent;
export const ContactSchema = Contact;
export const PendingSubscriptionSchema = PendingSubscription;
export const EngineSettingsSchema = EngineSettings;

/** An info-hash in a path or body: 40 hex, any case, or a magnet link carrying one. */
export const HashInput = z
  .string()
  .max(4096)
  .transform(normaliseHash)
  .pipe(z.string().regex(/^[0-9a-f]{40}$/, 'must be a BitTorrent v1 info-hash (40 hex characters)'))
  .describe('info-hash: 40 hex characters (any case)');

export const HashParams = z.object({ hash: HashInput });

export const AbsolutePath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine((p) => posix.isAbsolute(p), "must be an absolute path on the daemon's host");

const Trackers = z
  .array(TrackerUrl)
  .max(32)
  .optional()
  .describe('extra trackers (none by default: friends only)');
const SavePath = AbsolutePath.optional().describe(
  "folder to save into on the daemon's host; the engine's download dir when absent",
);

/** A magnet link: its btih info-hash and, as trackers, its `tr` parameters. */
export const Magnet = z
  .string()
  .max(8192)
  .regex(/^magnet:\?/i, 'must start with magnet:?')
  .transform((link, ctx) => {
    const query = new URLSearchParams(link.slice(link.indexOf('?') + 1));
    const hash = query
      .getAll('xt')
      .map((xt) => /^urn:btih:([0-9a-f]{40})$/i.exec(xt.trim())?.[1])
      .find(Boolean);
    if (!hash) {
      ctx.addIssue({ code: 'custom', message: 'must carry xt=urn:btih:<40 hex> (v1 info-hash)' });
      return z.NEVER;
    }
    const trackers = query.getAll('tr').filter((tr) => TrackerUrl.safeParse(tr).success);
    return { hash: hash.toLowerCase(), trackers };
  });

const SOURCES = ['path', 'hash', 'magnet', 'metainfo'] as const;

export const AddTorrentBody = z
  .strictObject({
    path: AbsolutePath.optional().describe("a file or folder on the daemon's host: shared in place"),
    hash: HashInput.optional().describe("a friend's share: downloaded from the friends who offer it"),
    magnet: Magnet.optional().describe('a magnet link (xt=urn:btih:…)'),
    metainfo: z
      .string()
      .min(1)
      .max(engine.MAX_METAINFO_BASE64)
      .regex(/^[A-Za-z0-9+/]+=*$/, 'must be base64')
      .optional()
      .describe('a .torrent file, base64 (or POST the file itself to /v1/torrents/upload)'),
    savePath: SavePath,
    trackers: Trackers,
    sequentialDownload: z
      .boolean()
      .optional()
      .describe('fetch pieces in order (default true) or rarest first (false); downloads only'),
    firstLastPiecePrio: z
      .boolean()
      .optional()
      .describe('fetch the first and last piece of every file first (a video with its index at the end)'),
  })
  .superRefine((body, ctx) => {
    const given = SOURCES.filter((k) => body[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'name what to add: one of path, hash, magnet, metainfo'
            : `name only one of path, hash, magnet, metainfo (got ${given.join(', ')})`,
      });
    }
    if (body.path !== undefined && body.savePath !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['savePath'],
        message: 'does not apply to a shared path (seeded in place)',
      });
    }
  })
  .describe('exactly one of path, hash, magnet, metainfo');

export const DownloadOrderBody = z.strictObject({
  sequentialDownload: z.boolean().describe('fetch pieces in order (true) or rarest first (false)'),
});

export const AddTorrentQuery = z.object({
  savePath: SavePath,
});

export const AddedSchema = z
  .object({
    torrent: TorrentSchema,
    created: z.boolean().describe('false when an engine already held it'),
  })
  .meta({ id: 'Added' });

export const BoolString = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

export const RemoveQuery = z.object({
  deleteData: BoolString.optional().describe('also delete the downloaded files (default false)'),
});

export const SetFilesBody = z.strictObject({
  files: z
    .array(
      z
        .strictObject({
          index: z.number().int().nonnegative(),
          wanted: z.boolean().optional(),
          priority: FilePriority.optional(),
        })
        .refine((f) => f.wanted !== undefined || f.priority !== undefined, 'name wanted and/or priority'),
    )
    .min(1)
    .max(100_000)
    .describe('by index into `files` of the torrent; files and fields not named keep their setting'),
});

export const SetOptionsBody = z
  .strictObject({
    labels: z.array(Label).max(64).optional().describe("the torrent's labels (replaces them)"),
    seedLimits: SeedLimitsFields.partial()
      .optional()
      .describe('when seeding stops: mode global (the settings), single (these values) or unlimited'),
  })
  .refine((b) => b.labels !== undefined || b.seedLimits !== undefined, 'name labels and/or seedLimits');

export const MoveBody = z.strictObject({
  location: AbsolutePath.describe('the new save folder: below the share roots (created if missing)'),
  moveData: z
    .boolean()
    .default(true)
    .describe('true (default): move the files there; false: only look for them there (verified)'),
});

export const SetLimitsBody = z
  .strictObject({
    downloadLimit: RateLimit.optional().describe('bytes/s, null = unlimited, absent = unchanged'),
    uploadLimit: RateLimit.optional().describe('bytes/s, null = unlimited, absent = unchanged'),
  })
  .refine(
    (b) => b.downloadLimit !== undefined || b.uploadLimit !== undefined,
    'name downloadLimit and/or uploadLimit',
  );

export const SettingsPatch = EngineSettingsFields.partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one setting');

export const JidParams = z.object({ jid: BareJid });

export const BrowseQuery = z.object({
  path: AbsolutePath.optional().describe('a folder below the share roots; absent: the roots themselves'),
});

export const BrowseSchema = z
  .object({
    path: z.string().nullable().describe('the folder listed; null for the list of roots'),
    parent: z.string().nullable().describe('the folder above while inside a root; null at a root'),
    roots: z.array(z.string()).describe('the share roots (the download dir included)'),
    entries: z.array(FolderEntry).describe('folders first; a file or folder path is `path` + `/` + `name`'),
    truncated: z.boolean().describe('more entries than the 1,000 listed'),
  })
  .meta({ id: 'Folder' });

/** One source of a friend's share: who offers it, from which instance, and whether it is online. */
export const ShareSource = z
  .object({ jid: z.string(), resource: z.string(), online: z.boolean() })
  .meta({ id: 'ShareSource' });

export const FriendShare = z
  .object({
    hash: z.string(),
    name: z.string(),
    size: z.number().int().nonnegative(),
    sources: z.array(ShareSource),
  })
  .meta({ id: 'FriendShare' });
export type FriendShare = z.infer<typeof FriendShare>;

export const SearchQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(256)
    .describe('words that must all occur in the name (any case), or a hash prefix'),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const SharesQuery = z.object({
  q: z.string().trim().max(256).optional().describe('as for /v1/search'),
  jid: BareJid.optional().describe("only this contact's shares"),
});

export const ContactSharesSchema = z
  .object({
    jid: z.string(),
    receivedAt: z.number().int().describe('when the list arrived (ms since epoch)'),
    resources: z.array(ContactResource),
  })
  .meta({ id: 'ContactShares' });

export const StatusSchema = z
  .object({
    version: z.string().describe("bitween's version"),
    node: z.string(),
    nats: NatsStateSchema,
    xmpp: z.union([
      z.object({
        online: z.boolean(),
        jid: z.string(),
        contacts: z.number().int(),
        configured: z.boolean().optional().describe('false: no XMPP account yet (see /v1/account)'),
      }),
      z.object({ error: z.string() }),
    ]),
    engines: z.union([z.array(EngineSummary), z.object({ error: z.string() })]),
    torrents: z.object({ total: z.number().int() }),
    events: z.object({ firstId: z.number().int(), lastId: z.number().int() }).nullable(),
  })
  .meta({ id: 'Status' });

export const EventSchema = z
  .object({
    id: z.number().int().describe('the JetStream sequence number: +1 per event, kept across restarts'),
    type: z
      .string()
      .describe('torrent.progress, torrent.added, torrent.removed, xmpp.contact-shares, xmpp.contact, …'),
    time: z.string(),
    hash: z.string().optional(),
    data: z.unknown(),
  })
  .meta({ id: 'Event' });

export const EventsQuery = z.object({
  since: z.coerce
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('the last id seen; long poll default 0 (all kept), SSE default: new events only'),
  timeout: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .default(60)
    .describe('long poll: seconds to wait for an event'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('long poll: at most this many events'),
});

export const EventsPage = z
  .object({
    firstId: z.number().int().describe('the oldest id still kept'),
    lastId: z.number().int().describe('the newest id'),
    missed: z
      .number()
      .int()
      .describe('events after `since` dropped by the retention limits before they were read'),
    reset: z
      .boolean()
      .describe('`since` was beyond the newest id: the stream was recreated, ids started again'),
    events: z.array(EventSchema),
  })
  .meta({ id: 'EventsPage' });
