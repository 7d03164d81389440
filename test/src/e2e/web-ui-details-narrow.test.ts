/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  openWebUi,
  screenshots,
  startFriends,
  waitFor,
  writeRandomFile,
  type BitweenNode,
} from '../harness/index.js';

/*
 * The details panel of a torrent with several long file names at 375 px, in Debian's Chromium:
 * every file name gets a readable line (not one letter per line beside its controls), nothing
 * sticks out of the panel, and a toast shown at the end of the page sits below the files instead
 * of covering them. Screenshots: reports/screenshots/web-ui-details-narrow/.
 */

const { shot } = screenshots('web-ui-details-narrow', { fullPage: false });
const FOLDER = 'concert';
const NAMES = [
  'a-rather-long-file-name-of-a-concert-recording-2026-part-one.flac',
  'AnUnbrokenFileNameWithoutAnySpacesOrDashesThatMustStillWrap.mkv',
  'b.bin',
];

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
}

describe('web UI details panel at 375 px with a multi-file torrent', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({
      nodes: [alice],
    } = await startFriends(cleanup, ['alice'], { label: 'webnarrow' }));
    const folder = join(alice.dirs.shares, FOLDER);
    await mkdir(folder);
    for (const name of NAMES) await writeRandomFile(join(folder, name), 64 * 1024);
    const shared = await alice.rest.post<{ torrent: { hash: string } }>('/v1/torrents', { path: folder });
    await waitFor(
      async () =>
        (await alice.rest.get<{ state: string }>(`/v1/torrents/${shared.torrent.hash}`)).state === 'seeding',
      { what: 'alice seeding the folder', timeoutMs: 120_000 },
    );
    ({ page, pageErrors } = await openWebUi(cleanup, alice, { viewport: { width: 375, height: 812 } }));
  });

  afterAll(() => cleanup.run());

  const details = () => page.getByRole('region', { name: FOLDER });
  const files = () => details().locator('fieldset.files');

  it('gives each file name a readable line and keeps the files inside the panel', async () => {
    await page.locator('.trow.torrent', { hasText: FOLDER }).getByRole('button', { name: /Files/ }).click();
    await files()
      .locator('li')
      .nth(NAMES.length - 1)
      .waitFor();
    await files().scrollIntoViewIfNeeded();
    await shot(page, '01-files-375');
    const layout = await page.evaluate(() => {
      const box = (el: Element): Box => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width };
      };
      const panel = document.querySelector('.details')!;
      const list = document.querySelector('.details fieldset.files')!;
      return {
        bodyScroll: document.body.scrollWidth,
        viewport: document.documentElement.clientWidth,
        panel: box(panel),
        list: box(list),
        rows: [...list.querySelectorAll('li')].map((li) => ({
          row: box(li),
          label: box(li.querySelector('label.check')!),
          name: box(li.querySelector('.path')!),
          lineHeight: parseFloat(getComputedStyle(li.querySelector('.path')!).lineHeight),
          controls: [...li.querySelectorAll('select, progress, button')].map(box),
        })),
      };
    });
    // Nothing wider than the window (the body clips its overflow, so its own scroll width tells).
    expect(layout.bodyScroll).toBeLessThanOrEqual(layout.viewport);
    // The files' box stays inside the panel, and every control inside the files' box.
    expect(layout.list.right).toBeLessThanOrEqual(layout.panel.right + 0.5);
    expect(layout.rows).toHaveLength(NAMES.length);
    for (const r of layout.rows) {
      // A name has at least half its row (not a letter-wide column beside the controls)…
      expect(r.label.width).toBeGreaterThan(r.row.width / 2);
      // …and so takes a few lines at most: these names are ~65 characters.
      expect(r.name.bottom - r.name.top).toBeLessThanOrEqual(4 * r.lineHeight);
      for (const c of r.controls) expect(c.right).toBeLessThanOrEqual(layout.list.right + 0.5);
    }
  });

  it('shows a toast at the end of the page below the panel and above the status bar, covering neither', async () => {
    const form = details().getByRole('form', { name: 'Stop seeding' });
    // A toast lasts 8 s: measured in the page right after it shows (again if it was gone by then).
    const boxes = await waitFor(
      async () => {
        await form.getByRole('button', { name: 'Save seeding limits' }).click();
        await page.locator('.toast').waitFor();
        return page.evaluate(() => {
          window.scrollTo(0, document.documentElement.scrollHeight);
          const toast = document.querySelector('.toast');
          if (!toast) return null;
          const bottomOf = (el: Element) => el.getBoundingClientRect().bottom;
          return {
            toastTop: toast.getBoundingClientRect().top,
            toastBottom: bottomOf(toast),
            panelBottom: bottomOf(document.querySelector('.details')!),
            statusTop: document.querySelector('.statusbar')!.getBoundingClientRect().top,
            viewport: document.documentElement.clientHeight,
          };
        });
      },
      { what: 'a toast measured at the end of the page' },
    );
    await shot(page, '02-toast-at-the-end');
    expect(boxes.toastTop).toBeGreaterThanOrEqual(boxes.panelBottom);
    expect(boxes.toastBottom).toBeLessThanOrEqual(boxes.statusTop + 0.5);
    expect(boxes.statusTop).toBeLessThan(boxes.viewport);
  });

  it('raised no page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
