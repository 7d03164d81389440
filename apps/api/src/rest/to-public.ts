import type {
  Contact as BusContact,
  ContactResource as BusContactResource,
  EngineSettings as BusEngineSettings,
  EngineState,
  PeerInfo,
  PendingSubscription as BusPendingSubscription,
  TorrentStatus,
} from '@bitween/messages';
import type {
  Contact,
  ContactResource,
  EngineSettings,
  EngineSummary,
  Peer,
  PendingSubscription,
  Torrent,
} from './resources.js';

/**
 * The one place where bus types (libs/messages contracts) become public REST resources
 * (resources.ts). Every member is named: a member added to a contract stays internal until it is
 * added here (and to resources.ts, which shows in openapi.json); a member renamed or removed in a
 * contract is a compile error here instead of a silent change of the public API.
 */

export function publicTorrent(t: TorrentStatus): Torrent {
  return {
    hash: t.hash,
    engineId: t.engineId,
    name: t.name,
    size: t.size,
    savePath: t.savePath,
    state: t.state,
    progress: t.progress,
    done: t.done,
    downloaded: t.downloaded,
    uploaded: t.uploaded,
    downloadSpeed: t.downloadSpeed,
    uploadSpeed: t.uploadSpeed,
    peers: t.peers,
    files: t.files.map(({ path, size, wanted, priority, downloaded }) => ({
      path,
      size,
      wanted,
      priority,
      downloaded,
    })),
    ...(t.fileCount !== undefined ? { fileCount: t.fileCount } : {}),
    error: t.error,
    addedAt: t.addedAt,
    eta: t.eta,
    downloadLimit: t.downloadLimit,
    uploadLimit: t.uploadLimit,
    trackers: t.trackers.map(({ url, state, message, lastAnnounceAt }) => ({
      url,
      state,
      message,
      lastAnnounceAt,
    })),
    sequential: t.sequential,
    pieceCount: t.pieceCount,
    pieceLength: t.pieceLength,
    downloadedEver: t.downloadedEver,
    uploadedEver: t.uploadedEver,
    secondsDownloading: t.secondsDownloading,
    secondsSeeding: t.secondsSeeding,
    completedAt: t.completedAt,
    activityAt: t.activityAt,
    labels: t.labels,
    friends: t.friends,
    seedLimits: t.seedLimits && {
      ratioMode: t.seedLimits.ratioMode,
      ratio: t.seedLimits.ratio,
      idleMode: t.seedLimits.idleMode,
      idleMinutes: t.seedLimits.idleMinutes,
    },
    finished: t.finished,
    ...(t.sha256 ? { sha256: t.sha256 } : {}),
    // Left out: queueOrder (the engine's internal queue sort key; Transmission's queuePosition is
    // derived from it in transmission/).
  };
}

/** `{"torrents": [...], "total": n}` of `GET /v1/torrents` as UTF-8 JSON (sent as is, not re-checked). */
export function publicTorrentListJson(list: readonly TorrentStatus[]): Buffer {
  return Buffer.from(JSON.stringify({ torrents: list.map(publicTorrent), total: list.length }));
}

export function publicPeer(p: PeerInfo): Peer {
  return {
    address: p.address,
    port: p.port,
    client: p.client,
    downloadSpeed: p.downloadSpeed,
    uploadSpeed: p.uploadSpeed,
    progress: p.progress,
    amChoking: p.amChoking,
    amInterested: p.amInterested,
    peerChoking: p.peerChoking,
    peerInterested: p.peerInterested,
    incoming: p.incoming,
    encrypted: p.encrypted,
    transport: p.transport,
  };
}

export function publicContact(c: BusContact & { shares: number }): Contact {
  return {
    jid: c.jid,
    name: c.name,
    subscription: c.subscription,
    online: c.online,
    resources: c.resources,
    ...(c.groups ? { groups: c.groups } : {}),
    shares: c.shares,
  };
}

export function publicContactResource(r: BusContactResource): ContactResource {
  return {
    resource: r.resource,
    online: r.online,
    endpoints: r.endpoints.map(({ address, port }) => ({ address, port })),
    shares: r.shares.map(({ hash, name, size }) => ({ hash, name, size })),
  };
}

export function publicPendingSubscription(p: BusPendingSubscription): PendingSubscription {
  return { jid: p.jid, receivedAt: p.receivedAt };
}

export function publicEngineSettings(s: BusEngineSettings): EngineSettings {
  return {
    downloadLimit: s.downloadLimit,
    uploadLimit: s.uploadLimit,
    maxActiveDownloads: s.maxActiveDownloads,
    seedRatioLimit: s.seedRatioLimit,
    seedIdleMinutes: s.seedIdleMinutes,
    altSpeed: s.altSpeed && {
      enabled: s.altSpeed.enabled,
      downloadLimit: s.altSpeed.downloadLimit,
      uploadLimit: s.altSpeed.uploadLimit,
      schedule: s.altSpeed.schedule && {
        enabled: s.altSpeed.schedule.enabled,
        begin: s.altSpeed.schedule.begin,
        end: s.altSpeed.schedule.end,
        days: s.altSpeed.schedule.days,
      },
    },
  };
}

/** One engine of `GET /v1/status`, from its registry entry (the reports are null from older engines). */
export function publicEngineSummary(state: EngineState): EngineSummary {
  return {
    engineId: state.engineId,
    version: state.version,
    endpoints: state.endpoints.map(({ address, port }) => ({ address, port })),
    torrents: state.torrents.length,
    reachability: state.reachability ?? null,
    portMapping: state.portMapping ?? null,
    pinhole: state.pinhole ?? null,
    pinholes: state.pinholes ?? (state.pinhole ? [state.pinhole] : []),
    connections: state.connections ?? null,
    admission: state.admission ?? null,
  };
}
