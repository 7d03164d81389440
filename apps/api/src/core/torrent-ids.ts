import { Kvm, type KV } from '@nats-io/kv';
import { buckets } from '@bitween/messages';
import type { NatsConnection } from '@bitween/bus';

/** The JetStream KV bucket that maps info-hashes to Transmission's numeric torrent ids. */
export const TRANSMISSION_IDS_BUCKET = buckets.transmissionIds;

const SEQ = 'seq';
const hashKey = (hash: string) => `h.${hash}`;
const idKey = (id: number) => `i.${id}`;

/** Attempts at the compare-and-swap on the counter before giving up (many api instances racing). */
const MAX_CAS_ATTEMPTS = 50;

const text = new TextDecoder();
function positiveInt(value: Uint8Array | undefined): number | null {
  if (!value) return null;
  const n = Number(text.decode(value));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * Stable small integer ids for info-hashes, as Transmission frontends expect: kept in a
 * JetStream KV bucket (so they survive api restarts and are the same for every api instance and
 * whichever engine holds the torrent). An id is never reused; the mapping is immutable, so both
 * directions are cached in memory for good.
 *
 * Keys: `seq` (the last id handed out, advanced by compare-and-swap), `h.<hash>` → id (created
 * only when absent: the first writer wins), `i.<id>` → hash.
 */
export class TorrentIds {
  readonly #byHash = new Map<string, number>();
  readonly #byId = new Map<number, string>();

  private constructor(readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<TorrentIds> {
    return new TorrentIds(await new Kvm(nc).create(TRANSMISSION_IDS_BUCKET, { history: 1 }));
  }

  #remember(hash: string, id: number): void {
    this.#byHash.set(hash, id);
    this.#byId.set(id, hash);
  }

  /** The id of every hash (in the order given: new hashes get ascending ids in that order). */
  async idsOf(hashes: readonly string[]): Promise<Map<string, number>> {
    const unknown = [...new Set(hashes.filter((h) => !this.#byHash.has(h)))];
    if (unknown.length > 0) {
      const stored = await Promise.all(unknown.map((h) => this.kv.get(hashKey(h))));
      const fresh: string[] = [];
      unknown.forEach((h, i) => {
        const id = positiveInt(stored[i]?.operation === 'PUT' ? stored[i].value : undefined);
        if (id === null) fresh.push(h);
        else this.#remember(h, id);
      });
      if (fresh.length > 0) await this.#assign(fresh);
    }
    return new Map(hashes.map((h) => [h, this.#byHash.get(h)!]));
  }

  /** The hash with this id, or null when the id was never handed out. */
  async hashOf(id: number): Promise<string | null> {
    const cached = this.#byId.get(id);
    if (cached !== undefined) return cached;
    const entry = await this.kv.get(idKey(id));
    if (!entry || entry.operation !== 'PUT') return null;
    const hash = entry.string();
    this.#remember(hash, id);
    return hash;
  }

  async #assign(hashes: string[]): Promise<void> {
    const first = await this.#reserve(hashes.length);
    await Promise.all(
      hashes.map(async (hash, i) => {
        const id = first + i;
        // `i.<id>` first: should the claim below lose, a second id pointing at the same hash is harmless.
        await this.kv.put(idKey(id), hash);
        try {
          await this.kv.create(hashKey(hash), String(id));
          this.#remember(hash, id);
        } catch (err) {
          // Another api instance named this hash first: take its id.
          const winner = positiveInt((await this.kv.get(hashKey(hash)))?.value);
          if (winner === null) throw err;
          this.#remember(hash, winner);
        }
      }),
    );
  }

  /** Reserve `n` consecutive ids; returns the first. */
  async #reserve(n: number): Promise<number> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const entry = await this.kv.get(SEQ);
      const last = entry?.operation === 'PUT' ? (positiveInt(entry.value) ?? 0) : 0;
      try {
        if (entry) await this.kv.update(SEQ, String(last + n), entry.revision);
        else await this.kv.create(SEQ, String(last + n));
        return last + 1;
      } catch {
        // Someone else advanced the counter between our read and write: read again.
      }
    }
    throw new Error(`could not reserve torrent ids after ${MAX_CAS_ATTEMPTS} attempts`);
  }
}
