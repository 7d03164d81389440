import type { EngineSettings, TorrentStatus } from '@bitween/messages';
import { KILO } from './fields.js';

/** Transmission 4.0's RPC version; 14 is what Tremotesf needs at least. */
export const RPC_VERSION = 17;
export const RPC_VERSION_MINIMUM = 14;
/**
 * The Transmission release whose RPC bitween speaks (rpc-version 17, semver 5.3.0): `version` is
 * `4.0.0 (bitween X.Y.Z)`, the shape of Transmission's own `4.0.6 (38c164933e)`. Clients parse the
 * leading number: Sonarr and Radarr refuse a version below 2.40 and send labels from 4.0 on
 * (their regex picks the first number not in parentheses — "bitween 0.2.0" read as 0.2.0).
 */
export const TRANSMISSION_VERSION = '4.0.0';

export interface SessionContext {
  sessionId: string;
  version: string;
  settings: EngineSettings;
  /** The first live engine's BitTorrent port, 0 when none is live. */
  peerPort: number;
  /** The first live engine's download dir, '' when none is live (or it is an older engine). */
  downloadDir: string;
  /** Some live engine maps its port on the home router (BITWEEN_PORT_MAPPING is not off). */
  portForwarding: boolean;
}

/**
 * `session-get`: the settings bitween has (speed limits, download queue) and Transmission's
 * neutral values for the rest (bitween has no DHT, PEX, LPD or blocklist). `download-dir` is the
 * first live engine's download dir (each engine has its own; an absent `download-dir` in
 * `torrent-add` uses the adding engine's): the *arr apps add below `<download-dir>/<category>`.
 */
export function sessionObject(c: SessionContext): Record<string, unknown> {
  const { settings } = c;
  const alt = altSpeedOf(settings);
  return {
    'alt-speed-down': kilo(alt.downloadLimit),
    'alt-speed-enabled': alt.enabled,
    'alt-speed-time-begin': alt.schedule.begin,
    'alt-speed-time-day': alt.schedule.days,
    'alt-speed-time-enabled': alt.schedule.enabled,
    'alt-speed-time-end': alt.schedule.end,
    'alt-speed-up': kilo(alt.uploadLimit),
    'blocklist-enabled': false,
    'blocklist-size': 0,
    'blocklist-url': '',
    'cache-size-mb': 4,
    'config-dir': '',
    'default-trackers': '',
    'dht-enabled': false,
    'download-dir': c.downloadDir,
    'download-dir-free-space': 0,
    'download-queue-enabled': settings.maxActiveDownloads !== null,
    'download-queue-size': settings.maxActiveDownloads ?? 5,
    encryption: 'preferred',
    'idle-seeding-limit': settings.seedIdleMinutes ?? 30,
    'idle-seeding-limit-enabled': (settings.seedIdleMinutes ?? null) !== null,
    'incomplete-dir': '',
    'incomplete-dir-enabled': false,
    'lpd-enabled': false,
    'peer-limit-global': 200,
    'peer-limit-per-torrent': 50,
    'peer-port': c.peerPort,
    'peer-port-random-on-start': false,
    'pex-enabled': false,
    'port-forwarding-enabled': c.portForwarding,
    'queue-stalled-enabled': false,
    'queue-stalled-minutes': 30,
    'rename-partial-files': false,
    'rpc-version': RPC_VERSION,
    'rpc-version-minimum': RPC_VERSION_MINIMUM,
    'rpc-version-semver': '5.3.0',
    'script-torrent-added-enabled': false,
    'script-torrent-added-filename': '',
    'script-torrent-done-enabled': false,
    'script-torrent-done-filename': '',
    'script-torrent-done-seeding-enabled': false,
    'script-torrent-done-seeding-filename': '',
    'seed-queue-enabled': false,
    'seed-queue-size': 10,
    seedRatioLimit: settings.seedRatioLimit ?? 2,
    seedRatioLimited: (settings.seedRatioLimit ?? null) !== null,
    'session-id': c.sessionId,
    'speed-limit-down': settings.downloadLimit === null ? 0 : Math.round(settings.downloadLimit / KILO),
    'speed-limit-down-enabled': settings.downloadLimit !== null,
    'speed-limit-up': settings.uploadLimit === null ? 0 : Math.round(settings.uploadLimit / KILO),
    'speed-limit-up-enabled': settings.uploadLimit !== null,
    'start-added-torrents': true,
    'trash-original-torrent-files': false,
    units: {
      'memory-bytes': 1024,
      'memory-units': ['KiB', 'MiB', 'GiB', 'TiB'],
      'size-bytes': KILO,
      'size-units': ['kB', 'MB', 'GB', 'TB'],
      'speed-bytes': KILO,
      'speed-units': ['kB/s', 'MB/s', 'GB/s', 'TB/s'],
    },
    'utp-enabled': false,
    version: `${TRANSMISSION_VERSION} (bitween ${c.version})`,
  };
}

/** Transmission's defaults: 50 kB/s both ways, 09:00–17:00 every day, all off. */
export const DEFAULT_ALT_SPEED = {
  enabled: false,
  downloadLimit: 50 * KILO,
  uploadLimit: 50 * KILO,
  schedule: { enabled: false, begin: 540, end: 1020, days: 127 },
};

export function altSpeedOf(settings: EngineSettings) {
  const alt = settings.altSpeed;
  return {
    enabled: alt?.enabled ?? false,
    downloadLimit: alt ? alt.downloadLimit : DEFAULT_ALT_SPEED.downloadLimit,
    uploadLimit: alt ? alt.uploadLimit : DEFAULT_ALT_SPEED.uploadLimit,
    schedule: alt?.schedule ?? DEFAULT_ALT_SPEED.schedule,
  };
}

const kilo = (limit: number | null) => (limit === null ? 0 : Math.round(limit / KILO));

export function pickFields(
  all: Record<string, unknown>,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  if (!fields || fields.length === 0) return all;
  return Object.fromEntries(fields.filter((f) => Object.hasOwn(all, f)).map((f) => [f, all[f]]));
}

/**
 * `session-stats`. bitween keeps no transfer history of its own: the totals are the sums over
 * the torrents the engines hold now, and the same figures stand for both `current-stats` and
 * `cumulative-stats`.
 */
export function sessionStats(torrents: readonly TorrentStatus[], secondsActive: number) {
  let downloadSpeed = 0;
  let uploadSpeed = 0;
  let downloadedBytes = 0;
  let uploadedBytes = 0;
  let active = 0;
  let paused = 0;
  for (const t of torrents) {
    downloadSpeed += t.downloadSpeed;
    uploadSpeed += t.uploadSpeed;
    downloadedBytes += t.downloadedEver ?? t.downloaded;
    uploadedBytes += t.uploadedEver ?? t.uploaded;
    if (t.state === 'paused' || t.state === 'error') paused++;
    else if (t.downloadSpeed > 0 || t.uploadSpeed > 0) active++;
  }
  const stats = {
    downloadedBytes: Math.round(downloadedBytes),
    filesAdded: torrents.length,
    secondsActive,
    sessionCount: 1,
    uploadedBytes: Math.round(uploadedBytes),
  };
  return {
    activeTorrentCount: active,
    downloadSpeed: Math.round(downloadSpeed),
    pausedTorrentCount: paused,
    torrentCount: torrents.length,
    uploadSpeed: Math.round(uploadSpeed),
    'cumulative-stats': stats,
    'current-stats': stats,
  };
}
