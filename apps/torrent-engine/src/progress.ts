import type { TorrentProgress, TorrentStatus } from '@bitween/messages';

/**
 * A torrent as the tracker sees it: its status, built only when needed. `quietKey` (null while
 * data moves or the torrent is not complete) covers every field of the event's fingerprint for
 * a torrent at rest: while it stays the same, the status is not built (an idle seed costs a
 * string comparison per tick instead of a TorrentStatus with its files).
 */
export interface ProgressSource {
  hash: string;
  quietKey: string | null;
  status(): TorrentStatus;
}

/**
 * Decides which torrents get a progress event this tick: those that move data, and those
 * whose state, peers or progress changed since their last event. Pure, so it is testable;
 * the caller runs it on an interval (core NATS, at most one event per torrent per tick).
 */
export class ProgressTracker {
  readonly #last = new Map<string, string>();
  readonly #quiet = new Map<string, string>();

  due(statuses: TorrentStatus[]): TorrentProgress[] {
    return this.dueFrom(statuses.map((s) => ({ hash: s.hash, quietKey: null, status: () => s })));
  }

  dueFrom(sources: Iterable<ProgressSource>): TorrentProgress[] {
    const out: TorrentProgress[] = [];
    const seen = new Set<string>();
    for (const src of sources) {
      seen.add(src.hash);
      if (src.quietKey !== null && this.#quiet.get(src.hash) === src.quietKey) continue;
      if (src.quietKey === null) this.#quiet.delete(src.hash);
      else this.#quiet.set(src.hash, src.quietKey);
      const s = src.status();
      const moving = s.downloadSpeed > 0 || s.uploadSpeed > 0;
      // `moving` is part of it: when data stops, one more event says so (rates 0), else a
      // listener would keep showing the last non-zero rate.
      const fingerprint = `${s.state}|${s.done}|${s.peers}|${s.progress.toFixed(4)}|${s.uploaded}|${moving}`;
      if (!moving && this.#last.get(s.hash) === fingerprint) continue;
      this.#last.set(s.hash, fingerprint);
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
    for (const hash of this.#last.keys()) if (!seen.has(hash)) this.#last.delete(hash);
    for (const hash of this.#quiet.keys()) if (!seen.has(hash)) this.#quiet.delete(hash);
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
