import { fetchEventSource } from '@microsoft/fetch-event-source';
import type { BitweenEvent, StreamPosition } from './types.js';

export interface EventHandlers {
  /** The stream is open; `position` is where it starts (after a reconnect: missed/reset say whether to reload). */
  onPosition(position: StreamPosition): void;
  onEvent(event: BitweenEvent): void;
  /** `live` while connected, `reconnecting` between attempts. */
  onState(state: 'live' | 'reconnecting'): void;
  /** The key was refused: the stream stops. */
  onUnauthorized(): void;
}

class Unauthorized extends Error {}
class Retry extends Error {}

/**
 * Follow `/v1/events` (Server-Sent Events) with the API key in a header. EventSource cannot send
 * headers, so the stream is read with fetch; after a drop it reconnects with `Last-Event-ID`
 * and the api resumes after the last event received. Returns a function that stops it.
 */
export function followEvents(key: string, handlers: EventHandlers): () => void {
  const abort = new AbortController();
  let delay = 1000;
  void fetchEventSource('/v1/events', {
    signal: abort.signal,
    headers: { 'x-api-key': key, accept: 'text/event-stream' },
    openWhenHidden: true,
    // eslint-disable-next-line @typescript-eslint/require-await
    async onopen(res) {
      if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
        delay = 1000;
        handlers.onState('live');
        return;
      }
      if (res.status === 401) throw new Unauthorized();
      throw new Retry(`events: ${res.status}`);
    },
    onmessage(msg) {
      if (msg.data === '') return;
      try {
        if (msg.event === 'position') handlers.onPosition(JSON.parse(msg.data) as StreamPosition);
        else handlers.onEvent(JSON.parse(msg.data) as BitweenEvent);
      } catch {
        // a message that is not JSON: skip it
      }
    },
    onclose() {
      // The api closed the stream (restart): reconnect, resuming after the last id.
      throw new Retry('closed');
    },
    onerror(err) {
      if (err instanceof Unauthorized) {
        handlers.onUnauthorized();
        throw err; // stops retrying
      }
      handlers.onState('reconnecting');
      delay = Math.min(delay * 2, 30_000);
      return delay / 2 + Math.random() * (delay / 2);
    },
  }).catch(() => undefined);
  return () => abort.abort();
}
