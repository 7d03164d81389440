import { isIPv4 } from 'node:net';
import { posix } from 'node:path';
import type { EngineSettings, FilePriority, PeerInfo, TorrentStatus } from '@bitween/messages';
import type { RegisteredEngine } from '@bitween/bus';
import type { DialPolicy } from '@bitween/net-policy';
import type { Logger } from '@bitween/runtime';
import { CoreError } from '../core/errors.js';
import { normaliseHash } from '../core/hash.js';
import type { Core } from '../core/index.js';
import { MAX_METAINFO_BYTES, type AddOptions, type Added } from '../core/torrents.js';
import { FetchError, fetchUnderPolicy } from '../net/fetch-under-policy.js';
import { KILO, TORRENT_FIELDS, isActive, torrentObject } from './fields.js';
import { readLocalMetainfo } from './local-metainfo.js';
import {
  FreeSpaceArgs,
  PortTestArgs,
  SessionGetArgs,
  SessionSetArgs,
  SetLocationArgs,
  TorrentActionArgs,
  TorrentAddArgs,
  TorrentGetArgs,
  TorrentRemoveArgs,
  TorrentSetArgs,
  TrError,
  parseArgs,
  trErrorOf,
  type Ids,
} from './protocol.js';
import { altSpeedOf, pickFields, sessionObject, sessionStats } from './session.js';
import { SESSION_FIXED, refuseAddOptions, refuseChanges, refuseTorrentChanges } from './unsupported-args.js';

/** How long `recently-active` keeps reporting a removed torrent in `removed`. */
const RECENT_MS = 60_000;

/** What the methods reach bitween through: the core, and this front-end's own session state. */
export interface TrDeps {
  torrents: Core['torrents'];
  settings: Core['settings'];
  /** Transmission's numeric torrent ids. */
  ids: Core['torrentIds'];
  log: Logger;
  /** Timeout of fetching a .torrent from a URL. */
  addTimeoutMs: number;
  version: string;
  sessionId: string;
  removed: RecentlyRemoved;
  /** Where `torrent-add` may fetch a URL from (the dial policy with BITWEEN_FETCH_ALLOW). */
  fetchPolicy: DialPolicy;
}

export type TrMethod = (args: unknown, deps: TrDeps) => Promise<Record<string, unknown>>;

/** Torrents removed in the last minute (by anyone, learnt from `torrent.removed` events and our own calls). */
export class RecentlyRemoved {
  readonly #items: { id: number; at: number }[] = [];

  add(id: number, now = Date.now()): void {
    this.#items.push({ id, at: now });
  }

  ids(now = Date.now()): number[] {
    while (this.#items.length > 0 && now - this.#items[0]!.at > RECENT_MS) this.#items.shift();
    return [...new Set(this.#items.map((i) => i.id))];
  }
}

/** Run a core call; its error becomes a `TrError` saying `what` failed. */
async function as<T>(what: string, run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (err) {
    throw trErrorOf(err, what);
  }
}

interface Listing {
  torrents: TorrentStatus[];
  ids: Map<string, number>;
}

/** Every torrent (oldest first, so new ids ascend with the time of adding) and its id. */
async function listing(deps: TrDeps): Promise<Listing> {
  let snapshot;
  try {
    snapshot = await deps.torrents.snapshot();
  } catch (err) {
    // Without the method's name: the listing failed, whatever the method.
    throw trErrorOf(err);
  }
  // A sorted copy: the snapshot is shared with other readers.
  const torrents = [...snapshot.torrents].sort(
    (a, b) => a.addedAt - b.addedAt || a.hash.localeCompare(b.hash),
  );
  const ids = await deps.ids.idsOf(torrents.map((t) => t.hash));
  return { torrents, ids };
}

/** The torrents `ids` names; unknown ids and hashes are skipped, as Transmission does. */
export function select(ids: Ids, { torrents, ids: idOf }: Listing): TorrentStatus[] {
  if (ids === undefined) return torrents;
  if (ids === 'recently-active') return torrents.filter(isActive);
  const wanted = Array.isArray(ids) ? ids : [ids];
  const numbers = new Set(wanted.filter((i) => typeof i === 'number'));
  const hashes = new Set(wanted.filter((i) => typeof i === 'string').map((h) => normaliseHash(h)));
  return torrents.filter((t) => hashes.has(t.hash) || numbers.has(idOf.get(t.hash)!));
}

async function targets(deps: TrDeps, ids: Ids): Promise<TorrentStatus[]> {
  return select(ids, await listing(deps));
}

/** Run `action` on every torrent; the first failure is the method's error text (the rest still run). */
async function each(torrents: TorrentStatus[], action: (t: TorrentStatus) => Promise<void>): Promise<void> {
  const outcomes = await Promise.allSettled(torrents.map(action));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
}

const torrentGet: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentGetArgs, raw);
  const list = await listing(deps);
  const fields = args.fields && args.fields.length > 0 ? args.fields : TORRENT_FIELDS;
  const now = Math.floor(Date.now() / 1000);
  // Queue order: the time added unless moved (queue-move-*).
  const queue = [...list.torrents].sort(
    (a, b) => (a.queueOrder ?? a.addedAt) - (b.queueOrder ?? b.addedAt) || a.hash.localeCompare(b.hash),
  );
  const position = new Map(queue.map((t, i) => [t.hash, i]));
  const chosen = select(args.ids, list);
  // The bitfield and the peer list are asked of the engine only when wanted (not in the listing).
  const [pieces, peers] = await Promise.all([
    fields.includes('pieces')
      ? perEngine(deps, chosen, 'engine.pieces', (t) => deps.torrents.pieces(t))
      : new Map<string, string>(),
    fields.includes('peers')
      ? perEngine(deps, chosen, 'engine.peers', (t) => deps.torrents.peers(t))
      : new Map<string, PeerInfo[]>(),
  ]);
  const rows = chosen.map((t) =>
    torrentObject(t, fields, {
      id: list.ids.get(t.hash)!,
      now,
      position: position.get(t.hash)!,
      ...(pieces.has(t.hash) ? { pieces: pieces.get(t.hash)! } : {}),
      ...(peers.has(t.hash) ? { peers: peers.get(t.hash)! } : {}),
    }),
  );
  const out: Record<string, unknown> =
    args.format === 'table'
      ? { torrents: [fields, ...rows.map((r) => fields.filter((f) => f in r).map((f) => r[f]))] }
      : { torrents: rows };
  if (args.ids === 'recently-active') out['removed'] = deps.removed.ids();
  return out;
};

/**
 * One per-torrent engine command for each torrent with metadata (the pieces bitfield, the peer
 * list); a torrent whose engine does not answer gets nothing (the field's neutral value).
 */
async function perEngine<T>(
  deps: TrDeps,
  torrents: TorrentStatus[],
  what: string,
  ask: (t: TorrentStatus) => Promise<T>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  await Promise.all(
    torrents
      .filter((t) => (t.pieceCount ?? 0) > 0)
      .map(async (t) => {
        try {
          out.set(t.hash, await ask(t));
        } catch (err) {
          if (!(err instanceof CoreError)) throw err;
          deps.log.debug({ hash: t.hash, error: err.message }, `torrent-get: no answer to ${what}`);
        }
      }),
  );
  return out;
}

/** What `filename` names: a magnet link or bare info-hash, an http(s) URL, or a path. */
type Source =
  | { kind: 'hash'; hash: string; trackers: string[]; name?: string }
  | { kind: 'url'; url: URL }
  | { kind: 'path'; path: string };

export function sourceOf(filename: string): Source {
  const s = filename.trim();
  const hash = normaliseHash(s);
  if (/^[0-9a-f]{40}$/.test(hash)) {
    const query = /^magnet:\?/i.test(s) ? new URLSearchParams(s.slice(s.indexOf('?') + 1)) : null;
    const trackers = query
      ? query
          .getAll('tr')
          .filter((t) => /^(https?|udp):\/\/\S+$/.test(t))
          .slice(0, 32)
      : [];
    // The magnet's display name: what `torrent-added` calls the torrent until the metadata is in.
    const dn = query?.get('dn')?.trim().slice(0, 1024);
    return { kind: 'hash', hash, trackers, ...(dn ? { name: dn } : {}) };
  }
  if (/^magnet:/i.test(s))
    throw new TrError('unrecognized info: the magnet link carries no BitTorrent v1 info-hash');
  if (/^https?:\/\//i.test(s)) {
    try {
      return { kind: 'url', url: new URL(s) };
    } catch {
      throw new TrError(`invalid URL: ${s}`);
    }
  }
  if (!posix.isAbsolute(s) || s.includes('\0')) {
    throw new TrError(
      'filename must be a magnet link, an http(s) URL or an absolute path to a .torrent file',
    );
  }
  return { kind: 'path', path: s };
}

/** A .torrent from a URL, under the dial policy (see net/fetch-under-policy.ts). */
async function fetchMetainfo(url: URL, deps: TrDeps): Promise<Buffer> {
  try {
    return await fetchUnderPolicy(url, {
      policy: deps.fetchPolicy,
      timeoutMs: deps.addTimeoutMs,
      maxBytes: MAX_METAINFO_BYTES,
    });
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    deps.log.info({ url: url.href, kind: err.kind, reason: err.detail }, 'torrent-add: URL not fetched');
    throw new TrError(err.message);
  }
}

const torrentAdd: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentAddArgs, raw);
  refuseAddOptions(raw as Record<string, unknown>);
  const dir = args['download-dir'] || undefined;
  if (dir !== undefined && (!posix.isAbsolute(dir) || dir.includes('\0'))) {
    throw new TrError("download-dir must be an absolute path on the daemon's host");
  }
  const saveTo: AddOptions = { savePath: dir, sequentialDownload: args.sequential_download };

  let added: Added;
  let displayName: string | undefined;
  if (args.metainfo !== undefined) {
    const base64 = args.metainfo.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*=*$/.test(base64)) throw new TrError('invalid or corrupt torrent file: not base64');
    added = await addMetainfo(deps, Buffer.from(base64, 'base64'), saveTo);
  } else if (args.filename !== undefined) {
    const source = sourceOf(args.filename);
    if (source.kind === 'hash') {
      displayName = source.name;
      // Idempotent in the core: a hash any engine holds is answered as it is (torrent-duplicate).
      added = await deps.torrents.addHash(source.hash, { ...saveTo, trackers: source.trackers });
    } else {
      const bytes =
        source.kind === 'url'
          ? await fetchMetainfo(source.url, deps)
          : await readLocalMetainfo(source.path, {
              torrents: deps.torrents,
              log: deps.log,
              maxBytes: MAX_METAINFO_BYTES,
            });
      added = await addMetainfo(deps, bytes, saveTo, { quoteParseErrors: false });
    }
  } else {
    throw new TrError('no filename or metainfo specified');
  }

  const { torrent, created } = added;
  const id = (await deps.ids.idsOf([torrent.hash])).get(torrent.hash)!;
  const summary = { id, name: torrent.name ?? displayName ?? torrent.hash, hashString: torrent.hash };
  if (created) await applyAddOptions(deps, torrent, args);
  return created ? { 'torrent-added': summary } : { 'torrent-duplicate': summary };
};

/**
 * Add a .torrent (base64). `quoteParseErrors: false` for files read or fetched on the caller's
 * word: the engine's parse error may quote the bytes (`buffer[0] = 114`), so only its refusals of
 * unsafe file names (`refused: …`, about a valid torrent) are passed on.
 */
async function addMetainfo(
  deps: TrDeps,
  metainfo: Buffer,
  saveTo: AddOptions,
  { quoteParseErrors = true } = {},
): Promise<Added> {
  if (metainfo.length === 0) throw new TrError('invalid or corrupt torrent file');
  try {
    return await deps.torrents.addMetainfo(metainfo, saveTo);
  } catch (err) {
    if (err instanceof CoreError && (err.code === 'invalid_request' || err.code === 'too_large')) {
      const quote = quoteParseErrors || err.message.startsWith('refused') || err.code === 'too_large';
      throw new TrError(`invalid or corrupt torrent file${quote ? `: ${err.message}` : ''}`);
    }
    throw err;
  }
}

/** `paused` and file selection of a torrent just added; a failure is reported (the torrent stays added). */
async function applyAddOptions(
  deps: TrDeps,
  torrent: TorrentStatus,
  args: ReturnType<typeof TorrentAddArgs.parse>,
): Promise<void> {
  if (namesFiles(args)) {
    if (torrent.files.length === 0) {
      deps.log.info(
        { hash: torrent.hash },
        'torrent-add: file selection and priorities ignored: the metadata is not known yet',
      );
    } else {
      const files = fileSelection(torrent, args);
      if (files.length > 0) {
        await as('torrent added, but selecting files failed', deps.torrents.setFiles(torrent, files));
      }
    }
  }
  if (args.paused === true) {
    await as('torrent added, but pausing it failed', deps.torrents.pause(torrent));
  }
}

type FileArgs = Pick<
  ReturnType<typeof TorrentSetArgs.parse>,
  'files-wanted' | 'files-unwanted' | 'priority-high' | 'priority-normal' | 'priority-low'
>;

/**
 * `files-wanted` / `files-unwanted` and `priority-high` / `-normal` / `-low` as engine file
 * changes, one per file named. An empty `files-wanted` or priority list means every file (as
 * Transmission reads it).
 */
export function fileSelection(
  t: TorrentStatus,
  args: FileArgs,
): { index: number; wanted?: boolean; priority?: FilePriority }[] {
  const out = new Map<number, { index: number; wanted?: boolean; priority?: FilePriority }>();
  const every = (list: number[]) => (list.length === 0 ? t.files.map((_, i) => i) : list);
  const change = (i: number) => {
    if (i >= t.files.length)
      throw new TrError(`file index ${i} out of range (the torrent has ${t.files.length} files)`);
    const c = out.get(i) ?? { index: i };
    out.set(i, c);
    return c;
  };
  const wanted = args['files-wanted'];
  if (wanted !== undefined) for (const i of every(wanted)) change(i).wanted = true;
  for (const i of args['files-unwanted'] ?? []) change(i).wanted = false;
  // Transmission's order: high, then low, then normal (a file in two lists ends with the last).
  for (const priority of ['high', 'low', 'normal'] as const) {
    const list = args[`priority-${priority}`];
    if (list !== undefined) for (const i of every(list)) change(i).priority = priority;
  }
  return [...out.values()];
}

const FILE_ARGS = [
  'files-wanted',
  'files-unwanted',
  'priority-high',
  'priority-normal',
  'priority-low',
] as const;
const namesFiles = (args: FileArgs) => FILE_ARGS.some((k) => args[k] !== undefined);

/**
 * A limit in bytes/s from Transmission's pair (kB/s value, enabled flag): `undefined` = leave
 * as is. Transmission keeps a value while a limit is off; bitween stores only an active limit.
 */
export function limitOf(
  current: number | null,
  kb: number | undefined,
  limited: boolean | undefined,
): number | null | undefined {
  if (limited === false) return null;
  const value = kb ?? (current === null ? undefined : Math.round(current / KILO));
  if (limited === true) {
    if (value === undefined) throw new TrError('a speed limit needs a value in kB/s');
    if (value === 0) throw new TrError('a speed limit of 0 is not supported: stop the torrent instead');
    return value * KILO;
  }
  // Only a value: it changes the limit when one is active.
  if (kb === undefined || current === null) return undefined;
  if (kb === 0) throw new TrError('a speed limit of 0 is not supported: stop the torrent instead');
  return kb * KILO;
}

const SEED_MODES = ['global', 'single', 'unlimited'] as const;

const torrentSet: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentSetArgs, raw);
  const all = await listing(deps);
  const list = select(args.ids, all);
  // Every argument bitween cannot honour is refused before anything changes.
  const now = Math.floor(Date.now() / 1000);
  for (const t of list) {
    const ctx = { id: all.ids.get(t.hash)!, now, position: all.torrents.indexOf(t) };
    refuseTorrentChanges(raw as Record<string, unknown>, (f) => torrentObject(t, [f], ctx)[f]);
  }
  await each(list, async (t) => {
    if (namesFiles(args)) {
      const files = fileSelection(t, args);
      if (files.length > 0) await deps.torrents.setFiles(t, files);
    }
    if (args.sequential_download !== undefined) {
      await deps.torrents.setSequential(t, args.sequential_download);
    }
    const seedLimits = {
      ...(args.seedRatioLimit === undefined ? {} : { ratio: args.seedRatioLimit }),
      ...(args.seedRatioMode === undefined ? {} : { ratioMode: SEED_MODES[args.seedRatioMode] }),
      ...(args.seedIdleLimit === undefined ? {} : { idleMinutes: args.seedIdleLimit }),
      ...(args.seedIdleMode === undefined ? {} : { idleMode: SEED_MODES[args.seedIdleMode] }),
    };
    if (args.labels !== undefined || Object.keys(seedLimits).length > 0) {
      await deps.torrents.setOptions(t, {
        labels: args.labels,
        ...(Object.keys(seedLimits).length > 0 ? { seedLimits } : {}),
      });
    }
    const downloadLimit = limitOf(t.downloadLimit, args.downloadLimit, args.downloadLimited);
    const uploadLimit = limitOf(t.uploadLimit, args.uploadLimit, args.uploadLimited);
    if (downloadLimit !== undefined || uploadLimit !== undefined) {
      await deps.torrents.setLimits(t, { downloadLimit, uploadLimit });
    }
  });
  return {};
};

const pauseOrResume =
  (action: 'pause' | 'resume'): TrMethod =>
  async (raw, deps) => {
    const args = parseArgs(TorrentActionArgs, raw);
    await each(await targets(deps, args.ids), async (t) => {
      await (action === 'pause' ? deps.torrents.pause(t) : deps.torrents.resume(t));
    });
    return {};
  };

/**
 * Remove every torrent named, through the core (the same removal as REST and JSON-RPC); one
 * that is gone already (removed meanwhile: the listing is a moment old) is skipped, as
 * Transmission skips unknown ids.
 */
const torrentRemove: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentRemoveArgs, raw);
  const list = await listing(deps);
  const deleteData = args['delete-local-data'] ?? false;
  await each(select(args.ids, list), async (t) => {
    try {
      await deps.torrents.remove(t.hash, deleteData);
    } catch (err) {
      if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
    }
    deps.removed.add(list.ids.get(t.hash)!);
  });
  return {};
};

async function engineSettings(deps: TrDeps): Promise<EngineSettings> {
  try {
    return await deps.settings.engine();
  } catch (err) {
    throw trErrorOf(err);
  }
}

async function currentSession(deps: TrDeps, settings: EngineSettings): Promise<Record<string, unknown>> {
  const engines = await deps.torrents.engines().catch(() => []);
  return sessionObject({
    sessionId: deps.sessionId,
    version: deps.version,
    settings,
    peerPort: engines[0]?.state.endpoints[0]?.port ?? 0,
    portForwarding: engines.some((e) => (e.state.portMapping?.state ?? 'off') !== 'off'),
  });
}

const sessionGet: TrMethod = async (raw, deps) => {
  const args = parseArgs(SessionGetArgs, raw);
  return pickFields(await currentSession(deps, await engineSettings(deps)), args.fields);
};

/**
 * A global seeding limit from Transmission's pair (value, enabled): `undefined` = unchanged. As
 * for speed limits, bitween stores only a limit in force (off forgets the value).
 */
function seedLimitOf(current: number | null, value: number | undefined, enabled: boolean | undefined) {
  if (enabled === false) return null;
  if (enabled === true) return value ?? current ?? 2;
  return value !== undefined && current !== null ? value : undefined;
}

/** The alternative speed limits after `session-set` (undefined: no alt-speed argument). */
function altSpeedPatch(
  current: EngineSettings,
  args: ReturnType<typeof SessionSetArgs.parse>,
): EngineSettings['altSpeed'] {
  const touched = Object.keys(args).some((k) => k.startsWith('alt-speed-'));
  if (!touched) return undefined;
  const alt = altSpeedOf(current);
  const kb = (v: number | undefined, was: number | null) => {
    if (v === undefined) return was;
    if (v === 0)
      throw new TrError('an alternative speed limit of 0 is not supported: stop the torrents instead');
    return v * KILO;
  };
  return {
    enabled: args['alt-speed-enabled'] ?? alt.enabled,
    downloadLimit: kb(args['alt-speed-down'], alt.downloadLimit),
    uploadLimit: kb(args['alt-speed-up'], alt.uploadLimit),
    schedule: {
      enabled: args['alt-speed-time-enabled'] ?? alt.schedule.enabled,
      begin: args['alt-speed-time-begin'] ?? alt.schedule.begin,
      end: args['alt-speed-time-end'] ?? alt.schedule.end,
      days: args['alt-speed-time-day'] ?? alt.schedule.days,
    },
  };
}

const sessionSet: TrMethod = async (raw, deps) => {
  const args = parseArgs(SessionSetArgs, raw);
  const current = await engineSettings(deps);
  // What bitween does not change may only be "set" to the value it has.
  refuseChanges(raw as Record<string, unknown>, SESSION_FIXED, await currentSession(deps, current));
  const patch: Partial<EngineSettings> = {};
  const down = limitOf(current.downloadLimit, args['speed-limit-down'], args['speed-limit-down-enabled']);
  const up = limitOf(current.uploadLimit, args['speed-limit-up'], args['speed-limit-up-enabled']);
  if (down !== undefined) patch.downloadLimit = down;
  if (up !== undefined) patch.uploadLimit = up;
  const queue = args['download-queue-enabled'];
  if (queue === false) patch.maxActiveDownloads = null;
  else if (
    queue === true ||
    (args['download-queue-size'] !== undefined && current.maxActiveDownloads !== null)
  ) {
    const size = args['download-queue-size'] ?? current.maxActiveDownloads ?? 5;
    if (size === 0) throw new TrError('download-queue-size must be at least 1');
    patch.maxActiveDownloads = size;
  }
  const ratio = seedLimitOf(current.seedRatioLimit ?? null, args.seedRatioLimit, args.seedRatioLimited);
  if (ratio !== undefined) patch.seedRatioLimit = ratio;
  const idle = seedLimitOf(
    current.seedIdleMinutes ?? null,
    args['idle-seeding-limit'],
    args['idle-seeding-limit-enabled'],
  );
  if (idle !== undefined) patch.seedIdleMinutes = idle;
  const alt = altSpeedPatch(current, args);
  if (alt !== undefined) patch.altSpeed = alt;
  if (Object.keys(patch).length > 0) {
    try {
      await deps.settings.update(patch);
    } catch (err) {
      throw trErrorOf(err, 'session-set');
    }
  }
  return {};
};

/**
 * `port-test`: Transmission asks a web service whether its port is open from outside; bitween
 * answers from what its engines worked out (their reachability verdict): open when some live
 * engine is `direct` (a public address) or `mapped` (the router forwards its port). Without
 * `ip_protocol` any address family counts; with it, only engines that have a public address of
 * that family.
 */
const portTest: TrMethod = async (raw, deps) => {
  const args = parseArgs(PortTestArgs, raw);
  const engines: RegisteredEngine[] = await as('port-test', deps.torrents.engines());
  const family = (a: string) => (isIPv4(a) ? 'ipv4' : 'ipv6');
  const open = engines.some(({ state: { reachability: r } }) => {
    if (!r || (r.verdict !== 'direct' && r.verdict !== 'mapped')) return false;
    return args.ip_protocol === undefined || r.publicAddresses.some((a) => family(a) === args.ip_protocol);
  });
  return { 'port-is-open': open, ...(args.ip_protocol ? { ip_protocol: args.ip_protocol } : {}) };
};

/** `torrent-verify` / `torrent-reannounce`: the engine command on every selected torrent. */
const perTorrent =
  (run: (deps: TrDeps, t: TorrentStatus) => Promise<unknown>): TrMethod =>
  async (raw, deps) => {
    const args = parseArgs(TorrentActionArgs, raw);
    await each(await targets(deps, args.ids), async (t) => {
      await run(deps, t);
    });
    return {};
  };

/**
 * `torrent-set-location`: each selected torrent's data moves (`move`) to the folder, or only its
 * location changes; below the share roots only (the engine refuses any other folder).
 */
const setLocation: TrMethod = async (raw, deps) => {
  const args = parseArgs(SetLocationArgs, raw);
  await each(await targets(deps, args.ids), async (t) => {
    await deps.torrents.setLocation(t, args.location, args.move === true);
  });
  return {};
};

/** `free-space`: asked of a live engine (engines of one daemon share their volumes). */
const freeSpace: TrMethod = async (raw, deps) => {
  const args = parseArgs(FreeSpaceArgs, raw);
  const r = await deps.torrents.freeSpace(args.path);
  return { path: args.path, 'size-bytes': r.free, total_size: r.total };
};

/**
 * `queue-move-*`: each engine keeps its own download queue; the torrents move in listing order
 * (`top` and `down` move the last one first, so a block of torrents keeps its order).
 */
const queueMoves =
  (to: 'top' | 'up' | 'down' | 'bottom'): TrMethod =>
  async (raw, deps) => {
    const args = parseArgs(TorrentActionArgs, raw);
    const list = await targets(deps, args.ids);
    const ordered = to === 'top' || to === 'down' ? [...list].reverse() : list;
    for (const t of ordered) {
      await deps.torrents.queueMove(t, to);
    }
    return {};
  };

const startedAt = Date.now();
const sessionStatsMethod: TrMethod = async (_raw, deps) =>
  sessionStats((await listing(deps)).torrents, Math.floor((Date.now() - startedAt) / 1000));

/** A method bitween does not have: Transmission's answer to an unknown method, with the reason. */
const unsupported =
  (why: string): TrMethod =>
  () =>
    Promise.reject(new TrError(`method name not recognized (${why})`));

/** Every method bitween answers; any other name is "method name not recognized". */
export const trMethods: Record<string, TrMethod> = {
  'session-get': sessionGet,
  'session-set': sessionSet,
  'session-stats': sessionStatsMethod,
  'torrent-get': torrentGet,
  'torrent-add': torrentAdd,
  'torrent-start': pauseOrResume('resume'),
  'torrent-start-now': pauseOrResume('resume'),
  'torrent-stop': pauseOrResume('pause'),
  'torrent-remove': torrentRemove,
  'torrent-set': torrentSet,
  'torrent-verify': perTorrent((deps, t) => deps.torrents.verify(t)),
  'torrent-reannounce': perTorrent((deps, t) => deps.torrents.reannounce(t)),
  'torrent-set-location': setLocation,
  'torrent-rename-path': unsupported('torrent-rename-path is not supported by bitween'),
  'session-close': unsupported('session-close is not supported: stop bitween with its service manager'),
  'blocklist-update': unsupported('bitween has no blocklist'),
  'port-test': portTest,
  'free-space': freeSpace,
  'queue-move-top': queueMoves('top'),
  'queue-move-up': queueMoves('up'),
  'queue-move-down': queueMoves('down'),
  'queue-move-bottom': queueMoves('bottom'),
};
