/**
 * Fetches a torrent's metadata (ut_metadata, BEP 9) from friends' endpoints without downloading
 * anything: the torrent goes into the engine's own webtorrent client — so every dial passes the
 * client's `dialFilter` (the dial guard) and every wire the admission gate (ticket proofs both
 * ways), as a download's do — with nothing selected and a store that holds nothing, and is
 * destroyed in its 'metadata' event, before webtorrent verifies or requests a single piece.
 */
import { BusError } from '@bitween/messages';
import type WebTorrent from 'webtorrent';
import type { Torrent } from 'webtorrent';

type Callback<T = void> = (err: Error | null, value?: T) => void;

const refuse = (cb: Callback<never> | undefined) =>
  queueMicrotask(() => cb?.(new Error('metadata only: this torrent stores no data')));

/** A chunk store that holds nothing (abstract-chunk-store): no file, no memory, every read fails. */
export class NoDataStore {
  constructor(readonly chunkLength: number) {}

  put(_index: number, _buf: Uint8Array, cb?: Callback): void {
    refuse(cb);
  }

  get(_index: number, opts?: unknown, cb?: Callback<never>): void {
    refuse(typeof opts === 'function' ? (opts as Callback<never>) : cb);
  }

  close(cb?: Callback): void {
    queueMicrotask(() => cb?.(null));
  }

  destroy(cb?: Callback): void {
    queueMicrotask(() => cb?.(null));
  }
}

/** Each client's metadata-only torrents by hash (none of them is an engine entry). */
const probes = new WeakMap<WebTorrent, Map<string, Set<Torrent>>>();

/**
 * `hash` is about to be added as a torrent (webtorrent refuses a second torrent of one hash): a
 * metadata-only fetch of it leaves the client now, and its caller gets `conflict`. A map lookup:
 * every add and restore passes here, so it must not walk the client's torrents.
 */
export function dropMetadataProbe(client: WebTorrent, hash: string): void {
  const held = probes.get(client)?.get(hash);
  if (held) for (const t of [...held]) if (!t.destroyed) t.destroy();
}

function track(client: WebTorrent, hash: string, torrent: Torrent): () => void {
  let byHash = probes.get(client);
  if (!byHash) probes.set(client, (byHash = new Map<string, Set<Torrent>>()));
  let held = byHash.get(hash);
  if (!held) byHash.set(hash, (held = new Set<Torrent>()));
  held.add(torrent);
  return () => {
    held.delete(torrent);
    if (held.size === 0 && byHash.get(hash) === held) byHash.delete(hash);
  };
}

export interface Probe<T> {
  result: Promise<T>;
  /** Stop now (the torrent is leaving the client); `result` rejects with `reason`. */
  cancel(reason: BusError): void;
}

/**
 * Add `hash` to `client` metadata-only and dial `addresses`; `result` is `read(torrent)` in the
 * torrent's 'metadata' event (the torrent is destroyed right after), or a `timeout` error.
 */
export function probeMetadata<T>(
  client: WebTorrent,
  hash: string,
  addresses: readonly string[],
  timeoutMs: number,
  read: (torrent: Torrent) => T,
): Probe<T> {
  let settle: ((r: { ok: true; value: T } | { ok: false; error: Error }) => void) | null = null;
  const result = new Promise<T>((resolve, reject) => {
    settle = (r) => (r.ok ? resolve(r.value) : reject(r.error));
  });
  const torrent = client.add(`magnet:?xt=urn:btih:${hash}`, {
    store: NoDataStore,
    storeCacheSlots: 0,
    announce: [],
    deselect: true,
  });
  const untrack = track(client, hash, torrent);
  const finish = (r: { ok: true; value: T } | { ok: false; error: Error }) => {
    const s = settle;
    settle = null;
    untrack();
    clearTimeout(timer);
    if (!torrent.destroyed) torrent.destroy();
    s?.(r);
  };
  const timer = setTimeout(() => {
    finish({
      ok: false,
      error: new BusError(
        'timeout',
        `no friend gave the file list of ${hash} within ${Math.round(timeoutMs / 1000)} s ` +
          `(${addresses.length} endpoint${addresses.length === 1 ? '' : 's'} tried, ${torrent.numPeers} connected)`,
      ),
    });
  }, timeoutMs);
  timer.unref();
  torrent.once('infoHash', () => {
    for (const a of addresses) torrent.addPeer(a, 'contact');
  });
  torrent.once('metadata', () => {
    try {
      finish({ ok: true, value: read(torrent) });
    } catch (err) {
      finish({ ok: false, error: err as Error });
    }
  });
  // Destroyed by someone else (dropMetadataProbe, the client stopping).
  torrent.once('close', () => {
    finish({
      ok: false,
      error: new BusError('conflict', `${hash} was added as a torrent meanwhile; ask for its files again`),
    });
  });
  torrent.once('error', (err: Error) => {
    finish({ ok: false, error: new BusError('failed', `fetching the file list of ${hash}: ${err.message}`) });
  });
  return { result, cancel: (reason) => finish({ ok: false, error: reason }) };
}
