import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  openWebUi,
  screenshots,
  sha256File,
  shareRandomFile,
  startFriends,
  waitFor,
  waitForShare,
  xmppOnline,
  type BitweenNode,
  type SharedFile,
  type TorrentsResult,
} from '../harness/index.js';

const { shot } = screenshots('web-ui-offers');

/**
 * Offers in the web UI (Debian's Chromium, playwright-core) against two real bitween nodes: the
 * shares alice sends bob appear above bob's page, while it is open (event stream), with their
 * count on the Friends tab; Dismiss removes one (also from the api), Download starts the other
 * from alice (bytes checked).
 */
describe('shares sent to you, in the web UI', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let page: Page;
  let pageErrors: string[];
  let kept: SharedFile;
  let dismissed: SharedFile;

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'web-offers' }));
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    kept = await shareRandomFile(alice, 'for bob.bin', 2 * 1024 * 1024 + 5);
    dismissed = await shareRandomFile(alice, 'not for bob.bin', 1024 * 1024);
    await waitForShare(bob, alice, kept.hash);

    ({ page, pageErrors } = await openWebUi(cleanup, bob));
  });

  afterAll(() => cleanup.run());

  const offers = () => page.getByRole('region', { name: 'Sent to you' });

  it('shows the shares alice sends while the page is open, with their count on the Friends tab', async () => {
    for (const f of [kept, dismissed])
      await alice.rest.post(`/v1/contacts/${bob.jid}/send`, { hash: f.hash });
    await offers().getByText(kept.name, { exact: true }).waitFor();
    await offers().getByText(dismissed.name, { exact: true }).waitFor();
    expect(await offers().textContent()).toContain(alice.jid);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByText('2').count()).toBe(1);
    await shot(page, 'offers');
  });

  it('Dismiss removes an offer, in the page and in the api', async () => {
    await offers()
      .getByRole('button', { name: `Dismiss ${dismissed.name}` })
      .click();
    await offers().getByText(dismissed.name, { exact: true }).waitFor({ state: 'detached' });
    const { offers: left } = await bob.rest.get<{ offers: { hash: string }[] }>('/v1/offers');
    expect(left.map((o) => o.hash)).toEqual([kept.hash]);
  });

  it('Download starts it from alice; the panel goes once nothing waits', async () => {
    await offers()
      .getByRole('button', { name: `Download ${kept.name} from ${alice.jid}` })
      .click();
    await offers().waitFor({ state: 'detached' });
    await waitFor(
      async () => {
        const { torrents } = await bob.rpc.result<TorrentsResult>('bt.get_torrents');
        return torrents.find((t) => t.hash === kept.hash)?.state === 'seeding';
      },
      { what: 'bob’s download of the accepted offer', timeoutMs: 120_000 },
    );
    expect(await sha256File(join(bob.dirs.downloads, kept.name))).toBe(kept.sha256);
    await shot(page, 'accepted');
  });

  it('raised no page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
