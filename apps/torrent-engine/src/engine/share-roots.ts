/**
 * The share roots as the engine's commands meet them: a path to share must be a readable file or
 * folder below them, a save path a folder below them (created without following a link out),
 * free space is told only for folders below them.
 */
import { access, constants, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { BusError } from '@bitween/messages';
import { mkdirConfined } from '../confined-open.js';
import { checkAllowed, isInside } from '../paths.js';
import type { EngineCore } from './core.js';

/** The real path of `requested` when it may be shared (`not_found`/`failed` otherwise). */
export async function shareablePath(
  core: EngineCore,
  requested: string,
): Promise<{ abs: string; real: string }> {
  const abs = path.resolve(requested);
  const allowed = await checkAllowed(abs, core.opts.shareRoots);
  if (!allowed.ok)
    throw new BusError(allowed.reason.includes('does not exist') ? 'not_found' : 'failed', allowed.reason);
  const real = allowed.real;
  const info = await stat(real);
  if (!info.isFile() && !info.isDirectory())
    throw new BusError('failed', `${abs} is neither a file nor a folder`);
  try {
    await access(real, constants.R_OK);
  } catch {
    throw new BusError('failed', `${abs} is not readable by the engine`);
  }
  return { abs, real };
}

/** The real path of a download's save folder (the download dir when unset), created if missing. */
export async function saveFolder(core: EngineCore, savePath: string | undefined): Promise<string> {
  const dir = path.resolve(savePath ?? core.opts.downloadDir);
  const roots = core.opts.shareRoots;
  if (!roots.some((r) => isInside(path.resolve(r), dir))) {
    throw new BusError(
      'failed',
      `${dir} is outside the download dir and the share roots (${roots.join(', ')}): cannot save there`,
    );
  }
  try {
    // Never through a symbolic link out of the roots (confined-open.ts).
    await mkdirConfined(core.realRoots, dir);
  } catch (err) {
    throw new BusError('failed', `cannot create ${dir}: ${(err as Error).message}`);
  }
  const allowed = await checkAllowed(dir, roots);
  if (!allowed.ok) throw new BusError('failed', allowed.reason);
  return allowed.real;
}

/** Free and total bytes of the file system of a folder below the share roots. */
export async function freeSpace(
  core: EngineCore,
  requested: string,
): Promise<{ path: string; free: number; total: number }> {
  const abs = path.resolve(requested);
  const allowed = await checkAllowed(abs, core.opts.shareRoots);
  if (!allowed.ok) throw new BusError('failed', allowed.reason);
  const fs = await statfs(allowed.real);
  return { path: abs, free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
}
