import { isDeepStrictEqual } from 'node:util';
import { TrError } from './protocol.js';

/**
 * Never a silent success: an argument bitween does not act on is refused ("Invalid argument",
 * Transmission's answer to an argument it cannot honour) unless its value is what bitween has
 * anyway (a frontend that saves its whole preferences dialog sends `dht-enabled: false`, which
 * changes nothing and claims nothing). Names Transmission does not know are ignored, as
 * Transmission ignores them.
 */

/** `session-set` arguments Transmission has that bitween does not change, with the reason. */
export const SESSION_FIXED: Readonly<Record<string, string>> = {
  'blocklist-enabled': 'friends-only: no blocklist (only contacts are peers)',
  'blocklist-url': 'friends-only: no blocklist',
  'cache-size-mb': 'the engine manages its own cache',
  'default-trackers': 'friends-only: no trackers',
  'dht-enabled': 'friends-only: no DHT (peers come from XMPP contacts)',
  'download-dir': 'each engine has its own download dir (BITWEEN_DOWNLOAD_DIR)',
  encryption: 'set with BITWEEN_PEER_ENCRYPTION',
  'incomplete-dir': 'no incomplete dir',
  'incomplete-dir-enabled': 'no incomplete dir',
  'lpd-enabled': 'friends-only: no local peer discovery',
  'peer-limit-global': 'not configurable',
  'peer-limit-per-torrent': 'not configurable',
  'peer-port': 'set with BITWEEN_TORRENT_PORT',
  'peer-port-random-on-start': 'set with BITWEEN_TORRENT_PORT',
  'pex-enabled': 'friends-only: no peer exchange',
  'port-forwarding-enabled': 'set with BITWEEN_PORT_MAPPING',
  'queue-stalled-enabled': 'no stalled queue',
  'queue-stalled-minutes': 'no stalled queue',
  'rename-partial-files': 'partial files keep their names',
  'script-torrent-added-enabled': 'no scripts',
  'script-torrent-added-filename': 'no scripts',
  'script-torrent-done-enabled': 'no scripts',
  'script-torrent-done-filename': 'no scripts',
  'script-torrent-done-seeding-enabled': 'no scripts',
  'script-torrent-done-seeding-filename': 'no scripts',
  'seed-queue-enabled': 'no seeding queue',
  'seed-queue-size': 'no seeding queue',
  'start-added-torrents': 'added torrents start (torrent-add `paused` stops one)',
  'trash-original-torrent-files': 'torrent files are never deleted',
  'utp-enabled': 'TCP only',
};

/** `torrent-set` arguments bitween does not change; compared with the torrent's `torrent-get` field. */
export const TORRENT_FIXED: Readonly<
  Record<string, { why: string; field?: string; neutral?: (v: unknown) => boolean }>
> = {
  bandwidthPriority: { why: 'no bandwidth priorities', field: 'bandwidthPriority' },
  group: { why: 'no bandwidth groups', field: 'group' },
  honorsSessionLimits: { why: 'every torrent honours the global limits', field: 'honorsSessionLimits' },
  location: { why: 'use torrent-set-location', field: 'downloadDir' },
  'peer-limit': { why: 'not configurable', field: 'peer-limit' },
  queuePosition: {
    why: 'an absolute queue position cannot be set: use queue-move-top/up/down/bottom',
    field: 'queuePosition',
  },
  trackerAdd: { why: 'friends-only torrents have no trackers to edit', neutral: isEmptyList },
  trackerRemove: { why: 'friends-only torrents have no trackers to edit', neutral: isEmptyList },
  trackerReplace: { why: 'friends-only torrents have no trackers to edit', neutral: isEmptyList },
  trackerList: { why: 'friends-only torrents have no trackers to edit', field: 'trackerList' },
};

/** `torrent-add` arguments bitween does not act on, with their neutral value. */
export const ADD_FIXED: Readonly<Record<string, { why: string; neutral: (v: unknown) => boolean }>> = {
  bandwidthPriority: { why: 'no bandwidth priorities', neutral: (v) => v === 0 },
  cookies: { why: 'URLs are fetched without cookies', neutral: (v) => v === '' },
  'peer-limit': { why: 'not configurable', neutral: () => false },
};

function isEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length === 0;
}

export function invalidArgument(name: string, why: string): TrError {
  return new TrError(`Invalid argument: ${name} (${why})`);
}

/** The arguments of `args` that `table` names and whose value is not what bitween has. */
export function refuseChanges(
  args: Record<string, unknown>,
  table: Readonly<Record<string, string>>,
  current: Record<string, unknown>,
): void {
  for (const [name, why] of Object.entries(table)) {
    if (!Object.hasOwn(args, name)) continue;
    if (!isDeepStrictEqual(args[name], current[name])) throw invalidArgument(name, why);
  }
}

/** `torrent-set`: `current(field)` is the torrent's `torrent-get` value of a field. */
export function refuseTorrentChanges(
  args: Record<string, unknown>,
  current: (field: string) => unknown,
  table = TORRENT_FIXED,
): void {
  for (const [name, rule] of Object.entries(table)) {
    if (!Object.hasOwn(args, name)) continue;
    const value = args[name];
    const same = rule.neutral
      ? rule.neutral(value)
      : rule.field !== undefined && looselyEqual(value, current(rule.field));
    if (!same) throw invalidArgument(name, rule.why);
  }
}

export function refuseAddOptions(args: Record<string, unknown>, table = ADD_FIXED): void {
  for (const [name, rule] of Object.entries(table)) {
    if (Object.hasOwn(args, name) && !rule.neutral(args[name])) throw invalidArgument(name, rule.why);
  }
}

/** Numbers as frontends send them (2 vs 2.0, true vs 1 for modes are not mixed by clients). */
function looselyEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-9;
  return isDeepStrictEqual(a, b);
}
