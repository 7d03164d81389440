import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  contentWidths,
  openWebUi,
  screenshots,
  shareRandomFile,
  startFriends,
  tabTo,
  waitFor,
  xmppOnline,
  type BitweenNode,
  type SharedFile,
} from '../harness/index.js';

const { shot } = screenshots('web-ui-send');

/**
 * "Send to a friend" in the web UI (Debian's Chromium, playwright-core) against two real bitween
 * nodes on Prosody: from her torrent's details panel, with the keyboard, at 375 px in dark mode,
 * alice sends a share to bob, and bob's api lists the offer (the page the friend sees is
 * web-ui-offers.test.ts); without her gateway the api refuses and the form shows its problem.
 */
describe('sending a share to a friend, in the web UI', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let sent: SharedFile;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'web-send' }));
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    sent = await shareRandomFile(alice, 'sent from the page.bin', 256 * 1024);
    ({ page, pageErrors } = await openWebUi(cleanup, alice, { viewport: { width: 375, height: 812 } }));
    await page.emulateMedia({ colorScheme: 'dark' });
  });

  afterAll(() => cleanup.run());

  const form = () => page.getByRole('region', { name: 'Send to a friend' });

  it('alice sends her share to bob from its details panel, with the keyboard: bob’s api has the offer', async () => {
    // (A double click opens the details, as Enter does.)
    await page.locator('.trow.torrent', { hasText: sent.name }).dblclick();
    const friend = form().getByLabel('Friend');
    // Only mutual contacts are offered: bob (alice herself is not a contact).
    await friend.locator('option', { hasText: bob.jid }).waitFor({ state: 'attached' });
    const options = await friend.locator('option').allTextContents();
    expect(options).toHaveLength(2);
    expect(options[1]).toContain(bob.jid);
    await friend.focus();
    await friend.selectOption(bob.jid);
    await tabTo(page, form().getByRole('button', { name: 'Send' }));
    await page.keyboard.press('Enter');
    await form().getByText(`Sent ${sent.name} to ${bob.jid}`).waitFor();
    await waitFor(
      async () => {
        const { offers } = await bob.rest.get<{ offers: { hash: string; from: string }[] }>('/v1/offers');
        return offers.some((o) => o.hash === sent.hash && o.from === alice.jid);
      },
      { what: 'the offer in bob’s api', timeoutMs: 60_000 },
    );
    // No horizontal scroll at 375 px.
    const widths = await contentWidths(page);
    expect(widths.content).toBeLessThanOrEqual(widths.viewport);
    await shot(page, 'sent-375-dark');
  });

  it('without her gateway the api refuses (503): the form says so, with the api’s detail', async () => {
    await alice.gateway.stop();
    await form().getByRole('button', { name: 'Send' }).click();
    const refusal = form().getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(
      /^Not sent: your XMPP connection is down.*\(service unavailable: .+\)\.$/,
    );
    await shot(page, 'send-refused');
  });

  it('raised no page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
