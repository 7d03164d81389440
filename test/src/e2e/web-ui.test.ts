/// <reference lib="dom" />
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { engine } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  contentWidths,
  launchChromium,
  logIn,
  UI_TIMEOUT,
  type WebBrowser,
  sha256File,
  silentLogger,
  startFriends,
  startNode,
  waitFor,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  screenshots,
  tabTo,
} from '../harness/index.js';
import { connectClient, xml } from '../harness/xmpp-client.js';

/*
 * The web UI (apps/web, served by the api at /) in Debian's Chromium driven by playwright-core,
 * against two real bitween nodes (nats-server, Prosody, gateways, engines, api processes) and a
 * real BitTorrent transfer. One browser for the file; each user has a context (own storage).
 * Screenshots go to reports/screenshots/web-ui/.
 */

const { shot } = screenshots('web-ui');

/** The first file named `file` under `dir` (any depth). */
async function findFile(dir: string, file: string): Promise<string | undefined> {
  const entries = await readdir(dir, { recursive: true });
  const hit = entries.find((e) => e === file || e.endsWith(`/${file}`));
  return hit === undefined ? undefined : join(dir, hit);
}

describe('web UI in a real browser, two friends', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bob: BitweenNode;
  let chromium: WebBrowser;
  let alicePage: Page;
  let bobPage: Page;
  const name = 'concert.bin';
  let sha256 = '';

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'web', accounts: ['carol', 'erin'] }));
    sha256 = await writeRandomFile(join(alice.dirs.shares, name), 8 * 1024 * 1024);
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    // A page error (CSP violation, exception) fails the test through chromium.pageErrors.
    chromium = await launchChromium(cleanup);
    alicePage = await chromium.newPage();
    bobPage = await chromium.newPage();
  });

  afterAll(() => cleanup.run());

  it('serves the UI without a key and refuses a wrong key at login', async () => {
    const res = await fetch(`${alice.apiUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect((await fetch(`${alice.apiUrl}/v1/torrents`)).status).toBe(401);

    await alicePage.goto(alice.apiUrl);
    await alicePage.getByLabel('API key').fill('definitely-not-the-key');
    await alicePage.getByRole('button', { name: 'Log in' }).click();
    await expect
      .poll(() => alicePage.getByRole('alert').textContent(), { timeout: UI_TIMEOUT })
      .toBe('Wrong API key.');
    await shot(alicePage, '01-login-refused');
  });

  it('alice shares a file through the share view, with the keyboard only', async () => {
    const page = alicePage;
    const keyField = page.getByLabel('API key');
    await keyField.fill('');
    await keyField.focus();
    await page.keyboard.type(alice.apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your torrents' }).waitFor();

    await tabTo(page, page.getByRole('link', { name: 'Share', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Share something' }).waitFor();
    // The share roots: alice's shares folder and her download folder.
    const root = page.getByRole('button', { name: alice.dirs.shares, exact: true });
    await root.waitFor();
    await tabTo(page, root);
    await page.keyboard.press('Enter');
    const share = page.getByRole('button', { name: `Share ${name}` });
    await share.waitFor();
    await shot(page, '02-share-picker');
    await tabTo(page, share);
    await page.keyboard.press('Enter');

    // Hashed, then the UI shows it in the torrents view, seeding.
    const card = page.locator('.trow.torrent', { hasText: name });
    await card.waitFor();
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: UI_TIMEOUT }).toBe('seeding');
    await shot(page, '03-alice-seeding');
    // The api agrees (waited for: under load one listing may miss a busy engine's answer).
    const listed = await waitFor(
      async () => {
        const { torrents } = await alice.rest.get<{ torrents: { name: string; state: string }[] }>(
          '/v1/torrents',
        );
        return torrents.length > 0 && torrents;
      },
      { what: "alice's torrent in the api's listing" },
    );
    expect(listed).toMatchObject([{ name, state: 'seeding' }]);
  });

  it('asks before sharing a whole share root', async () => {
    const page = alicePage;
    await page.getByRole('link', { name: 'Share', exact: true }).click();
    await page.getByRole('button', { name: `Share ${alice.dirs.shares}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Share a whole share root?' });
    await dialog.waitFor();
    await shot(page, '02b-share-root-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    const { torrents } = await alice.rest.get<{ torrents: { name: string }[] }>('/v1/torrents');
    expect(torrents.map((t) => t.name)).toEqual([name]);
  });

  it('bob finds it by typing in the search box, downloads it, and sees 100 %', async () => {
    const page = bobPage;
    await logIn(page, bob, { path: '/shares', heading: "Friends' shares" });

    await page.getByLabel('Search').pressSequentially('conc', { delay: 50 });
    // Alice's list reaches bob over XMPP; the page learns of it from the event stream.
    const download = page.getByRole('button', { name: `Download ${name}` });
    await download.waitFor();
    const card = page.locator('li.share', { hasText: name });
    expect(await card.textContent()).toContain(`${alice.jid}`);
    expect(await card.locator('.dot').first().textContent()).toBe('online');
    await page.getByLabel('Search').fill('conc nothing-like-this');
    await expect.poll(() => page.locator('li.share').count()).toBe(0);
    await page.getByLabel('Search').fill('CONCERT');
    await download.waitFor();
    await shot(page, '04-bob-search');
    // Grouped by friend: alice's section holds it.
    await page.getByLabel('Group by friend').check();
    const aliceSection = page.getByRole('region', { name: `Shares of ${alice.jid}` });
    await aliceSection.getByRole('button', { name: `Download ${name}` }).waitFor();
    await shot(page, '04b-bob-by-friend');
    await page.getByLabel('Group by friend').uncheck();
    await download.click();

    await page.getByRole('link', { name: 'Torrents', exact: true }).click();
    const progress = page.getByRole('progressbar', { name: `Progress of ${name}` });
    await progress.waitFor();
    await expect
      .poll(() => progress.evaluate((el) => (el as HTMLProgressElement).value), { timeout: 120_000 })
      .toBe(1);
    const row = page.locator('.trow.torrent', { hasText: name });
    expect(await row.locator('.pct').textContent()).toBe('100 %');
    await shot(page, '05-bob-downloaded');

    const path = await waitFor(() => findFile(bob.dirs.downloads, name), { what: 'downloaded file' });
    expect((await stat(path)).size).toBe(8 * 1024 * 1024);
    expect(await sha256File(path)).toBe(sha256);
  });

  it('pauses, resumes and removes from the torrents view', async () => {
    const page = bobPage;
    const row = page.locator('.trow.torrent', { hasText: name });
    const badge = row.locator('.badge');
    await page.getByRole('button', { name: `Pause ${name}` }).click();
    await expect.poll(() => badge.textContent()).toBe('paused');
    await page.getByRole('button', { name: `Resume ${name}` }).click();
    await expect.poll(() => badge.textContent()).toBe('seeding');

    // Files opens the details panel below the list, with the files and their progress.
    await page.getByRole('button', { name: `Files of ${name}` }).click();
    const details = page.getByRole('region', { name });
    // (The panel has other checkboxes too: "Who sees it" lists the groups.)
    const files = details.getByRole('group', { name: 'Files to download' });
    await expect.poll(() => files.getByRole('checkbox').count()).toBe(1);
    expect(await files.getByRole('checkbox').isChecked()).toBe(true);
    expect(
      await details.getByRole('progressbar', { name: `Progress of file ${name}` }).evaluate((el) => {
        const p = el as HTMLProgressElement;
        return p.value / p.max;
      }),
    ).toBe(1);
    await shot(page, '06a-details');

    await page.getByRole('button', { name: `Remove ${name}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await shot(page, '06-remove-dialog');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.locator('.trow.torrent').count()).toBe(0);
    const after = await bob.rest.get<{ torrents: unknown[] }>('/v1/torrents');
    expect(after.torrents).toEqual([]);
    // Removed without "delete its files": the data stays.
    expect(await findFile(bob.dirs.downloads, name)).toBeDefined();
  });

  it('approves a pending contact request', async () => {
    const page = bobPage;
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    await carol.send(xml('presence', { to: bob.jid, type: 'subscribe' }));
    const carolJid = prosody.jid('carol');
    // Arrives live (xmpp.subscription-request event), no reload.
    const approve = page.getByRole('button', { name: `Approve ${carolJid}` });
    await approve.waitFor();
    await shot(page, '07-pending-request');
    await approve.click();
    await expect.poll(() => page.getByRole('button', { name: `Approve ${carolJid}` }).count()).toBe(0);
    await page.getByRole('list', { name: 'Contacts' }).getByText(carolJid).waitFor();
    const contacts = await bob.rest.get<{ contacts: { jid: string; subscription: string }[] }>(
      '/v1/contacts',
    );
    expect(contacts.contacts.find((c) => c.jid === carolJid)?.subscription).toMatch(/from|both/);
  });

  it('Settings says whether friends can reach alice: an engine on loopback, no STUN/TURN server', async () => {
    const page = alicePage;
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const block = page.getByRole('region', { name: 'Can my friends reach me?' });
    const card = block.getByRole('article', { name: /^Engine / }).first();
    const verdict = card.locator('.verdict');
    // `unknown` until the engine has asked the gateway for STUN/TURN servers once.
    await expect
      .poll(
        async () => {
          await block.getByRole('button', { name: 'Check again' }).click();
          return verdict.getAttribute('data-verdict');
        },
        { timeout: UI_TIMEOUT },
      )
      .toBe('unreachable');
    expect(await verdict.textContent()).toBe(
      'Not reachable: no STUN/TURN server known — ask your XMPP server admin or set BITWEEN_ICE_SERVERS',
    );
    await card.getByText('off (BITWEEN_PORT_MAPPING=off)').waitFor();
    await card.getByText('none / none').waitFor();
    await shot(page, '07b-settings-reachability');
  });

  it('fits 375 px: no horizontal scroll on any view', async () => {
    const page = bobPage;
    await page.setViewportSize({ width: 375, height: 812 });
    for (const [link, file] of [
      ['Torrents', '08-375-torrents'],
      ['Friends', '09-375-friends'],
      ['Share', '10-375-share'],
      ['Contacts', '11-375-contacts'],
      ['Settings', '12-375-settings'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.locator('main h1').waitFor();
      if (link === 'Friends') await page.getByLabel('Search').fill('');
      if (link === 'Share') await page.getByRole('button', { name: bob.dirs.downloads, exact: true }).click();
      const widths = await contentWidths(page);
      expect(widths.content, link).toBeLessThanOrEqual(widths.viewport);
      await shot(page, file);
    }
    // A torrent card at 375 px (alice's: bob removed his).
    await alicePage.setViewportSize({ width: 375, height: 812 });
    await alicePage.getByRole('link', { name: 'Torrents', exact: true }).click();
    await alicePage.locator('.trow.torrent').first().waitFor();
    const alice375 = await contentWidths(alicePage);
    expect(alice375.content).toBeLessThanOrEqual(alice375.viewport);
    await shot(alicePage, '08b-375-torrent-card');
    await alicePage.setViewportSize({ width: 1280, height: 900 });
  });

  it('follows the event stream across an api restart (Last-Event-ID), without reloading the page', async () => {
    const page = alicePage;
    const { torrents } = await alice.rest.get<{ torrents: { hash: string; name: string }[] }>('/v1/torrents');
    const hash = torrents.find((t) => t.name === name)?.hash;
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    await page.getByRole('link', { name: 'Torrents', exact: true }).click();
    const badge = page.locator('.trow.torrent', { hasText: name }).locator('.badge');
    await expect.poll(() => badge.textContent()).toBe('seeding');

    await alice.api.stop();
    await page.getByText('reconnecting…').waitFor();
    // While no api runs, the torrent is paused over NATS: the event goes into the events stream
    // (JetStream), and only a page that resumes after its last id (Last-Event-ID) can see it:
    // on a clean resume the page reloads nothing.
    const nc = await alice.nats.connect();
    const paused = await new Bus(nc, silentLogger).request(
      engine.pause,
      { hash: hash! },
      { params: { engineId: 'web-alice-engine-1' }, timeoutMs: 10_000 },
    );
    expect(paused.ok).toBe(true);
    await waitFor(
      async () => {
        const r = await new Bus(nc, silentLogger).request(
          engine.list,
          {},
          { params: { engineId: 'web-alice-engine-1' }, timeoutMs: 10_000 },
        );
        return r.ok && r.value.torrents.some((t) => t.state === 'paused');
      },
      { what: 'paused on the engine' },
    );
    await alice.restart('api');
    await page.getByText('reconnecting…').waitFor({ state: 'detached' });
    await expect.poll(() => badge.textContent(), { timeout: UI_TIMEOUT }).toBe('paused');
    // Changes made elsewhere (here: a REST call) reach the open page as events.
    await alice.rest.post(`/v1/torrents/${hash}/resume`);
    await expect.poll(() => badge.textContent(), { timeout: UI_TIMEOUT }).toBe('seeding');
  });

  it('onboarding: a first run without an XMPP account asks for one, then says when XMPP is unreachable', async () => {
    const erin = await startNode(cleanup, {
      user: 'erin',
      password: 'erin-pw',
      prosody,
      name: 'web-erin',
      unconfigured: true,
    });
    await erin.gateway.waitForLog((l) => /no XMPP account configured/.test(l.msg), {
      what: 'erin unconfigured',
    });
    const page = await chromium.newPage({ viewport: { width: 375, height: 812 } });
    await logIn(page, erin, { heading: 'Welcome to bitween' });
    await shot(page, '13-onboarding');

    await page.getByLabel('XMPP address (JID)').fill(erin.jid);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByText('Server (if not found from the address)').click();
    // The server field validates (its pattern compiles under the v flag): a bare host is refused.
    const server = page.getByLabel(/^Server, e\.g\./);
    await server.fill('chat.example.org');
    expect(await server.evaluate((el) => (el as HTMLInputElement).validity.patternMismatch)).toBe(true);
    expect(await page.locator('form').evaluate((f) => (f as HTMLFormElement).checkValidity())).toBe(false);
    await server.fill(prosody.service);
    expect(await server.evaluate((el) => (el as HTMLInputElement).validity.valid)).toBe(true);
    await page.getByRole('button', { name: 'Log in to XMPP' }).click();
    // The gateway tried the login; the api's 422 detail is shown as it is.
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT })
      .toMatch(/refused the login/);
    await shot(page, '14-onboarding-refused');

    await page.getByLabel('Password').fill('erin-pw');
    await page.getByRole('button', { name: 'Log in to XMPP' }).click();
    await page.getByRole('heading', { name: 'Your torrents' }).waitFor();
    expect(await erin.rest.get('/v1/account')).toMatchObject({
      configured: true,
      source: 'setup',
      jid: erin.jid,
    });

    // The gateway goes away: the page says so instead of showing empty lists.
    await erin.gateway.stop();
    await page.reload();
    await page.getByText(/The XMPP gateway does not answer/).waitFor();
    await shot(page, '15-gateway-down');
  });

  it('raised no page errors or CSP violations', () => {
    expect(chromium.pageErrors).toEqual([]);
  });
});
