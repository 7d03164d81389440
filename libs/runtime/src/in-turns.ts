/** One turn of the event loop: timers, sockets and file callbacks that are due run before this resolves. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `fn` over `items` in order, giving the event loop a turn (`nextTurn`) after every `perTurn`
 * items. For start-up work over every torrent: what `fn` queues with `process.nextTick` (webtorrent
 * starts a torrent that way) runs before any socket is read, so 50,000 items in one go held NATS
 * replies back until their requests timed out. An `fn` that returns a promise is awaited.
 */
export async function inTurns<T>(
  items: readonly T[],
  perTurn: number,
  fn: (item: T, index: number) => void | Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % perTurn === 0) await nextTurn();
    const pending = fn(items[i] as T, i);
    if (pending) await pending;
  }
}
