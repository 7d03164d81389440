import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { buckets, decode, encodeJson, InfoHash, validate, xmpp } from '@bitween/messages';
import type { Logger } from './bus.js';

type ShareVisibility = xmpp.ShareVisibility;

/**
 * Who sees each share, in the JetStream KV bucket `bitween_share_visibility` (key: info-hash):
 * the api writes it, the gateway watches it. No key: every contact sees the share. Validated on
 * write and on read; an invalid stored value (or key) is logged and skipped (the share then counts
 * as visible to every contact, as before the setting existed).
 */
export class ShareVisibilityStore {
  private constructor(
    readonly kv: KV,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, log: Logger): Promise<ShareVisibilityStore> {
    const kv = await new Kvm(nc).create(buckets.shareVisibility, { history: 1 });
    return new ShareVisibilityStore(kv, log);
  }

  /** The groups that see `hash`; null: every contact. */
  async get(hash: string): Promise<ShareVisibility | null> {
    const entry = await this.kv.get(hash.toLowerCase());
    return entry?.operation === 'PUT' ? this.#parse(hash, entry.value) : null;
  }

  /** Restrict `hash` to `groups` (deduplicated, sorted); an empty list makes it visible to every contact again. */
  async set(hash: string, groups: string[], now = Date.now()): Promise<ShareVisibility | null> {
    const key = validate(InfoHash, hash.toLowerCase(), 'invalid_request');
    if (!key.ok) throw key.error;
    if (groups.length === 0) {
      await this.kv.delete(key.value);
      return null;
    }
    const checked = validate(
      xmpp.ShareVisibility,
      { groups: [...new Set(groups)].sort(), updatedAt: now },
      'invalid_request',
    );
    if (!checked.ok) throw checked.error;
    await this.kv.put(key.value, encodeJson(checked.value));
    return checked.value;
  }

  /**
   * Call `onChange` with every restricted share (hash → groups) as stored now, then again after
   * every change, until stopped. Resolves only once the stored values were delivered (a gateway
   * must not publish before it knows which shares are restricted); throws if that takes longer
   * than `timeoutMs`.
   */
  async watch(
    onChange: (visibility: ReadonlyMap<string, readonly string[]>) => void,
    timeoutMs = 30_000,
  ): Promise<() => void> {
    const current = new Map<string, readonly string[]>();
    const watch = await this.kv.watch({ key: '>' });
    let caughtUp = false;
    let markCaughtUp = () => {};
    const initial = new Promise<void>((resolve) => (markCaughtUp = resolve));
    const deliver = () => {
      caughtUp = true;
      onChange(new Map(current));
      markCaughtUp();
    };
    void (async () => {
      for await (const entry of watch) {
        const value = entry.operation === 'PUT' ? this.#parse(entry.key, entry.value) : null;
        if (value && InfoHash.safeParse(entry.key).success) current.set(entry.key, value.groups);
        else current.delete(entry.key);
        // (`delta`: entries still to come of what the bucket held when the watch began.)
        if (caughtUp || entry.delta === 0) deliver();
      }
    })().catch((err: unknown) => this.log.warn({ err }, 'share visibility watch failed'));
    // An empty bucket delivers nothing: every share is visible to every contact.
    const status = await this.kv.status();
    if (status.values === 0 && !caughtUp) deliver();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'late')));
    const outcome = await Promise.race([initial, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      watch.stop();
      throw new Error(`the share visibility bucket was not read within ${timeoutMs} ms`);
    }
    return () => watch.stop();
  }

  #parse(key: string, value: Uint8Array): ShareVisibility | null {
    const decoded = decode(xmpp.ShareVisibility, value);
    if (decoded.ok) return decoded.value;
    this.log.warn(
      { key, issues: decoded.error.issues },
      'a stored share visibility fails its contract; ignored',
    );
    return null;
  }
}
