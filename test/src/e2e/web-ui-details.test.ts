/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  contentWidths,
  openWebUi,
  UI_TIMEOUT,
  startFriends,
  waitFor,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  screenshots,
  tabTo,
} from '../harness/index.js';

/*
 * The web UI's details panel in Debian's Chromium (playwright-core) against two real bitween
 * nodes: bob downloads alice's folder (slowly: alice's upload limit keeps it running) and, with the
 * keyboard, edits it from the details panel — a file left out, a label added and removed, seeding
 * limits — while the panel lists the connected peer and the files' progress moves. Every edit is
 * checked through the REST api, not only on the page. Screenshots: reports/screenshots/web-ui-details/.
 */

const { shot } = screenshots('web-ui-details');
const FILE_BYTES = 4 * 1024 * 1024;
/**
 * Alice's upload limit of the folder (bytes/s): slow enough that the download cannot finish before the
 * file step (~4 min per file), however long the steps before it take on a busy machine; that step
 * then lifts it to FAST so the kept file completes.
 */
const SLOW = 16 * 1024;
const FAST = 1024 * 1024;

interface RestTorrent {
  hash: string;
  name: string | null;
  state: string;
  done: boolean;
  files: { path: string; size: number; wanted: boolean; priority: string; downloaded: number }[];
  labels?: string[];
  seedLimits?: { ratioMode: string; ratio: number; idleMode: string; idleMinutes: number };
}

interface RestPeer {
  address: string;
  port: number;
  client: string;
  transport: string;
}

describe('web UI details panel: peers, files, labels, seeding limits', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let page: Page;
  let hash = '';
  let pageErrors: string[];
  const folder = 'album';

  const bobTorrent = () => bob.rest.get<RestTorrent>(`/v1/torrents/${hash}`);

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'webdetails' }));
    await mkdir(join(alice.dirs.shares, folder));
    await writeRandomFile(join(alice.dirs.shares, folder, 'a.bin'), FILE_BYTES);
    await writeRandomFile(join(alice.dirs.shares, folder, 'b.bin'), FILE_BYTES);
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    const shared = await alice.rest.post<{ torrent: RestTorrent }>('/v1/torrents', {
      path: join(alice.dirs.shares, folder),
    });
    hash = shared.torrent.hash;
    await waitFor(
      async () => (await alice.rest.get<RestTorrent>(`/v1/torrents/${hash}`)).state === 'seeding',
      { what: 'alice seeding the folder', timeoutMs: 120_000 },
    );
    // Alice's engine answers with the limit in place, before bob can even see the share.
    const limited = await alice.rest.request<{ torrent: { uploadLimit: number | null } }>(
      'PATCH',
      `/v1/torrents/${hash}/limits`,
      { uploadLimit: SLOW },
    );
    expect(limited.torrent.uploadLimit).toBe(SLOW);
    await waitFor(
      async () =>
        (await bob.rest.get<{ shares: { hash: string }[] }>('/v1/shares')).shares.some(
          (s) => s.hash === hash,
        ),
      { what: "alice's folder in bob's friends' shares", timeoutMs: 120_000 },
    );
    await bob.rest.post('/v1/torrents', { hash });

    ({ page, pageErrors } = await openWebUi(cleanup, bob, { viewport: { width: 1280, height: 1000 } }));
  });

  afterAll(() => cleanup.run());

  const details = () => page.getByRole('region', { name: folder });

  it('opens the details with the keyboard and lists the connected peer as the api does', async () => {
    await page.locator('.trow.torrent', { hasText: folder }).waitFor();
    const body = page.locator('.tbody');
    await page.getByRole('heading', { name: 'Your torrents' }).focus();
    await tabTo(page, body);
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await details().waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('details-title');

    const peers = details().getByRole('region', { name: 'Peers' });
    const row = peers.locator('tbody tr').first();
    await row.waitFor({ timeout: 120_000 });
    const api = await waitFor(
      async () => {
        const r = await bob.rest.get<{ peers: RestPeer[] }>(`/v1/torrents/${hash}/peers`);
        return r.peers.length > 0 && r.peers;
      },
      { what: "bob's peers in the api" },
    );
    // Alice's engine, on loopback (IPv4, or IPv4-mapped when she dialled bob), over TCP, a client
    // name from its peer id; the page shows the address as IPv4.
    expect(api[0]?.address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(api[0]?.transport).toBe('tcp');
    expect(api[0]?.client).not.toBe('');
    // The page refreshes its peers on its own schedule: wait until it shows the api's peer (read
    // at once, the table could still show an older connection, on another port).
    const shown = peers.locator(`tbody tr[data-peer="127.0.0.1:${api[0]?.port}"]`);
    await shown.waitFor();
    expect(await shown.textContent()).toContain('TCP');
    await shot(page, '01-details-peers');
  });

  it("sets a file's priority with the keyboard (its select), as the api then answers", async () => {
    const aIndex = (await bobTorrent()).files.findIndex((f) => f.path.endsWith('a.bin'));
    const select = details().getByRole('combobox', { name: /^Priority of file .*a\.bin$/ });
    expect(await select.inputValue()).toBe('normal');
    await select.focus();
    // High, Normal, Low: one up from Normal (a closed select changes with the arrow keys).
    await page.keyboard.press('ArrowUp');
    await expect
      .poll(async () => (await bobTorrent()).files[aIndex]?.priority, { timeout: UI_TIMEOUT })
      .toBe('high');
    await expect.poll(() => select.inputValue(), { timeout: UI_TIMEOUT }).toBe('high');
    await shot(page, '02-details-file-priority');
  });

  it("leaves a file out with the keyboard; the other file's progress moves until it is complete", async () => {
    const before = await bobTorrent();
    const aliceSide = await alice.rest.get<{ uploadLimit: number | null; uploadedEver?: number }>(
      `/v1/torrents/${hash}`,
    );
    expect(before.done, `still downloading under alice's upload limit: ${JSON.stringify(aliceSide)}`).toBe(
      false,
    );
    const bIndex = before.files.findIndex((f) => f.path.endsWith('b.bin'));
    const aIndex = before.files.findIndex((f) => f.path.endsWith('a.bin'));
    expect(bIndex).toBeGreaterThanOrEqual(0);
    const bBox = details().getByRole('checkbox', { name: /b\.bin$/ });
    await bBox.focus();
    await page.keyboard.press('Space');
    await expect
      .poll(async () => (await bobTorrent()).files[bIndex]?.wanted, { timeout: UI_TIMEOUT })
      .toBe(false);
    // The panel shows it once its next refresh has the engine's answer.
    await expect.poll(() => bBox.isChecked(), { timeout: UI_TIMEOUT }).toBe(false);

    // Live progress of a.bin in the panel: it grows, then is full (the torrent is done without b.bin).
    const aBar = details().getByRole('progressbar', { name: /^Progress of file .*a\.bin$/ });
    const value = () => aBar.evaluate((el) => (el as HTMLProgressElement).value);
    const first = await value();
    await expect.poll(value, { timeout: 120_000 }).toBeGreaterThan(first);
    await shot(page, '02-details-file-progress');
    // Now let a.bin finish: alice lifts her limit (b.bin is no longer wanted, so only a.bin completes).
    const lifted = await alice.rest.request<{ torrent: { uploadLimit: number | null } }>(
      'PATCH',
      `/v1/torrents/${hash}/limits`,
      { uploadLimit: FAST },
    );
    expect(lifted.torrent.uploadLimit).toBe(FAST);
    await expect.poll(value, { timeout: 180_000 }).toBe(FILE_BYTES);
    const after = await waitFor(
      async () => {
        const t = await bobTorrent();
        return t.done && t;
      },
      { what: 'bob done with a.bin', timeoutMs: 60_000 },
    );
    expect(after.files[aIndex]?.downloaded).toBe(FILE_BYTES);
    expect(after.files[bIndex]?.wanted).toBe(false);
    expect(after.files[bIndex]?.downloaded).toBeLessThan(FILE_BYTES);
  });

  it('adds and removes a label with the keyboard', async () => {
    const labels = details().getByRole('region', { name: 'Labels' });
    const field = labels.getByLabel('New label');
    await field.focus();
    await page.keyboard.type('concerts');
    await page.keyboard.press('Enter');
    await labels.getByRole('button', { name: 'Remove label concerts' }).waitFor();
    expect((await bobTorrent()).labels).toEqual(['concerts']);
    await field.focus();
    await page.keyboard.type('2026');
    await page.keyboard.press('Enter');
    await labels.getByRole('button', { name: 'Remove label 2026' }).waitFor();
    expect((await bobTorrent()).labels).toEqual(['concerts', '2026']);

    // The api's rule, said before asking: no commas.
    await field.focus();
    await page.keyboard.type('a,b');
    await page.keyboard.press('Enter');
    await expect.poll(() => labels.getByRole('alert').textContent()).toMatch(/comma/);
    await field.fill('');
    await shot(page, '03-details-labels');

    await tabTo(page, labels.getByRole('button', { name: 'Remove label concerts' }));
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await bobTorrent()).labels).toEqual(['2026']);
    await labels.getByRole('button', { name: 'Remove label concerts' }).waitFor({ state: 'detached' });
    // The list's label filter offers it.
    await page.getByRole('search').getByLabel('Label').waitFor();
  });

  it('sets seeding limits: a ratio of its own, never stop when idle, then back to the settings', async () => {
    const form = details().getByRole('form', { name: 'Stop seeding' });
    const ratioMode = form.getByLabel('By ratio');
    await ratioMode.focus();
    await ratioMode.selectOption('single');
    const ratio = form.getByLabel('Ratio (uploaded ÷ size)');
    await ratio.focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('1.5');
    await form.getByLabel('When idle').selectOption('unlimited');
    await ratio.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await bobTorrent()).seedLimits, { timeout: UI_TIMEOUT })
      .toMatchObject({ ratioMode: 'single', ratio: 1.5, idleMode: 'unlimited' });
    await shot(page, '04-details-seed-limits');

    // A wrong ratio is refused on the page, the api keeps the last one.
    await ratio.fill('lots');
    await form.getByRole('button', { name: 'Save seeding limits' }).click();
    await expect.poll(() => form.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toMatch(/Ratio/);
    expect((await bobTorrent()).seedLimits).toMatchObject({ ratioMode: 'single', ratio: 1.5 });

    await ratioMode.selectOption('global');
    await form.getByLabel('When idle').selectOption('global');
    await form.getByRole('button', { name: 'Save seeding limits' }).click();
    await expect
      .poll(async () => (await bobTorrent()).seedLimits, { timeout: UI_TIMEOUT })
      .toMatchObject({ ratioMode: 'global', idleMode: 'global' });
  });

  it('fits 375 px with the details open: no horizontal scroll (the peers table scrolls in its box)', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await details().getByRole('region', { name: 'Peers' }).locator('tbody tr').first().waitFor();
    const widths = await contentWidths(page);
    expect(widths.content).toBeLessThanOrEqual(widths.viewport);
    await shot(page, '05-details-375');
  });

  it('raised no page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
