import { signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { toFetch, type FileListState } from '../logic/share-search.js';
import type { ShareGroup } from '../logic/shares.js';
import { api, errorText } from '../store.js';

/** File lists of friends' shares fetched so far (kept while the page is open; the api caches too). */
export const fileLists = signal<ReadonlyMap<string, FileListState>>(new Map());

/** File lists fetched at the same time (each is a round trip to a friend's engine). */
const CONCURRENCY = 3;
/** A search looks inside at most this many shares (the first available ones in display order). */
const MAX_SHARES = 100;
/** Typing pauses this long before a search starts fetching. */
const SETTLE_MS = 400;

function set(hash: string, state: FileListState): void {
  fileLists.value = new Map(fileLists.value).set(hash, state);
}

/**
 * While `query` is not empty, fetch the file lists of the shares in `groups` that are not known
 * yet, `CONCURRENCY` at a time; a new query (or leaving the page) stops starting more.
 */
export function useFileListSearch(groups: readonly ShareGroup[], query: string): void {
  useEffect(() => {
    const client = api.value;
    if (!query.trim() || !client) return;
    let stopped = false;
    const timer = setTimeout(() => {
      const queue = toFetch(groups, fileLists.value, MAX_SHARES);
      const next = async (): Promise<void> => {
        for (let g = queue.shift(); g && !stopped; g = queue.shift()) {
          const hash = g.share.hash;
          if (fileLists.value.has(hash)) continue;
          const friend = g.offers.find((o) => o.online) ?? g.offers[0];
          if (!friend) continue;
          set(hash, { state: 'loading' });
          try {
            set(hash, { state: 'ok', list: await client.shareFiles(friend.jid, hash) });
          } catch (err) {
            set(hash, { state: 'error', error: errorText(err) });
          }
        }
      };
      for (let i = 0; i < CONCURRENCY; i++) void next();
    }, SETTLE_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [groups, query]);
}

/** How many file lists are being fetched now. */
export function searching(lists: ReadonlyMap<string, FileListState>): number {
  let n = 0;
  for (const s of lists.values()) if (s.state === 'loading') n++;
  return n;
}
