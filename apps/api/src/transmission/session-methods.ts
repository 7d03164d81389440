import { isIPv4 } from 'node:net';
import type { RegisteredEngine } from '@bitween/bus';
import type { EngineSettings } from '@bitween/messages';
import { KILO } from './fields.js';
import { as, type TrDeps, type TrMethod } from './method-context.js';
import {
  FreeSpaceArgs,
  PortTestArgs,
  SessionGetArgs,
  SessionSetArgs,
  TrError,
  parseArgs,
  trErrorOf,
} from './protocol.js';
import { altSpeedOf, pickFields, sessionObject, sessionStats } from './session.js';
import { listing } from './selection.js';
import { limitOf } from './speed-limit.js';
import { SESSION_FIXED, refuseChanges } from './unsupported-args.js';

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
    downloadDir: engines[0]?.state.downloadDir ?? '',
    portForwarding: engines.some((e) => (e.state.portMapping?.state ?? 'off') !== 'off'),
  });
}

export const sessionGet: TrMethod = async (raw, deps) => {
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

export const sessionSet: TrMethod = async (raw, deps) => {
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
export const portTest: TrMethod = async (raw, deps) => {
  const args = parseArgs(PortTestArgs, raw);
  const engines: RegisteredEngine[] = await as('port-test', deps.torrents.engines());
  const family = (a: string) => (isIPv4(a) ? 'ipv4' : 'ipv6');
  const open = engines.some(({ state: { reachability: r } }) => {
    if (!r || (r.verdict !== 'direct' && r.verdict !== 'mapped')) return false;
    return args.ip_protocol === undefined || r.publicAddresses.some((a) => family(a) === args.ip_protocol);
  });
  return { 'port-is-open': open, ...(args.ip_protocol ? { ip_protocol: args.ip_protocol } : {}) };
};

/** `free-space`: asked of a live engine (engines of one daemon share their volumes). */
export const freeSpace: TrMethod = async (raw, deps) => {
  const args = parseArgs(FreeSpaceArgs, raw);
  const r = await deps.torrents.freeSpace(args.path);
  return { path: args.path, 'size-bytes': r.free, total_size: r.total };
};

const startedAt = Date.now();
export const sessionStatsMethod: TrMethod = async (_raw, deps) =>
  sessionStats((await listing(deps)).torrents, Math.floor((Date.now() - startedAt) / 1000));
