import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { ApiClient } from './client.js';
import { percent, rate } from './format.js';
import { shortName } from './names.js';
import type { Event, Torrent } from './types.js';

interface Progress {
  hash: string;
  name: string | null;
  state: string;
  progress: number;
  downloadSpeed: number;
  uploadSpeed: number;
  peers: number;
}

/**
 * Follow `/v1/events` (SSE) and hand every event to `onEvent`, reconnecting with the last id
 * seen (`Last-Event-ID`) when the connection drops, until `signal` aborts.
 */
export async function followEvents(
  api: ApiClient,
  signal: AbortSignal,
  onEvent: (e: Event) => void,
  onPosition: (p: { firstId: number; lastId: number; missed: number }) => void = () => undefined,
): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    try {
      const res = await api.stream(
        '/v1/events',
        { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal,
      );
      const reader = res
        .body!.pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream())
        .getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.event === 'position')
          onPosition(JSON.parse(value.data) as { firstId: number; lastId: number; missed: number });
        else {
          if (value.id) lastId = value.id;
          onEvent(JSON.parse(value.data) as Event);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if ((err as { status?: number }).status !== undefined) throw err; // the api refused: no point retrying
    }
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Live progress bars, one per torrent, from `torrent.*` events. */
export class ProgressBoard {
  readonly #bars = new Map<string, SingleBar>();
  readonly #multi = new MultiBar(
    {
      format: '{bar} {percent} {name} {state} ↓{down} ↑{up} {peers} peers',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
      autopadding: true,
    },
    Presets.shades_classic,
  );

  update(p: Progress): void {
    const payload = {
      percent: percent(p.progress).padStart(6),
      name: shortName(p.name, 40, p.hash.slice(0, 12)),
      state: p.state,
      down: rate(p.downloadSpeed),
      up: rate(p.uploadSpeed),
      peers: p.peers,
    };
    const value = Math.round(p.progress * 1000);
    const bar = this.#bars.get(p.hash);
    if (bar) bar.update(value, payload);
    else this.#bars.set(p.hash, this.#multi.create(1000, value, payload));
  }

  remove(hash: string): void {
    const bar = this.#bars.get(hash);
    if (bar) this.#multi.remove(bar);
    this.#bars.delete(hash);
  }

  event(e: Event): void {
    if (e.type === 'torrent.progress') this.update(e.data as Progress);
    else if (e.type === 'torrent.added') this.update((e.data as { torrent: Torrent }).torrent);
    else if (e.type === 'torrent.removed' && e.hash) this.remove(e.hash);
  }

  stop(): void {
    this.#multi.stop();
  }
}
