import type { xmpp } from '@bitween/messages';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ContactIndex } from '../domain/contact-index.js';
import { FriendAddressAllowlist, friendAddresses } from './address-allowlist.js';

const ep = (address: string, port = 6881) => ({ address, port });
const entry = (resource: string, ...addresses: string[]) => ({
  resource,
  shares: [],
  endpoints: addresses.map((a) => ep(a)),
});

/** What the allowlist wrote, in order (a stand-in for the KV store). */
function memoryStore() {
  const writes: xmpp.FriendAddresses['friends'][] = [];
  let failNext = false;
  return {
    writes,
    failOnce: () => (failNext = true),
    put(value: xmpp.FriendAddresses): Promise<void> {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('no JetStream'));
      }
      writes.push(value.friends);
      return Promise.resolve();
    },
  };
}

describe('friendAddresses', () => {
  it('lists each contact’s distinct addresses over all its resources, and leaves out contacts with none', () => {
    const index = new ContactIndex();
    index.replace(
      'bob@x',
      [entry('home/e1', '203.0.113.5', '10.0.0.5'), entry('laptop', '203.0.113.5', '2001:db8::5')],
      1,
    );
    index.replace('carol@x', [entry('c')], 1);
    expect(friendAddresses(index.snapshot())).toEqual([
      { jid: 'bob@x', addresses: ['10.0.0.5', '2001:db8::5', '203.0.113.5'] },
    ]);
  });
});

describe('FriendAddressAllowlist', () => {
  const log = pino({ level: 'silent' });
  const settle = (a: FriendAddressAllowlist) => a.idle();

  it('writes the allowlist when it follows an index and after each change of the lists, not when unchanged', async () => {
    const index = new ContactIndex();
    const store = memoryStore();
    const allowlist = new FriendAddressAllowlist({ store, log });
    allowlist.follow(index);
    await settle(allowlist);
    expect(store.writes).toEqual([[]]);

    index.replace('bob@x', [entry('home', '203.0.113.5')], 1);
    index.replace('bob@x', [entry('home', '203.0.113.5')], 2); // the same addresses
    await settle(allowlist);
    expect(store.writes).toEqual([[], [{ jid: 'bob@x', addresses: ['203.0.113.5'] }]]);

    // bob is removed from the roster: the gateway drops his list.
    index.retain((jid) => jid !== 'bob@x');
    await settle(allowlist);
    expect(store.writes.at(-1)).toEqual([]);
  });

  it('keeps the last allowlist when it follows no index, and retries a failed write on the next change', async () => {
    const index = new ContactIndex();
    const store = memoryStore();
    const allowlist = new FriendAddressAllowlist({ store, log });
    store.failOnce();
    allowlist.follow(index);
    await settle(allowlist);
    expect(store.writes).toEqual([]);

    index.replace('carol@x', [entry('c', '198.51.100.7')], 1);
    await settle(allowlist);
    expect(store.writes).toEqual([[{ jid: 'carol@x', addresses: ['198.51.100.7'] }]]);

    allowlist.follow(null);
    index.replace('carol@x', [entry('c', '198.51.100.8')], 2);
    await settle(allowlist);
    expect(store.writes).toHaveLength(1);
    await allowlist.stop();
  });
});
