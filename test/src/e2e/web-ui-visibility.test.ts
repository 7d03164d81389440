/// <reference lib="dom" />
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  openWebUi,
  UI_TIMEOUT,
  screenshots,
  startFriends,
  waitFor,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  type Prosody,
} from '../harness/index.js';
import { connectClient, errorCondition, xml } from '../harness/xmpp-client.js';

/*
 * Per-group visibility from the web UI, through every service: alice has bob in her roster group
 * "family" and carol in "work"; in her details panel she restricts a share to "work", then to
 * "family". Each choice is checked through alice's REST api and at bob's node (his friends'
 * shares lose it, then show it again): api → KV → alice's gateway → the XMPP server → bob's
 * gateway → his api. Screenshots: reports/screenshots/web-ui-visibility/.
 */

const { shot } = screenshots('web-ui-visibility');

describe('web UI: who sees a share', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bob: BitweenNode;
  let page: Page;
  let hash = '';
  let pageErrors: string[];

  const bobSees = async () =>
    (await bob.rest.get<{ shares: { hash: string }[] }>('/v1/shares')).shares.some((s) => s.hash === hash);

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], {
      label: 'webvisibility',
      accounts: ['carol'],
      friends: ['carol'],
    }));
    // alice's roster groups, from another XMPP client of hers.
    const aliceClient = await connectClient(cleanup, prosody, 'alice', 'alice-pw');
    for (const [user, group] of [
      ['bob', 'family'],
      ['carol', 'work'],
    ] as const) {
      const reply = await aliceClient.iqSet(
        `alice@${prosody.domain}`,
        xml(
          'query',
          { xmlns: 'jabber:iq:roster' },
          xml('item', { jid: `${user}@${prosody.domain}` }, xml('group', {}, group)),
        ),
      );
      expect(errorCondition(reply)).toBeUndefined();
    }
    await writeRandomFile(join(alice.dirs.shares, 'letters.bin'), 64 * 1024);
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    const shared = await alice.rest.post<{ torrent: { hash: string } }>('/v1/torrents', {
      path: join(alice.dirs.shares, 'letters.bin'),
    });
    hash = shared.torrent.hash;
    await waitFor(bobSees, { what: 'the share at bob’s (every contact sees it)', timeoutMs: 120_000 });

    ({ page, pageErrors } = await openWebUi(cleanup, alice, { viewport: { width: 1280, height: 1000 } }));
  });

  afterAll(() => cleanup.run());

  const panel = () => page.getByRole('region', { name: 'Who sees it' });
  const visibility = () => alice.rest.get<{ groups: string[] }>(`/v1/torrents/${hash}/visibility`);

  it('restricts the share to "work": the api says so and bob (family) no longer has it', async () => {
    // (A double click opens the details, as Enter does.)
    await page.locator('.trow.torrent', { hasText: 'letters.bin' }).dblclick();
    // The panel first says "Loading…" while it asks the api; wait for its answer.
    await panel().getByText('Every contact sees this share.').waitFor();
    await panel().getByRole('checkbox', { name: /^work/ }).check();
    await panel().getByRole('button', { name: 'Save who sees it' }).click();
    await expect.poll(async () => (await visibility()).groups, { timeout: UI_TIMEOUT }).toEqual(['work']);
    await expect.poll(() => panel().textContent(), { timeout: UI_TIMEOUT }).toContain('the group “work”');
    await waitFor(async () => !(await bobSees()), { what: 'bob to lose the share', timeoutMs: 120_000 });
    await shot(page, '01-work-only');
  });

  it('then "family" instead: bob has it again', async () => {
    await panel().getByRole('checkbox', { name: /^work/ }).uncheck();
    await panel()
      .getByRole('checkbox', { name: /^family/ })
      .check();
    await panel().getByRole('button', { name: 'Save who sees it' }).click();
    await expect.poll(async () => (await visibility()).groups, { timeout: UI_TIMEOUT }).toEqual(['family']);
    await waitFor(bobSees, { what: 'bob to see the share again', timeoutMs: 120_000 });
    await shot(page, '02-family-only');
  });

  it('"Every contact" lifts it', async () => {
    await panel().getByRole('button', { name: 'Every contact' }).click();
    await expect.poll(async () => (await visibility()).groups, { timeout: UI_TIMEOUT }).toEqual([]);
    await expect
      .poll(() => panel().textContent(), { timeout: UI_TIMEOUT })
      .toContain('Every contact sees this share.');
    expect(pageErrors).toEqual([]);
  });
});
