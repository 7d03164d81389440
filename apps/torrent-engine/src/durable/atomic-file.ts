import { open } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Replace `target` with `data` so that a crash at any moment leaves either the old or the new
 * content, never a mix: a temp file with a unique name is written and fsynced, renamed over the
 * target, then the folder is fsynced so the rename itself survives a power cut. Writes to the
 * same target from this process are applied one after the other, in call order.
 */
export async function writeFileDurably(target: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomic(
    target,
    typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  );
  await syncDir(path.dirname(target));
}

/** fsync a folder: the renames and removals in it survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Names of the temp files writeFileDurably leaves behind if the process dies mid-write. */
export const isLeftoverTempFile = (name: string) => /\.(json|torrent|resume)\.\d+$|\.\d+\.tmp$/.test(name);
