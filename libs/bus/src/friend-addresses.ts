import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { buckets, decode, encodeJson, validate, xmpp } from '@bitween/messages';
import type { Logger } from './bus.js';

type FriendAddresses = xmpp.FriendAddresses;
const EMPTY: FriendAddresses = { friends: [], updatedAt: 0 };

/**
 * The friends' address allowlist in the JetStream KV bucket `bitween_friend_addresses` (one key):
 * the gateway writes it whenever its friends' lists change, engines read it at start and watch
 * it. Validated on write and on read; an invalid stored value is logged and counts as empty.
 */
export class FriendAddressesStore {
  private constructor(
    readonly kv: KV,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, log: Logger): Promise<FriendAddressesStore> {
    const kv = await new Kvm(nc).create(buckets.friendAddresses, { history: 1 });
    return new FriendAddressesStore(kv, log);
  }

  async put(value: FriendAddresses): Promise<void> {
    const checked = validate(xmpp.FriendAddresses, value, 'internal');
    if (!checked.ok) throw checked.error;
    await this.kv.put(xmpp.FRIEND_ADDRESSES_KEY, encodeJson(checked.value));
  }

  async get(): Promise<FriendAddresses> {
    const entry = await this.kv.get(xmpp.FRIEND_ADDRESSES_KEY);
    return entry?.operation === 'PUT' ? this.#parse(entry.value) : EMPTY;
  }

  /** Call `onChange` with the allowlist as stored now (empty if none yet), then on every change, until stopped. */
  async watch(onChange: (value: FriendAddresses) => void): Promise<() => void> {
    const watch = await this.kv.watch({ key: xmpp.FRIEND_ADDRESSES_KEY });
    let delivered = false;
    void (async () => {
      for await (const entry of watch) {
        delivered = true;
        onChange(entry.operation === 'PUT' ? this.#parse(entry.value) : EMPTY);
      }
    })().catch((err: unknown) => this.log.warn({ err }, 'friend addresses watch failed'));
    // An empty bucket delivers nothing: start from no friends.
    if (!delivered && !(await this.kv.get(xmpp.FRIEND_ADDRESSES_KEY))) onChange(EMPTY);
    return () => watch.stop();
  }

  #parse(value: Uint8Array): FriendAddresses {
    const decoded = decode(xmpp.FriendAddresses, value);
    if (decoded.ok) return decoded.value;
    this.log.warn(
      { issues: decoded.error.issues },
      'stored friend addresses fail their contract; none apply',
    );
    return EMPTY;
  }
}
