/**
 * The friends' address allowlist the engines admit by (`xmpp.FriendAddresses` in KV): every IP
 * address each friend's list announces, written whenever the friends' lists change, so that the
 * engines need not page through the lists to learn them.
 */
import type { Logger } from 'pino';
import type { ContactShares, xmpp } from '@bitween/messages';
import { coalesce } from '@bitween/runtime';
import type { ContactIndex } from '../domain/contact-index.js';

type Friends = xmpp.FriendAddresses['friends'];

/** Each contact's distinct addresses (all resources, online or not), by JID; contacts with none left out. */
export function friendAddresses(contacts: readonly ContactShares[]): Friends {
  const friends: Friends = [];
  for (const c of contacts) {
    const addresses = [...new Set(c.resources.flatMap((r) => r.endpoints.map((e) => e.address)))].sort();
    if (addresses.length > 0) friends.push({ jid: c.jid, addresses });
  }
  return friends;
}

export interface AllowlistOptions {
  /** Where the allowlist is kept (FriendAddressesStore). */
  store: { put(value: xmpp.FriendAddresses): Promise<void> };
  log: Logger;
}

export class FriendAddressAllowlist {
  #index: ContactIndex | null = null;
  #unfollow: (() => void) | null = null;
  /** The friends last written (JSON): an unchanged allowlist is not written again. */
  #written: string | null = null;
  readonly #write;

  constructor(private readonly opts: AllowlistOptions) {
    this.#write = coalesce(
      () => this.#flush(),
      (err) => opts.log.warn({ err }, "could not write the friends' address allowlist (next change retries)"),
    );
  }

  /**
   * Follow the lists of `index` (the gateway of the account in use), written at once and after
   * every change. null (no account, or shutting down): the last allowlist written stays.
   */
  follow(index: ContactIndex | null): void {
    this.#unfollow?.();
    this.#unfollow = null;
    this.#index = index;
    if (!index) return;
    this.#unfollow = index.onChange(() => this.#write.trigger());
    this.#write.trigger();
  }

  /** Resolves when no write is pending. */
  idle(): Promise<void> {
    return this.#write.idle();
  }

  /** Stop following; resolves once a write under way is done. */
  async stop(): Promise<void> {
    this.follow(null);
    await this.#write.idle();
  }

  async #flush(): Promise<void> {
    const index = this.#index;
    if (!index) return;
    const friends = friendAddresses(index.snapshot());
    const json = JSON.stringify(friends);
    if (json === this.#written) return;
    await this.opts.store.put({ friends, updatedAt: Date.now() });
    this.#written = json;
    this.opts.log.info({ friends: friends.length }, "friends' address allowlist written");
  }
}
