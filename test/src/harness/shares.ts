import { join } from 'node:path';
import type { SharesResult, TorrentsResult } from './api-results.js';
import { writeRandomFile } from './files.js';
import type { JsonRpcClient } from './jsonrpc.js';
import { waitFor } from './wait.js';

/** A user's bitween as the tests drive it: a loopback node (`startNode`) or a lab home (`HomeStack`). */
export interface SharingNode {
  user: string;
  jid: string;
  rpc: JsonRpcClient;
  dirs: { shares: string };
}

export interface SharedFile {
  hash: string;
  /** SHA-256 of the content, hex. */
  sha256: string;
  name: string;
  size: number;
  path: string;
}

/** Writes `size` random bytes as `name` into `sharer`'s shares and shares the file (`bt.add_path`). */
export async function shareRandomFile(sharer: SharingNode, name: string, size: number): Promise<SharedFile> {
  const path = join(sharer.dirs.shares, name);
  const sha256 = await writeRandomFile(path, size);
  if ((await sharer.rpc.result('bt.add_path', { path })) !== true)
    throw new Error(`bt.add_path ${path} failed`);
  const { torrents } = await sharer.rpc.result<TorrentsResult>('bt.get_torrents');
  const torrent = torrents.find((t) => t.name === name);
  if (!torrent) throw new Error(`${name} is not in ${sharer.user}'s torrents after bt.add_path`);
  return { hash: torrent.hash, sha256, name, size, path };
}

/** Waits until `hash` is in `sharer`'s list at `viewer` (`xmpp.get_shares`); the endpoints offered with it. */
export function waitForShare(viewer: SharingNode, sharer: SharingNode, hash: string, timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const { shares } = await viewer.rpc.result<SharesResult>('xmpp.get_shares');
      const resource = Object.values(shares[sharer.jid] ?? {}).find((r) =>
        Object.values(r.shares).some((s) => s.hash === hash),
      );
      return resource ? { v4: resource.ip_v4, v6: resource.ip_v6 } : null;
    },
    { what: `${sharer.user}'s share to appear at ${viewer.user}`, timeoutMs, intervalMs: 100 },
  );
}
