/** How long `recently-active` keeps reporting a removed torrent in `removed`. */
const RECENT_MS = 60_000;

/** Torrents removed in the last minute (by anyone, learnt from `torrent.removed` events and our own calls). */
export class RecentlyRemoved {
  readonly #items: { id: number; at: number }[] = [];

  add(id: number, now = Date.now()): void {
    this.#items.push({ id, at: now });
  }

  ids(now = Date.now()): number[] {
    while (this.#items.length > 0 && now - this.#items[0]!.at > RECENT_MS) this.#items.shift();
    return [...new Set(this.#items.map((i) => i.id))];
  }
}
