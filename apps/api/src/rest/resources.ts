import { z } from 'zod';

/**
 * The public REST resources: what `/v1` answers, as the committed `apps/api/openapi.json` describes
 * it. Defined here on their own, not derived from the bus contracts in `libs/messages`, so a change
 * to a contract does not change the public API; `to-public.ts` maps the bus types onto these, and
 * a contract change that no longer fits is a compile error there (or a diff of `openapi.json` in
 * review). Field names are the JSON names clients use: keep them.
 */

const EpochMs = z.number().int();
/** Bytes per second; null = unlimited. */
export const RateLimit = z.number().int().positive().nullable().describe('bytes/s; null = unlimited');

export const TorrentState = z
  .enum(['metadata', 'checking', 'queued', 'paused', 'downloading', 'seeding', 'error'])
  .describe(
    'metadata: waiting for the info dict from peers; checking: verifying data on disk; queued: ' +
      'waiting for a download slot (maxActiveDownloads); paused: stopped by the user; ' +
      'downloading; seeding; error: see `error`',
  )
  .meta({ id: 'TorrentState' });

export const FilePriority = z
  .enum(['high', 'normal', 'low'])
  .describe("download priority: high files' pieces are fetched first, low ones last")
  .meta({ id: 'FilePriority' });

export const TorrentFile = z
  .object({
    path: z
      .string()
      .describe(
        "path inside the torrent, '/'-separated, starting with the torrent's name when it has several files",
      ),
    size: z.number().int().nonnegative(),
    wanted: z.boolean().describe('selected for download; unwanted files are not fetched'),
    priority: FilePriority,
    downloaded: z.number().int().nonnegative().describe('verified bytes of this file'),
  })
  .meta({ id: 'TorrentFile' });

export const Tracker = z
  .object({
    url: z.string(),
    state: z.enum(['idle', 'announcing', 'working', 'error']),
    message: z.string().nullable().describe("the tracker's last error (state error) or warning"),
    lastAnnounceAt: EpochMs.nullable().describe('ms since epoch of the last successful announce'),
  })
  .meta({ id: 'Tracker' });

export const Peer = z
  .object({
    address: z.string().describe("IP address (or the transport's remote address)"),
    port: z.number().int().nonnegative(),
    client: z.string().describe('from the peer id (e.g. "WebTorrent 3.0.2"); empty when unknown'),
    downloadSpeed: z.number().nonnegative().describe('payload bytes/s received from this peer'),
    uploadSpeed: z.number().nonnegative().describe('payload bytes/s sent to this peer'),
    progress: z.number().min(0).max(1).describe('0..1: the share of pieces the peer has'),
    amChoking: z.boolean(),
    amInterested: z.boolean(),
    peerChoking: z.boolean(),
    peerInterested: z.boolean(),
    incoming: z.boolean().describe('the peer dialled us'),
    encrypted: z.boolean(),
    transport: z.enum(['tcp', 'webrtc', 'other']),
  })
  .describe('one connected peer of a torrent')
  .meta({ id: 'Peer' });
export type Peer = z.infer<typeof Peer>;

const SeedMode = z.enum(['global', 'single', 'unlimited']);
/** The members of `SeedLimits` (for a request's partial copy, which is a schema of its own). */
export const SeedLimitsFields = z.object({
  ratioMode: SeedMode,
  ratio: z.number().nonnegative().max(1_000_000),
  idleMode: SeedMode,
  idleMinutes: z.number().int().positive().max(1_000_000),
});
export const SeedLimits = SeedLimitsFields.describe(
  'when a complete torrent stops seeding: mode global follows the settings, single these ' +
    'values, unlimited never; ratio: uploaded / downloaded (or size); idleMinutes: without sending anything',
).meta({ id: 'SeedLimits' });

export const Torrent = z
  .object({
    hash: z
      .string()
      .regex(/^[0-9a-f]{40}$/)
      .describe('the info-hash: 40 lowercase hex characters'),
    engineId: z.string().describe('the engine of this daemon that holds the torrent'),
    name: z.string().nullable().describe('null until the metadata is known'),
    size: z.number().int().nonnegative().nullable().describe('total bytes; null until the metadata is known'),
    savePath: z.string(),
    state: TorrentState,
    progress: z.number().min(0).max(1).describe('0..1 of the wanted bytes verified'),
    done: z.boolean(),
    downloaded: z.number().nonnegative(),
    uploaded: z.number().nonnegative(),
    downloadSpeed: z.number().nonnegative().describe('bytes/s'),
    uploadSpeed: z.number().nonnegative().describe('bytes/s'),
    peers: z.number().int().nonnegative(),
    files: z.array(TorrentFile),
    fileCount: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        "present when `files` holds only the first of the torrent's files (the answer to an add, pause… of a torrent of more than 1,000 files): how many it has; GET /v1/torrents/{hash} lists them all",
      ),
    error: z.string().nullable(),
    addedAt: EpochMs,
    eta: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe('seconds until done at the current rate; null when unknown, stalled or done'),
    downloadLimit: RateLimit,
    uploadLimit: RateLimit,
    trackers: z.array(Tracker),
    sequential: z
      .boolean()
      .optional()
      .describe('pieces are fetched in order; false: rarest first (absent from older engines)'),
    pieceCount: z.number().int().nonnegative().optional().describe('once the metadata is known'),
    pieceLength: z.number().int().nonnegative().optional().describe('once the metadata is known'),
    downloadedEver: z
      .number()
      .nonnegative()
      .optional()
      .describe('piece payload received over the whole life of the torrent'),
    uploadedEver: z
      .number()
      .nonnegative()
      .optional()
      .describe('piece payload sent over the whole life of the torrent'),
    secondsDownloading: z.number().int().nonnegative().optional(),
    secondsSeeding: z.number().int().nonnegative().optional(),
    completedAt: EpochMs.nullable()
      .optional()
      .describe('when every wanted piece was first verified; null while incomplete'),
    activityAt: EpochMs.nullable()
      .optional()
      .describe('the last piece data received or sent; null: none yet'),
    labels: z.array(z.string()).optional(),
    friends: z
      .array(z.string())
      .optional()
      .describe('the friends (bare JIDs) whose share it was downloaded from; empty for our own shares'),
    seedLimits: SeedLimits.optional(),
    finished: z.boolean().optional().describe('stopped because it reached its seeding limit'),
    sha256: z
      .string()
      .optional()
      .describe(
        'SHA-256 of the file (base64) of a single-file torrent shared from this host, hashed with its pieces when it was added; absent otherwise',
      ),
  })
  .describe('one own torrent (shared or downloading); optional members are absent from older engines')
  .meta({ id: 'Torrent' });
export type Torrent = z.infer<typeof Torrent>;

export const Contact = z
  .object({
    jid: z.string().describe('bare JID'),
    name: z.string().nullable().describe('roster name, if any'),
    subscription: z.enum(['none', 'to', 'from', 'both']),
    online: z.boolean().describe('at least one resource is available'),
    resources: z.array(z.string()).describe('the resources currently available'),
    groups: z
      .array(z.string())
      .optional()
      .describe('the roster groups you put this contact in (per-group visibility of shares)'),
    shares: z
      .number()
      .int()
      .nonnegative()
      .describe('distinct shares in the last list received from this contact'),
  })
  .meta({ id: 'Contact' });
export type Contact = z.infer<typeof Contact>;

export const PendingSubscription = z
  .object({ jid: z.string().describe('bare JID'), receivedAt: EpochMs })
  .describe('a subscription request held for the user to approve or deny')
  .meta({ id: 'PendingSubscription' });
export type PendingSubscription = z.infer<typeof PendingSubscription>;

const Endpoint = z.object({ address: z.string(), port: z.number().int() }).meta({ id: 'Endpoint' });

export const ContactResource = z
  .object({
    resource: z.string(),
    online: z
      .boolean()
      .describe('online (presence); an offline resource keeps its list, but its endpoints are not dialled'),
    endpoints: z.array(Endpoint),
    shares: z.array(z.object({ hash: z.string(), name: z.string(), size: z.number().int().nonnegative() })),
  })
  .describe('one running instance (XMPP resource) of a contact, as its last list described it')
  .meta({ id: 'ContactResource' });
export type ContactResource = z.infer<typeof ContactResource>;

/** The members of `EngineSettings` (for `PATCH /v1/settings`' partial copy). */
export const EngineSettingsFields = z.object({
  downloadLimit: RateLimit,
  uploadLimit: RateLimit,
  maxActiveDownloads: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe('downloads running at once on an engine; the rest wait in state queued; null = no limit'),
  seedRatioLimit: z
    .number()
    .nonnegative()
    .max(1_000_000)
    .nullable()
    .optional()
    .describe('complete torrents (seedLimits mode global) stop seeding at this ratio; null/absent: never'),
  seedIdleMinutes: z
    .number()
    .int()
    .positive()
    .max(1_000_000)
    .nullable()
    .optional()
    .describe('…or after this many minutes without sending anything; null/absent: never'),
  altSpeed: z
    .object({
      enabled: z.boolean(),
      downloadLimit: RateLimit,
      uploadLimit: RateLimit,
      schedule: z
        .object({
          enabled: z.boolean(),
          begin: z.number().int().min(0).max(1439).describe('minutes after local midnight'),
          end: z.number().int().min(0).max(1439).describe('minutes after local midnight'),
          days: z.number().int().min(0).max(127).describe('bitmask: Sunday = 1 … Saturday = 64'),
        })
        .optional(),
    })
    .optional()
    .describe('alternative speed limits, used instead while enabled or scheduled; absent: off'),
});
export const EngineSettings = EngineSettingsFields.describe(
  'settings every engine applies (global limits apply per engine)',
).meta({ id: 'EngineSettings' });
export type EngineSettings = z.infer<typeof EngineSettings>;

export const FolderEntry = z
  .object({
    name: z.string(),
    type: z.enum(['dir', 'file']),
    size: z.number().int().nonnegative().nullable().describe('bytes, for files; null for folders'),
  })
  .meta({ id: 'FolderEntry' });

export const Reachability = z
  .object({
    verdict: z
      .enum(['direct', 'mapped', 'hole-punching', 'relay', 'unreachable', 'unknown'])
      .describe(
        'direct: a public IPv4 address, or a global IPv6 address with an open pinhole (PCP), friends can dial ' +
          '(a global IPv6 address without one is not enough: inbound unknown, likely firewalled); ' +
          'mapped: the router forwards the port; ' +
          'hole-punching: WebRTC with STUN; relay: only through TURN; unreachable: none of these; ' +
          'unknown: not worked out yet',
      ),
    publicAddresses: z.array(z.string()).describe('public addresses friends are told'),
    ipv6: z.array(z.string()).describe('global IPv6 addresses of the host'),
    stun: z.boolean().describe('a STUN server is known'),
    turn: z.boolean().describe('a TURN server is known'),
    since: EpochMs.describe('the last change'),
  })
  .meta({ id: 'Reachability' });

export const PortMapping = z
  .object({
    state: z.enum(['off', 'searching', 'mapped', 'unavailable']),
    protocol: z
      .enum(['upnp-igd', 'nat-pmp', 'pcp'])
      .nullable()
      .describe('the protocol that made the mapping (or the last tried); pcp: an IPv6 pinhole'),
    external: z
      .object({ address: z.string(), port: z.number().int() })
      .nullable()
      .describe("the router's address and the port it granted"),
    internalPort: z.number().int().nullable(),
    internalAddress: z
      .string()
      .optional()
      .describe(
        'an IPv6 pinhole: the global IPv6 address of the engine it opens (also before the router answered)',
      ),
    expiresAt: EpochMs.nullable().describe('when the lease ends unless renewed'),
    lastError: z.string().nullable(),
    since: EpochMs.describe('the last change of state'),
  })
  .meta({ id: 'PortMapping' });

export const ConnectionCounters = z
  .object({
    tcpDirect: z.number().int().nonnegative(),
    tcpMapped: z.number().int().nonnegative(),
    webrtcDirect: z.number().int().nonnegative(),
    webrtcRelayed: z.number().int().nonnegative(),
  })
  .describe('peer connections since the engine started, by transport')
  .meta({ id: 'ConnectionCounters' });

export const AdmissionCounters = z
  .object({
    admitted: z.number().int().nonnegative(),
    refused: z
      .record(z.string(), z.number().int().nonnegative())
      .describe(
        'by reason: no-proof, bad-proof, stranger, overload, hidden (a contact outside a share’s roster groups)',
      ),
  })
  .describe('peers admitted or refused by ticket since the engine started')
  .meta({ id: 'AdmissionCounters' });

export const EngineSummary = z
  .object({
    engineId: z.string(),
    version: z.string(),
    endpoints: z.array(Endpoint),
    torrents: z.number().int(),
    reachability: Reachability.nullable().describe(
      'can friends reach this engine ("Can my friends reach me?"); null from older engines',
    ),
    portMapping: PortMapping.nullable().describe(
      "the engine's port mapping on the home router (UPnP-IGD / NAT-PMP); null from older engines",
    ),
    pinhole: PortMapping.nullable().describe(
      "the engine's IPv6 pinhole in the home router's firewall for its first global IPv6 address (PCP; external: that address); " +
        'null without a global IPv6 address, with port mapping off, or from older engines',
    ),
    pinholes: z
      .array(PortMapping)
      .describe(
        'every IPv6 pinhole of the engine: one per global IPv6 address it announces (pinhole is the first); ' +
          'empty without a global IPv6 address or with port mapping off; from older engines, pinhole alone',
      ),
    connections: ConnectionCounters.nullable().describe(
      'peer connections since the engine started, by transport; null from older engines',
    ),
    admission: AdmissionCounters.nullable().describe(
      'peers admitted or refused by ticket since the engine started; null from older engines',
    ),
  })
  .meta({ id: 'EngineSummary' });
export type EngineSummary = z.infer<typeof EngineSummary>;
