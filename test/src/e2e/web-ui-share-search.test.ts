/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  openWebUi,
  UI_TIMEOUT,
  screenshots,
  startFriends,
  waitForShare,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  type TorrentsResult,
} from '../harness/index.js';

/*
 * The friends' shares search in Debian's Chromium (playwright-core) against two real nodes: a
 * query that matches no share's name finds the share holding a matching file (its file list
 * fetched from the friend on demand), and a share whose list cannot be fetched is marked, not hidden.
 * Screenshots go to reports/screenshots/web-ui-share-search/.
 */

const { shot } = screenshots('web-ui-share-search');

/** Share `path` (a file or folder) at `node`; its hash. */
async function share(node: BitweenNode, path: string, name: string): Promise<string> {
  expect(await node.rpc.result('bt.add_path', { path })).toBe(true);
  const { torrents } = await node.rpc.result<TorrentsResult>('bt.get_torrents');
  return torrents.find((t) => t.name === name)!.hash;
}

describe("web UI: searching inside friends' shares", () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'websearch' }));
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    const album = join(alice.dirs.shares, 'Album');
    await mkdir(join(album, 'scans'), { recursive: true });
    await writeRandomFile(join(album, '01 intro.flac'), 50_000);
    await writeRandomFile(join(album, 'scans', 'Cover.jpg'), 20_000);
    await writeRandomFile(join(alice.dirs.shares, 'notes.txt'), 1_000);
    const hashes = [
      await share(alice, album, 'Album'),
      await share(alice, join(alice.dirs.shares, 'notes.txt'), 'notes.txt'),
    ];
    for (const h of hashes) await waitForShare(bob, alice, h);
    ({ page, pageErrors } = await openWebUi(cleanup, bob, { path: '/shares', heading: "Friends' shares" }));
  });

  afterAll(() => cleanup.run());

  /** The line that counts what the search shows (the page's other status region holds toasts). */
  const count = { textContent: () => page.locator('p[role="status"]').textContent() };

  it('finds a share by a file inside it and shows the file under its share', async () => {
    await page.getByLabel('Search').pressSequentially('cover', { delay: 50 });
    const inside = page.getByRole('list', { name: 'Files inside Album that match' });
    await inside.waitFor();
    expect(await inside.textContent()).toBe('scans/Cover.jpg');
    // Only the share holding it: notes.txt matches neither by name nor inside.
    await expect.poll(() => page.locator('li.share').count()).toBe(1);
    await expect.poll(() => count.textContent()).toBe('1 of 2 shares matches');
    await shot(page, '01-found-inside');
    // Clearing the search shows every share again, without file paths.
    await page.getByLabel('Search').fill('');
    await expect.poll(() => page.locator('li.share').count()).toBe(2);
    expect(await page.locator('ul.inside').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('marks a share whose file list cannot be fetched, and keeps it listed', async () => {
    const later = join(alice.dirs.shares, 'later.bin');
    await writeRandomFile(later, 1_000);
    await waitForShare(bob, alice, await share(alice, later, 'later.bin'));
    await page.locator('li.share', { hasText: 'later.bin' }).waitFor();
    // Bob's engine stops answering (stopped, not gone: alice's list stays as it is, as does the
    // page): the api's request for the file list times out.
    process.kill(bob.engine.pid, 'SIGSTOP');
    try {
      await page.getByLabel('Search').fill('zebra');
      await expect
        .poll(() => count.textContent(), { timeout: UI_TIMEOUT })
        .toContain('searching inside 1 share…');
      await shot(page, '02-searching-inside');
      const marked = page.locator('li.share', { hasText: 'later.bin' }).locator('.inside-error');
      await marked.waitFor({ timeout: UI_TIMEOUT });
      expect(await marked.textContent()).toMatch(/^Its files could not be searched: timeout: /);
      expect(await count.textContent()).toBe('0 of 3 shares match · 1 more could not be searched inside');
      // The shares searched before are not listed: nothing inside them matches.
      expect(await page.locator('li.share').count()).toBe(1);
      await shot(page, '03-marked');
    } finally {
      process.kill(bob.engine.pid, 'SIGCONT');
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
