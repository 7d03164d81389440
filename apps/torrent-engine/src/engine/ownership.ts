/**
 * Which engine runs a torrent when several share one NATS: the claim when a torrent is added
 * (another engine's view of it when that engine holds it), adopting the torrents of an engine
 * that died, stopping one that a survivor took over while we looked dead.
 */
import { BusError, type TorrentStatus } from '@bitween/messages';
import type { StoredTorrent } from '../state-store.js';
import { attach } from './attach.js';
import type { EngineCore } from './core.js';
import { reschedule } from './run-control.js';
import { torrentStatus } from './status.js';

/** Claim `hash` for this engine; when another engine holds it, that engine's view of it. */
export async function claimOrOwnerView(
  core: EngineCore,
  hash: string,
): Promise<{ torrent: TorrentStatus; created: false } | null> {
  const placement = core.opts.placement;
  if (!placement) return null;
  const claim = await placement.claim(hash);
  if (claim.won) return null;
  // The owner may be adding it this very moment: give it a few seconds to list it.
  for (let i = 0; i < 10; i++) {
    const torrent = await placement.statusAt(claim.owner, hash);
    if (torrent) return { torrent, created: false };
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new BusError('conflict', `torrent ${hash} is held by engine ${claim.owner}, which does not list it`);
}

/**
 * Run torrents another engine ran (it stopped sending heartbeats; this engine won their claims):
 * saved in this engine's state, data verified where it lies (shared volume). A takeover's batch
 * at once: one durable write of the records, one pass over the download queue.
 */
export async function adopt(
  core: EngineCore,
  torrents: readonly StoredTorrent[],
  from: string,
): Promise<void> {
  if (core.stopped) return;
  const fresh = torrents.filter(({ record }) => !core.entries.has(record.hash));
  if (fresh.length === 0) return;
  const entries = fresh.map(({ record, torrentFile }) => attach(core, record, torrentFile, false));
  await core.opts.store.saveAll(fresh);
  for (const entry of entries) {
    core.log.debug({ hash: entry.hash, from, savePath: entry.record.savePath }, 'took over a torrent');
    core.events.emit('added', torrentStatus(entry, core.opts.engineId));
  }
  core.log.info({ from, torrents: entries.length }, 'took over torrents');
  reschedule(core);
}

/** Another engine now runs `hash` (we were presumed dead): stop it here, keep the files. */
export async function drop(core: EngineCore, hash: string, owner: string): Promise<void> {
  const entry = core.entries.get(hash);
  if (!entry) return;
  core.entries.delete(hash);
  entry.trackers?.stop();
  if (entry.torrent && !entry.torrent.destroyed) {
    await core.client.remove(entry.torrent, { destroyStore: false });
  }
  await core.opts.store.remove(hash);
  core.log.warn({ hash, owner }, 'another engine took this torrent over; stopped it here');
  core.events.emit('changed', hash);
  reschedule(core);
}
