import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from './confined-open.js';

export { isInside };

/**
 * Resolve a path for sharing or saving and check it against the share roots (after following
 * symlinks, so a link cannot lead out). No roots means nothing is allowed.
 */
export async function checkAllowed(
  p: string,
  roots: string[],
): Promise<{ ok: true; real: string } | { ok: false; reason: string }> {
  let real: string;
  try {
    real = await realpath(p);
  } catch {
    return { ok: false, reason: `${p} does not exist` };
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => path.resolve(r))));
  if (realRoots.some((r) => isInside(r, real))) return { ok: true, real };
  return {
    ok: false,
    reason: `${p} is outside the share roots (${roots.join(', ')}); add a root to BITWEEN_SHARE_ROOTS to share it`,
  };
}

/**
 * Every file of a torrent must land inside its save path. webtorrent (parse-torrent) already
 * normalises `..` away; this is the check that does not rely on that.
 */
export function filesOutside(savePath: string, files: { path: string }[]): string[] {
  const root = path.resolve(savePath);
  return files.map((f) => f.path).filter((p) => path.isAbsolute(p) || !isInside(root, path.resolve(root, p)));
}
