import type { TorrentProgress, TorrentStatus } from '@bitween/messages';

/**
 * The torrents as the tracker sees them: their statuses, built only when needed. `quietKey`
 * (null while data moves or the torrent is not complete) covers every field of the event's
 * fingerprint for a torrent at rest: while it stays the same, the status is not built (an idle
 * seed costs a string comparison per tick instead of a TorrentStatus with its files; nothing
 * is allocated per torrent and tick).
 */
export interface ProgressView<T> {
  readonly items: Iterable<T>;
  hash(item: T): string;
  quietKey(item: T): string | null;
  status(item: T): TorrentStatus;
}

/** What was last reported of a torrent, and the tick it was last seen at. */
interface Reported {
  fingerprint: string | null;
  quietKey: string | null;
  seenAt: number;
}

const statusesView: ProgressView<TorrentStatus> = {
  items: [],
  hash: (s) => s.hash,
  quietKey: () => null,
  status: (s) => s,
};

/**
 * Decides which torrents get a progress event this tick: those that move data, and those
 * whose state, peers or progress changed since their last event. Pure, so it is testable;
 * the caller runs it on an interval (core NATS, at most one event per torrent per tick).
 */
export class ProgressTracker {
  readonly #reported = new Map<string, Reported>();
  #tick = 0;

  due(statuses: TorrentStatus[]): TorrentProgress[] {
    return this.dueFrom({ ...statusesView, items: statuses });
  }

  dueFrom<T>(view: ProgressView<T>): TorrentProgress[] {
    const out: TorrentProgress[] = [];
    const tick = ++this.#tick;
    for (const item of view.items) {
      const hash = view.hash(item);
      let r = this.#reported.get(hash);
      if (!r) this.#reported.set(hash, (r = { fingerprint: null, quietKey: null, seenAt: tick }));
      r.seenAt = tick;
      const quietKey = view.quietKey(item);
      if (quietKey !== null && r.quietKey === quietKey) continue;
      r.quietKey = quietKey;
      const s = view.status(item);
      const moving = s.downloadSpeed > 0 || s.uploadSpeed > 0;
      // `moving` is part of it: when data stops, one more event says so (rates 0), else a
      // listener would keep showing the last non-zero rate.
      const fingerprint = `${s.state}|${s.done}|${s.peers}|${s.progress.toFixed(4)}|${s.uploaded}|${moving}`;
      if (!moving && r.fingerprint === fingerprint) continue;
      r.fingerprint = fingerprint;
      out.push({
        hash: s.hash,
        engineId: s.engineId,
        name: s.name,
        size: s.size,
        state: s.state,
        progress: s.progress,
        done: s.done,
        downloaded: s.downloaded,
        uploaded: s.uploaded,
        downloadSpeed: s.downloadSpeed,
        uploadSpeed: s.uploadSpeed,
        peers: s.peers,
        eta: s.eta,
        ...bookkeeping(s),
      });
    }
    // forEach: no [key, value] pair allocated per torrent (deleting while iterating is fine).
    this.#reported.forEach((r, hash) => r.seenAt !== tick && this.#reported.delete(hash));
    return out;
  }
}

/** The optional Transmission bookkeeping fields the status has. */
function bookkeeping(s: TorrentStatus): Partial<TorrentProgress> {
  const out: Partial<TorrentProgress> = {};
  if (s.finished !== undefined) out.finished = s.finished;
  if (s.downloadedEver !== undefined) out.downloadedEver = s.downloadedEver;
  if (s.uploadedEver !== undefined) out.uploadedEver = s.uploadedEver;
  if (s.secondsDownloading !== undefined) out.secondsDownloading = s.secondsDownloading;
  if (s.secondsSeeding !== undefined) out.secondsSeeding = s.secondsSeeding;
  if (s.completedAt !== undefined) out.completedAt = s.completedAt;
  if (s.activityAt !== undefined) out.activityAt = s.activityAt;
  return out;
}
