import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot } from './service.js';

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
