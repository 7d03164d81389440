import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { Cleanup } from './cleanup.js';
import { repoRoot } from './service.js';

/** Debian's Chromium, unless BITWEEN_CHROMIUM names another. */
const CHROMIUM = process.env['BITWEEN_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Default timeout of the pages' actions and waits (a busy 2-core machine). */
export const UI_TIMEOUT = 60_000;

export interface Viewport {
  width: number;
  height: number;
}

export interface WebBrowser {
  browser: Browser;
  /**
   * Exceptions and Content-Security-Policy violations of every page opened by `newPage`, as they
   * happen: a test expects it empty.
   */
  pageErrors: string[];
  /** A page in a context of its own (own storage), actions timing out after `UI_TIMEOUT`. Default viewport 1280×900. */
  newPage: (opts?: { viewport?: Viewport }) => Promise<Page>;
}

/** Chromium (closed by `cleanup`); `args`: more command-line flags. */
export async function launchChromium(
  cleanup: Cleanup,
  { args = [] }: { args?: string[] } = {},
): Promise<WebBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...args] });
  cleanup.add('chromium', () => browser.close());
  const pageErrors: string[] = [];
  return {
    browser,
    pageErrors,
    async newPage({ viewport = { width: 1280, height: 900 } } = {}) {
      const ctx = await browser.newContext({ viewport });
      cleanup.add('browser context', () => ctx.close());
      ctx.setDefaultTimeout(UI_TIMEOUT);
      const page = await ctx.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && /Content.Security.Policy/i.test(msg.text()))
          pageErrors.push(msg.text());
      });
      return page;
    },
  };
}

export interface LogInOptions {
  /** Where the page opens (the login form shows first wherever it is); default `/`. */
  path?: string;
  /** The heading to wait for once logged in; default "Your torrents". */
  heading?: string;
}

/** Open the web UI of `node` (an api) at `path`, log in with its API key and wait for `heading`. */
export async function logIn(
  page: Page,
  node: { apiUrl: string; apiKey: string },
  { path = '/', heading = 'Your torrents' }: LogInOptions = {},
): Promise<void> {
  await page.goto(`${node.apiUrl}${path}`);
  await page.getByLabel('API key').fill(node.apiKey);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: heading }).waitFor();
}

/**
 * The usual start of a web UI test: Chromium (`launchChromium`), one page (`viewport`), logged in
 * to `node`'s web UI (`logIn`: `path`, `heading`).
 */
export async function openWebUi(
  cleanup: Cleanup,
  node: { apiUrl: string; apiKey: string },
  opts: LogInOptions & { viewport?: Viewport; args?: string[] } = {},
): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  const { browser, pageErrors, newPage } = await launchChromium(cleanup, opts);
  const page = await newPage(opts);
  await logIn(page, node, opts);
  return { browser, page, pageErrors };
}

/**
 * How wide the page's content is against the window. The web UI's html and body clip horizontal
 * overflow, so the document's own scroll width always equals the window's and tells nothing; the
 * body's scroll width still includes whatever sticks out.
 */
export async function contentWidths(page: Page): Promise<{ content: number; viewport: number }> {
  return page.evaluate(() => ({
    content: Math.max(document.body.scrollWidth, document.documentElement.scrollWidth),
    viewport: document.documentElement.clientWidth,
  }));
}

/** Press Tab until `target` has the focus (keyboard-only operation), at most `max` times. */
export async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/**
 * Screenshots of one test file under reports/screenshots/<name>/ (run-time output, not committed):
 * `shot(page, 'step')` writes step.png, the whole page unless `fullPage: false`.
 */
export function screenshots(
  name: string,
  { fullPage = true }: { fullPage?: boolean } = {},
): { dir: string; shot: (page: Page, step: string) => Promise<void> } {
  const dir = join(repoRoot, 'reports', 'screenshots', name);
  let made: Promise<unknown> | undefined;
  return {
    dir,
    async shot(page, step) {
      await (made ??= mkdir(dir, { recursive: true }));
      await page.screenshot({ path: join(dir, `${step}.png`), fullPage });
    },
  };
}
