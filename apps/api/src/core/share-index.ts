/** A friend's share as listed: one entry per hash with everyone who offers it. */
export interface FriendShare {
  hash: string;
  name: string;
  size: number;
  sources: { jid: string; resource: string; online: boolean }[];
}

/** Words of a query: lowercased, split on whitespace. */
export function queryWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** A query that is one word of 6-40 hex characters also matches hashes starting with it. */
export function hashPrefixOf(words: readonly string[]): string | undefined {
  return words.length === 1 && /^[0-9a-f]{6,40}$/.test(words[0] ?? '') ? words[0] : undefined;
}

const GRAM = 3;

/**
 * Friends' shares (sorted by name) with a trigram index of their lowercased names, so a search
 * reads only the names holding the query's rarest trigram instead of every name (~50,000 for
 * 50 friends × 1,000 shares), and stops at the limit. Matching is the same as a scan: every
 * word occurs in the name (any case), or the hash starts with a 6-40 hex character query.
 * Built once per change of the lists.
 */
export class ShareIndex {
  readonly #lower: string[];
  readonly #grams = new Map<string, number[]>();
  /** Indexes of `shares` ordered by hash, for hash-prefix queries. */
  readonly #byHash: number[];

  constructor(readonly shares: readonly FriendShare[]) {
    this.#lower = shares.map((s) => s.name.toLowerCase());
    this.#lower.forEach((name, i) => {
      const seen = new Set<string>();
      for (let at = 0; at + GRAM <= name.length; at++) {
        const gram = name.slice(at, at + GRAM);
        if (seen.has(gram)) continue;
        seen.add(gram);
        const list = this.#grams.get(gram);
        if (list) list.push(i);
        else this.#grams.set(gram, [i]);
      }
    });
    this.#byHash = shares.map((_, i) => i).sort((a, b) => (shares[a]!.hash < shares[b]!.hash ? -1 : 1));
  }

  /** The shares matching `query`, in name order, at most `limit`. */
  search(query: string, limit = Infinity): FriendShare[] {
    const words = queryWords(query);
    if (words.length === 0) return this.shares.slice(0, limit);
    const hashPrefix = hashPrefixOf(words);
    const lower = this.#lower;
    const nameMatches = (i: number) => words.every((w) => lower[i]!.includes(w));

    const found: number[] = [];
    const candidates = this.#candidates(words);
    // Without hash matches to merge in, candidates come in name order: stop at the limit.
    const stopAt = hashPrefix ? Infinity : limit;
    if (candidates) {
      for (const i of candidates) {
        if (nameMatches(i) && found.push(i) >= stopAt) break;
      }
    } else {
      for (let i = 0; i < lower.length; i++) {
        if (nameMatches(i) && found.push(i) >= stopAt) break;
      }
    }
    if (hashPrefix) {
      const byName = new Set(found);
      for (const i of this.#hashesStartingWith(hashPrefix)) if (!byName.has(i)) found.push(i);
      found.sort((a, b) => a - b);
    }
    return found.slice(0, limit).map((i) => this.shares[i]!);
  }

  /** The posting list of the query's rarest trigram (null: no word long enough to have one). */
  #candidates(words: readonly string[]): readonly number[] | null {
    let best: readonly number[] | null = null;
    for (const w of words) {
      for (let at = 0; at + GRAM <= w.length; at++) {
        const list = this.#grams.get(w.slice(at, at + GRAM));
        if (!list) return []; // a trigram no name holds: no name matches
        if (!best || list.length < best.length) best = list;
      }
    }
    return best;
  }

  #hashesStartingWith(prefix: string): number[] {
    const order = this.#byHash;
    const hashAt = (k: number) => this.shares[order[k]!]!.hash;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashAt(mid) < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let k = lo; k < order.length && hashAt(k).startsWith(prefix); k++) out.push(order[k]!);
    return out;
  }
}
