/// <reference lib="dom" />
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bencode from 'bencode';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  openWebUi,
  startFriends,
  UI_TIMEOUT,
  waitFor,
  type BitweenNode,
  screenshots,
} from '../harness/index.js';

const { shot } = screenshots('web-ui-list', { fullPage: false });
const ENGINE_ID = 'list-alice-engine-1';
const COUNT = Number(process.env['BITWEEN_WEB_LIST_TORRENTS'] ?? 5000);

/**
 * Many torrents, cheaply: the engine's own state (one record and one .torrent per torrent, the
 * format it restores from after a restart) written for tiny files already in a share root, then
 * the engine restarted so it loads and seeds them all. Sharing each through the api hashes and
 * announces them one by one (~5 per second on this machine: 15 minutes for 5,000).
 */
async function seedTorrents(node: BitweenNode, dir: string, names: string[]): Promise<void> {
  await node.engine.stop();
  const stateDir = join(node.dirs.state, ENGINE_ID);
  await mkdir(stateDir, { recursive: true });
  const now = Date.now();
  await Promise.all(
    names.map(async (name, i) => {
      const content = Buffer.from(`${name}\n`);
      const info = {
        length: content.length,
        name,
        'piece length': 16384,
        pieces: createHash('sha1').update(content).digest(),
      };
      const hash = createHash('sha1').update(bencode.encode(info)).digest('hex');
      const record = { hash, source: 'path', savePath: dir, addedAt: now - (names.length - i) * 1000 };
      await writeFile(join(stateDir, `${hash}.torrent`), bencode.encode({ info }));
      await writeFile(join(stateDir, `${hash}.json`), JSON.stringify(record));
    }),
  );
  await node.restart('engine', { readyTimeoutMs: 600_000 });
}

/** Torrent rows in the DOM (the grid renders only those in view). */
const domRows = (page: Page) => page.locator('.tspace .trow').count();

/** The toolbar's count ("5000 torrents", "1 of 5000 torrents"). */
const countText = (page: Page) => page.locator('.toolbar .count').textContent();

/** The name in the row the grid has selected. */
const selectedName = (page: Page) => page.locator('.trow.selected .c-name').textContent();

describe('web UI: a list of many torrents', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;

  beforeAll(async () => {
    ({
      nodes: [alice],
    } = await startFriends(cleanup, ['alice'], { label: 'list' }));
    const dir = join(alice.dirs.shares, 'many');
    await mkdir(dir);
    const names = Array.from({ length: COUNT }, (_, i) => `item-${String(i + 1).padStart(5, '0')}.txt`);
    await Promise.all(names.map((n) => writeFile(join(dir, n), `${n}\n`)));
    const t0 = Date.now();
    await seedTorrents(alice, dir, names);
    console.log(`seeded ${COUNT} in ${Date.now() - t0} ms`);
    await waitFor(
      async () => (await alice.rest.get<{ torrents: unknown[] }>('/v1/torrents')).torrents.length === COUNT,
      { what: `${COUNT} torrents listed`, timeoutMs: 600_000, intervalMs: 1000 },
    );
    console.log(`listed ${COUNT} after ${Date.now() - t0} ms`);
  }, 900_000);

  afterAll(() => cleanup.run());

  let page: Page;
  let pageErrors: string[] = [];
  const name = (n: number) => `item-${String(n).padStart(5, '0')}.txt`;

  it(`shows ${COUNT} torrents with a few dozen rows in the DOM, at the top and at the end`, async () => {
    ({ page, pageErrors } = await openWebUi(cleanup, alice));
    const grid = page.getByRole('grid', { name: 'Torrents' });
    await expect
      .poll(() => grid.getAttribute('aria-rowcount'), { timeout: UI_TIMEOUT })
      .toBe(String(COUNT + 1));
    await expect.poll(() => countText(page), { timeout: UI_TIMEOUT }).toBe(`${COUNT} torrents`);
    // Newest first: the last one added is on top.
    await page.locator('.trow.torrent', { hasText: name(COUNT) }).waitFor();
    expect(await domRows(page)).toBeLessThan(80);
    await shot(page, '01-top');

    await page.locator('.tbody').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator('.trow.torrent', { hasText: name(1) }).waitFor();
    expect(await domRows(page)).toBeLessThan(80);
    await shot(page, '02-scrolled-to-end');
    await page.locator('.tbody').evaluate((el) => el.scrollTo(0, el.scrollHeight / 2));
    await expect.poll(() => page.locator('.trow.torrent', { hasText: name(1) }).count()).toBe(0);
    expect(await domRows(page)).toBeLessThan(80);
  });

  it('moves through the list with the keyboard; Enter opens the details', async () => {
    const body = page.locator('.tbody');
    await page.getByRole('heading', { name: 'Your torrents' }).focus();
    for (let i = 0; i < 30 && !(await body.evaluate((el) => el === document.activeElement)); i++)
      await page.keyboard.press('Tab');
    expect(await body.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Home');
    expect(await selectedName(page)).toBe(name(COUNT));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await selectedName(page)).toBe(name(COUNT - 2));
    await page.keyboard.press('ArrowUp');
    expect(await selectedName(page)).toBe(name(COUNT - 1));
    expect(await body.getAttribute('aria-activedescendant')).toMatch(/^row-[0-9a-f]{40}$/);
    await page.keyboard.press('End');
    expect(await selectedName(page)).toBe(name(1));
    await page.keyboard.press('PageUp');
    const afterPageUp = await selectedName(page);
    expect(afterPageUp).not.toBe(name(1));
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    const details = page.getByRole('region', { name: name(1) });
    await details.waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('details-title');
    await details.getByText('Files to download').waitFor();
    await shot(page, '03-keyboard-details');
    await details.getByRole('button', { name: 'Close details' }).click();
    await details.waitFor({ state: 'detached' });
    expect(await body.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('filters by name and state, sorts by name both ways', async () => {
    const filter = page.getByLabel('Filter by name');
    await filter.fill('04242');
    await expect.poll(() => countText(page)).toBe(`1 of ${COUNT} torrents`);
    expect(await domRows(page)).toBe(1);
    await filter.fill('');
    await page.getByLabel('State').selectOption('paused');
    await expect.poll(() => countText(page)).toBe(`0 of ${COUNT} torrents`);
    await page.getByLabel('State').selectOption('seeding');
    // Every one of them is seeding.
    await expect.poll(() => countText(page)).toBe(`${COUNT} torrents`);
    await page.getByLabel('State').selectOption('all');

    await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
    await expect
      .poll(() => page.locator('.tspace .trow').first().locator('.c-name').textContent())
      .toBe(name(1));
    expect(await page.getByRole('columnheader', { name: /Name/ }).getAttribute('aria-sort')).toBe(
      'ascending',
    );
    await page.getByRole('columnheader', { name: /Name/ }).getByRole('button').click();
    await expect
      .poll(() => page.locator('.tspace .trow').first().locator('.c-name').textContent())
      .toBe(name(COUNT));
    await shot(page, '04-sorted-by-name');
  });

  it('shows an offline banner while the api is down and drops it when it is back, without a reload', async () => {
    const banner = page.getByRole('alert').filter({ hasText: 'Offline' });
    expect(await banner.count()).toBe(0);
    await alice.api.stop();
    await banner.waitFor({ timeout: UI_TIMEOUT });
    expect(await page.title()).toContain('offline');
    await shot(page, '05-offline');
    await alice.restart('api');
    await banner.waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.title()).toBe('bitween');
    // Still the same page, with every torrent.
    await expect.poll(() => countText(page), { timeout: UI_TIMEOUT }).toBe(`${COUNT} torrents`);
  });

  it('adds a .torrent dropped on the page and a magnet link pasted outside a text field', async () => {
    await page.getByLabel('State').selectOption('all');
    const content = Buffer.from('dropped content\n');
    const info = {
      length: content.length,
      name: 'dropped-by-drag.bin',
      'piece length': 16384,
      pieces: createHash('sha1').update(content).digest(),
    };
    const dropped = createHash('sha1').update(bencode.encode(info)).digest('hex');
    const b64 = Buffer.from(bencode.encode({ info })).toString('base64');
    const dataTransfer = await page.evaluateHandle((data) => {
      const dt = new DataTransfer();
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], 'dropped.torrent', { type: 'application/x-bittorrent' }));
      return dt;
    }, b64);
    await page.dispatchEvent('main', 'dragenter', { dataTransfer });
    await page.locator('.dropzone').waitFor();
    await shot(page, '06-dropzone');
    await page.dispatchEvent('main', 'dragover', { dataTransfer });
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    await page.locator('.dropzone').waitFor({ state: 'detached' });
    await page.getByLabel('Filter by name').fill('dropped-by-drag');
    await page.locator('.trow.torrent', { hasText: 'dropped-by-drag.bin' }).waitFor();
    await waitFor(
      async () =>
        (await alice.rest.get<{ torrents: { hash: string }[] }>('/v1/torrents')).torrents.some(
          (t) => t.hash === dropped,
        ),
      { what: 'the dropped torrent in the listing' },
    );

    const pasted = createHash('sha1').update('pasted').digest('hex');
    await page.getByRole('heading', { name: 'Your torrents' }).focus();
    await page.evaluate((magnet) => {
      const dt = new DataTransfer();
      dt.setData('text/plain', magnet);
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
    }, `magnet:?xt=urn:btih:${pasted}&dn=pasted-magnet`);
    await page.getByLabel('Filter by name').fill(pasted.slice(0, 10));
    await page.locator(`.trow.torrent[data-hash="${pasted}"]`).waitFor();
    await shot(page, '07-added');
    await page.getByLabel('Filter by name').fill('');
  });

  it('raised no page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
