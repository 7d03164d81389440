import type { JetStreamManager, MsgRequest } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Logger } from './bus.js';

export interface KvFollowing {
  /** Stop following (no more calls to `onEntry`). */
  stop(): void;
}

/**
 * Follow the keys matching `key` (a KV key with wildcards, e.g. `engine-1.>`) in one bucket:
 * `onEntry` gets every current entry, then every change (deletes too), until `stop`. Resolves
 * once the entries that existed at the start were all delivered (an empty match at once), so a
 * caller's copy is complete from then on. A watch that ends by itself (server restart, consumer
 * lost) is started again from the revision after the last one seen.
 */
export async function followKv(opts: {
  kv: KV;
  jsm: JetStreamManager;
  bucket: string;
  key: string;
  onEntry: (entry: KvWatchEntry) => void;
  log: Logger;
}): Promise<KvFollowing> {
  const { kv, log } = opts;
  let stopped = false;
  let lastRevision = 0;
  // Is anything there at all? (A watch of nothing delivers nothing, so "all delivered" would never come.)
  // (`next_by_subj` takes wildcards; the client's type for this request leaves it out.)
  const next = { next_by_subj: `$KV.${opts.bucket}.${opts.key}`, seq: 0 } as unknown as MsgRequest;
  const first = await opts.jsm.streams.getMessage(`KV_${opts.bucket}`, next);
  let loaded!: () => void;
  const initial = new Promise<void>((resolve) => (loaded = resolve));
  if (first === null) loaded();
  const open = () =>
    kv.watch({ key: opts.key, ...(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : {}) });
  let current = await open();
  void (async () => {
    while (!stopped) {
      try {
        for await (const entry of current) {
          lastRevision = Math.max(lastRevision, entry.revision);
          opts.onEntry(entry);
          if (entry.isUpdate || entry.delta === 0) loaded();
        }
      } catch (err) {
        log.warn({ err, bucket: opts.bucket }, 'KV watch failed');
      }
      if (stopped) break;
      log.warn({ bucket: opts.bucket }, 'KV watch ended; watching again');
      await new Promise((r) => setTimeout(r, 1000));
      try {
        if (!stopped) current = await open();
      } catch (err) {
        log.warn({ err, bucket: opts.bucket }, 'could not watch the KV bucket');
      }
    }
  })();
  await initial;
  return {
    stop: () => {
      stopped = true;
      current.stop();
    },
  };
}
