import type { ShareFiles } from '../types.js';
import { shareMatcher, type ShareGroup } from './shares.js';

/** What is known of one share's file list (fetched from the friend on demand). */
export type FileListState =
  | { state: 'loading' }
  | { state: 'ok'; list: Pick<ShareFiles, 'files' | 'truncated' | 'totalFiles'> }
  | { state: 'error'; error: string };

/** A share in the search results: matched by its name, by files inside it, or not searchable inside. */
export interface SearchResult extends ShareGroup {
  /** The first matching file paths inside the share (none when only the name matched). */
  files: string[];
  /** How many files inside match (more than `files` when cut). */
  fileMatches: number;
  /** Its file list could not be fetched: it is listed (marked), since it may match inside. */
  insideError: string | null;
}

const words = (query: string) => query.toLowerCase().split(/\s+/).filter(Boolean);

/** Every word occurs in the path (any case). */
export function pathMatcher(query: string): (path: string) => boolean {
  const ws = words(query);
  return (path) => {
    const lower = path.toLowerCase();
    return ws.length > 0 && ws.every((w) => lower.includes(w));
  };
}

/**
 * Friends' shares matching `query` by name or by a file inside (from `lists`, the file lists
 * fetched so far); a share whose list failed is kept, marked. Name matches keep the order of
 * `groupShares`; shares found only inside follow, then the ones that could not be searched.
 * At most `limit` results, `matchesPerShare` paths each; `matches` counts the shares that match,
 * `unsearched` those listed because their files could not be searched.
 */
export function searchShares(
  groups: readonly ShareGroup[],
  query: string,
  lists: ReadonlyMap<string, FileListState>,
  limit = 200,
  matchesPerShare = 5,
): { results: SearchResult[]; matches: number; unsearched: number } {
  const byName = shareMatcher(query);
  const inPath = pathMatcher(query);
  const named: SearchResult[] = [];
  const inside: SearchResult[] = [];
  const unsearched: SearchResult[] = [];
  for (const g of groups) {
    const known = lists.get(g.share.hash);
    const found = known?.state === 'ok' ? known.list.files.filter((f) => inPath(f.path)) : [];
    const result: SearchResult = {
      ...g,
      files: found.slice(0, matchesPerShare).map((f) => f.path),
      fileMatches: found.length,
      insideError: known?.state === 'error' ? known.error : null,
    };
    if (byName(g.share)) named.push(result);
    else if (found.length > 0) inside.push(result);
    else if (result.insideError !== null) unsearched.push(result);
  }
  const all = [...named, ...inside, ...unsearched];
  return {
    results: all.slice(0, limit),
    matches: named.length + inside.length,
    unsearched: unsearched.length,
  };
}

/**
 * The shares whose file lists a search should fetch next: available ones (a friend offering it
 * is online) not fetched or being fetched yet, in display order, at most `max` in all.
 */
export function toFetch(
  groups: readonly ShareGroup[],
  lists: ReadonlyMap<string, FileListState>,
  max = 100,
): ShareGroup[] {
  return groups
    .filter((g) => g.available)
    .slice(0, max)
    .filter((g) => !lists.has(g.share.hash));
}
