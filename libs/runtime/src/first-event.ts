/** Anything with `on`/`off` listeners: a Node EventEmitter or stream, a webtorrent Torrent. */
export interface Emitter {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Resolves with the name of the first event that any source emits (a source: an emitter and the
 * events to listen for on it), and removes every listener it added. An 'error' listed is one more
 * event that resolves it (it never rejects); one not listed is not listened for.
 *
 *   await firstEvent([res, 'drain', 'close'], [stream, 'close']);
 */
export function firstEvent(...sources: [Emitter, ...string[]][]): Promise<string> {
  return new Promise((resolve) => {
    const listeners = sources.flatMap(([emitter, ...events]) =>
      events.map((event) => ({ emitter, event, listener: () => done(event) })),
    );
    const done = (event: string) => {
      for (const l of listeners) l.emitter.off(l.event, l.listener);
      resolve(event);
    };
    for (const l of listeners) l.emitter.on(l.event, l.listener);
  });
}
