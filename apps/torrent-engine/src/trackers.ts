import type { TrackerStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import TrackerClient from 'bittorrent-tracker';

export interface TrackerContext {
  infoHash: string;
  /** Our peer id (hex), as the BitTorrent client uses it. */
  peerId: string;
  port: number;
  /** Numbers for the announce; `left` in bytes. */
  stats: () => { uploaded: number; downloaded: number; left: number };
  /** A peer the tracker gave us ("ip:port"). */
  onPeer: (address: string) => void;
  log: Logger;
}

interface Announced {
  readonly url: string;
  client: TrackerClient | null;
  state: TrackerStatus['state'];
  message: string | null;
  lastAnnounceAt: number | null;
}

/**
 * The optional HTTP/UDP trackers of one torrent (friend shares have none). The BitTorrent
 * client runs with trackers off; this announces with bittorrent-tracker, one client per URL
 * so that every answer and every failure is attributed to its tracker, and reports each
 * tracker's state: idle (not announcing: paused or stopped), announcing (waiting for the
 * first answer), working (the last announce was answered), error (the last one failed).
 */
export class TorrentTrackers {
  readonly #trackers: Announced[];

  constructor(
    urls: readonly string[],
    private readonly ctx: TrackerContext,
  ) {
    this.#trackers = [...new Set(urls)].map((url) => ({
      url,
      client: null,
      state: 'idle',
      message: null,
      lastAnnounceAt: null,
    }));
  }

  get urls(): string[] {
    return this.#trackers.map((t) => t.url);
  }

  /** Announce `started` and keep announcing at the interval each tracker asks for. */
  start(): void {
    for (const t of this.#trackers) {
      if (t.client) continue;
      const client = this.#client(t);
      if (!client) continue;
      t.client = client;
      t.state = 'announcing';
      client.start(this.ctx.stats());
    }
  }

  /** The wanted data is complete: tell the trackers we now seed. */
  complete(): void {
    for (const t of this.#trackers) t.client?.complete(this.ctx.stats());
  }

  /** Announce `stopped` and go idle (pause, remove, shutdown). */
  stop(): void {
    for (const t of this.#trackers) {
      const client = t.client;
      if (!client) continue;
      t.client = null;
      t.state = 'idle';
      try {
        client.stop(this.ctx.stats());
      } catch {
        // the tracker may be unreachable: we are leaving anyway
      }
      // Give the `stopped` announce a moment to leave, then close sockets and timers.
      setTimeout(() => client.destroy(), 1000).unref();
    }
  }

  status(): TrackerStatus[] {
    return this.#trackers.map((t) => ({
      url: t.url,
      state: t.state,
      message: t.message,
      lastAnnounceAt: t.lastAnnounceAt,
    }));
  }

  #client(t: Announced): TrackerClient | null {
    let client: TrackerClient;
    try {
      client = new TrackerClient({
        infoHash: this.ctx.infoHash,
        peerId: this.ctx.peerId,
        announce: [t.url],
        port: this.ctx.port,
      });
    } catch (err) {
      t.state = 'error';
      t.message = (err as Error).message;
      return null;
    }
    client.on('update', () => {
      if (t.client !== client) return;
      t.state = 'working';
      t.message = null;
      t.lastAnnounceAt = Date.now();
    });
    const failed = (err: Error) => {
      if (t.client !== client) return;
      t.state = 'error';
      t.message = err.message;
      this.ctx.log.debug({ hash: this.ctx.infoHash, tracker: t.url, err: err.message }, 'tracker failed');
    };
    client.on('warning', failed);
    client.on('error', failed);
    client.on('peer', (address: string) => {
      if (t.client === client) this.ctx.onPeer(address);
    });
    return client;
  }
}
