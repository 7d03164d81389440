/**
 * @xmpp/iq's `request()` (patches/@xmpp+iq+0.14.0.patch): an error reply routed before the
 * request's own `send` has resolved must reach the caller as the rejection of `request()` only,
 * not also as an unhandled promise rejection (which the gateway logs as a bug).
 *
 * `send` resolves when the socket has written the IQ *and whatever was written with it*: Node
 * hands writes queued while the socket is busy to the kernel together (one writev) and calls
 * their callbacks when the whole batch is written. So the IQ is queued behind one large write
 * and before another; the server reads the IQ and answers with an error while the kernel is
 * still taking the second write.
 */
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, startProsody, type Prosody } from '../harness/index.js';
import { connectClient, xml, type TestClient } from '../harness/xmpp-client.js';

interface IqCaller {
  request(el: Element, timeout?: number): Promise<Element>;
}

/** Whitespace between stanzas: the server reads and drops it (a keepalive, RFC 6120 4.6.1). */
const FILLER = ' '.repeat(16 * 1024 * 1024);

describe('@xmpp/iq request() with an error reply before its send has resolved', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: TestClient;

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: [{ user: 'alice', password: 'alice-pw' }],
      friends: [],
    });
    alice = await connectClient(cleanup, prosody, 'alice', 'alice-pw');
  }, 60_000);
  afterAll(() => cleanup.run());

  it('rejects the request with the stanza error and reports no unhandled rejection', async () => {
    const c = alice.client as unknown as {
      iqCaller: IqCaller;
      write(s: string): Promise<void>;
      on(event: 'element' | 'send', fn: (el: Element) => void): void;
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const events: string[] = [];
      const id = 'early-reply';
      c.on('element', (el) => {
        if (el.name === 'iq' && el.attrs.id === id) events.push(`reply ${String(el.attrs.type)}`);
      });
      c.on('send', (el) => {
        if (el.attrs.id === id) events.push('sent');
      });

      const before = c.write(FILLER);
      // A query the server answers with an error at once (service-unavailable: no such namespace).
      const request = c.iqCaller.request(
        xml('iq', { type: 'get', id, to: prosody.domain }, xml('query', { xmlns: 'urn:example:nothing' })),
        60_000,
      );
      const after = c.write(FILLER);
      await expect(request).rejects.toMatchObject({ name: 'StanzaError', condition: 'service-unavailable' });
      await Promise.all([before, after]);
      // A round trip after everything: any unhandled rejection has been reported by now.
      await alice.requestRoster();

      // The race this test is about did happen: the reply was routed before the send resolved.
      expect(events).toEqual(['reply error', 'sent']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 120_000);
});
