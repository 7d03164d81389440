import { constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@bitween/runtime';
import { CoreError } from '../core/errors.js';
import type { Core } from '../core/index.js';
import { TrError } from './protocol.js';

export interface LocalMetainfoDeps {
  torrents: Pick<Core['torrents'], 'browse'>;
  log: Logger;
  maxBytes: number;
}

/**
 * Is `folder` (absolute) inside the share roots? The engines are the authority on the roots: they
 * answer `engine.browse` for a folder only when it lies below one, after following symlinks. True,
 * false, or a TrError when no engine answers.
 */
async function insideShareRoots(deps: LocalMetainfoDeps, folder: string): Promise<boolean> {
  try {
    await deps.torrents.browse(folder);
    return true;
  } catch (err) {
    if (!(err instanceof CoreError)) throw err;
    if (err.code === 'unavailable' || err.code === 'timeout') {
      throw new TrError(`torrent-add: service unavailable: ${err.message}`);
    }
    return false;
  }
}

/**
 * The bytes of a .torrent named by a local path in Transmission's `torrent-add`, read only when it
 * lies below the share roots (the same roots REST and the engines use for sharing and saving):
 *
 * 1. the engine confirms the folder the path names is below a root (before anything is opened, so
 *    no device or file elsewhere is even touched);
 * 2. the file is opened (non-blocking: a FIFO cannot hang us) and must be a regular file of at
 *    most `maxBytes`;
 * 3. the real path of what was opened (`/proc/self/fd`) must again be in a folder the engine
 *    confirms: a path swapped for a symlink between 1 and 2 leads nowhere else.
 *
 * Every refusal is the same message (missing, unreadable, outside the roots, not a file, too
 * large): the caller learns nothing about files it may not read. The log has the reason.
 */
export async function readLocalMetainfo(path: string, deps: LocalMetainfoDeps): Promise<Buffer> {
  const refused = (reason: string) => {
    deps.log.info({ path, reason }, 'torrent-add: local .torrent refused');
    return new TrError(
      `cannot add ${path}: not a readable .torrent file below the share roots (files elsewhere are never read)`,
    );
  };
  if (!(await insideShareRoots(deps, dirname(path)))) throw refused('its folder is not below a share root');
  let file;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw refused(`open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw refused('not a regular file');
    if (info.size > deps.maxBytes) throw refused(`${info.size} bytes, more than ${deps.maxBytes}`);
    let real: string;
    try {
      real = await readlink(`/proc/self/fd/${file.fd}`);
    } catch (err) {
      throw refused(`cannot tell where the opened file is: ${(err as Error).message}`);
    }
    if (real !== path && !(await insideShareRoots(deps, dirname(real)))) {
      throw refused(`the opened file is ${real}, in a folder outside the share roots`);
    }
    // Read to the end, but never more than maxBytes + 1 (the file may have grown since fstat).
    const bytes = Buffer.alloc(deps.maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > deps.maxBytes) throw refused(`more than ${deps.maxBytes} bytes`);
    }
    return bytes.subarray(0, length);
  } catch (err) {
    if (err instanceof TrError) throw err;
    throw refused(`read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    await file.close();
  }
}
