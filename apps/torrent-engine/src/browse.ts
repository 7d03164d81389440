import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BusError, type BrowseEntry } from '@bitween/messages';
import { closeFd, isRefusal, openDirConfined, procPath } from './confined-open.js';
import { isInside } from './paths.js';

/** At most this many entries per answer (one NATS message; a person scrolls no further). */
export const MAX_BROWSE_ENTRIES = 1000;

export interface Listing {
  path: string | null;
  parent: string | null;
  roots: string[];
  entries: BrowseEntry[];
  truncated: boolean;
}

interface Root {
  /** As configured (what the user knows). */
  shown: string;
  /** After following symlinks (what containment is checked against). */
  real: string;
}

async function existingRoots(roots: string[]): Promise<Root[]> {
  const found = await Promise.all(
    roots.map(async (r) => {
      const shown = path.resolve(r);
      try {
        return { shown, real: await realpath(shown) };
      } catch {
        return null;
      }
    }),
  );
  const seen = new Set<string>();
  return found.filter((r): r is Root => r !== null && !seen.has(r.real) && Boolean(seen.add(r.real)));
}

/** The entry as the picker shows it, or null when it is neither a file nor a folder or leads outside. */
async function entryOf(dirFd: number, d: Dirent, realRoots: string[]): Promise<BrowseEntry | null> {
  const full = procPath(dirFd, d.name);
  try {
    if (d.isSymbolicLink()) {
      // A link is shown only when its target is inside a root (sharing it would be refused otherwise).
      const target = await realpath(full);
      if (!realRoots.some((r) => isInside(r, target))) return null;
    } else if (!d.isFile() && !d.isDirectory()) {
      return null;
    }
    const info = await stat(full);
    if (info.isDirectory()) return { name: d.name, type: 'dir', size: null };
    if (info.isFile()) return { name: d.name, type: 'file', size: info.size };
    return null;
  } catch {
    return null; // vanished, dangling link, no permission: not pickable
  }
}

/**
 * List `requested` (absolute, on this host) for the path picker: only below the share roots,
 * checked after following symlinks (so `..` and links cannot lead out). Without a path: the roots.
 * The folder is then opened from its root without following links and listed through that
 * descriptor (confined-open.ts), so a folder swapped for a link after the check lists nothing.
 * A link is listed only when it leads inside a root: picking it shares what it points to.
 */
export async function browse(requested: string | undefined, roots: string[]): Promise<Listing> {
  const rootList = await existingRoots(roots);
  const realRoots = rootList.map((r) => r.real);
  const shownRoots = rootList.map((r) => r.shown);
  if (requested === undefined) {
    return {
      path: null,
      parent: null,
      roots: shownRoots,
      entries: shownRoots.map((r) => ({ name: r, type: 'dir', size: null })),
      truncated: false,
    };
  }
  if (!path.isAbsolute(requested))
    throw new BusError('invalid_request', `${requested} is not an absolute path`);
  const abs = path.resolve(requested);
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    throw new BusError('not_found', `${abs} does not exist`);
  }
  if (!realRoots.some((r) => isInside(r, real))) {
    throw new BusError(
      'failed',
      `${abs} is outside the share roots (${shownRoots.join(', ')}); add a root to BITWEEN_SHARE_ROOTS to share it`,
    );
  }
  let dirFd: number;
  let dirents: Dirent[];
  try {
    dirFd = await openDirConfined(realRoots, real);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BusError(
      'failed',
      code === 'ENOTDIR'
        ? `${abs} is not a folder`
        : isRefusal(err)
          ? `cannot read ${abs}: ${err.message}`
          : `cannot read ${abs}: ${code}`,
    );
  }
  try {
    dirents = await readdir(procPath(dirFd), { withFileTypes: true });
  } catch (err) {
    await closeFd(dirFd);
    throw new BusError('failed', `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code}`);
  }
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Stat in small batches: a folder of thousands of entries must not open thousands of handles.
  const entries: BrowseEntry[] = [];
  let next = 0;
  try {
    while (next < dirents.length && entries.length < MAX_BROWSE_ENTRIES) {
      const batch = await Promise.all(
        dirents.slice(next, next + 64).map((d) => entryOf(dirFd, d, realRoots)),
      );
      next += 64;
      for (const e of batch) if (e) entries.push(e);
    }
  } finally {
    await closeFd(dirFd);
  }
  const truncated = next < dirents.length || entries.length > MAX_BROWSE_ENTRIES;
  const listed = entries.slice(0, MAX_BROWSE_ENTRIES);
  listed.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1));
  const atRoot = realRoots.includes(real);
  return {
    path: abs,
    parent: atRoot ? null : path.dirname(abs),
    roots: shownRoots,
    entries: listed,
    truncated,
  };
}
