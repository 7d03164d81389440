import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BareJid, InfoHash, Label, RateLimit, SeedLimits, Sha256, TrackerUrl } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { z } from 'zod';
import writeFileAtomic from 'write-file-atomic';
import { isLeftoverTempFile, syncDir, writeFileDurably } from './durable/atomic-file.js';
import { inParallel } from './durable/in-parallel.js';

/** Files written or removed at once by the batch methods (their fsyncs overlap). */
const WRITES_IN_FLIGHT = 16;
/** Torrents `load` reads at once. */
const READS_IN_FLIGHT = 16;

/** What the engine needs to bring a torrent back after a restart. */
export const TorrentRecord = z.object({
  hash: InfoHash,
  /** `path`: shared from this host (seeded in place); `hash`: downloaded from friends. */
  source: z.enum(['path', 'hash']),
  savePath: z.string().min(1),
  addedAt: z.number().int(),
  /** A single-file share's SHA-256 of its file (base64), hashed with its pieces when it was added. */
  sha256: Sha256.optional(),
  // Controls (all optional: records written before them load as "running, everything wanted,
  // unlimited, no trackers").
  /** Stopped by the user; stays stopped across restarts until resumed. */
  paused: z.boolean().optional(),
  /** Indexes of files not to download (per-file selection). */
  unwanted: z.array(z.number().int().nonnegative()).optional(),
  /** Indexes of files of high / low download priority (the others are normal). */
  highPriority: z.array(z.number().int().nonnegative()).optional(),
  lowPriority: z.array(z.number().int().nonnegative()).optional(),
  downloadLimit: RateLimit.optional(),
  uploadLimit: RateLimit.optional(),
  /** Optional trackers to announce to (none for friend shares). */
  trackers: z.array(TrackerUrl).optional(),
  /** Piece order: in order unless false (rarest first); first and last pieces of each file first. */
  sequential: z.boolean().optional(),
  firstLastPiecesFirst: z.boolean().optional(),
  // Transmission's bookkeeping (folded in at state changes, every minute and at shutdown).
  /** Piece payload received / sent over the torrent's life. */
  downloadedEver: z.number().nonnegative().optional(),
  uploadedEver: z.number().nonnegative().optional(),
  /** ms spent downloading / seeding. */
  downloadingMs: z.number().nonnegative().optional(),
  seedingMs: z.number().nonnegative().optional(),
  completedAt: z.number().int().optional(),
  activityAt: z.number().int().optional(),
  labels: z.array(Label).optional(),
  /** The friends whose share it was downloaded from (bare JIDs, when it was added). */
  friends: z.array(BareJid).optional(),
  seedLimits: SeedLimits.optional(),
  /** Stopped by its seeding limit (with `paused`). */
  finished: z.boolean().optional(),
  /** Queue order after a queue move (the time added otherwise). */
  queueOrder: z.number().optional(),
  /**
   * A move of its data under way (set-location): where to, and whether it was paused before.
   * Written before the first file moves; `savePath` becomes `to` (and this goes) only once every
   * file is there, so a start finds an unfinished move here and finishes it.
   */
  moving: z.object({ to: z.string().min(1), paused: z.boolean() }).optional(),
});
export type TorrentRecord = z.infer<typeof TorrentRecord>;

export interface StoredTorrent {
  record: TorrentRecord;
  /** The .torrent (metadata), once known. */
  torrentFile: Uint8Array | null;
}

/**
 * One JSON record and (once the metadata is known) one .torrent file per torrent, written
 * the moment they change (temp file, fsync, rename, fsync of the folder: a crash or power cut
 * never leaves half a file). The record is what makes a torrent exist: it is written after its
 * .torrent and removed before it, and files of a torrent without a record are cleaned up on load.
 * The original saved torrents only at a clean shutdown.
 */
export class StateStore {
  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async save(record: TorrentRecord): Promise<void> {
    await this.#atomicWrite(`${record.hash}.json`, JSON.stringify(record, null, 2));
  }

  async saveMetadata(hash: string, torrentFile: Uint8Array): Promise<void> {
    await this.#atomicWrite(`${hash}.torrent`, torrentFile);
  }

  /**
   * Save many torrents at once (a takeover's batch), as durably as `save` and `saveMetadata`
   * one by one but without their cost per torrent: the files are written in parallel (each
   * fsynced before its rename) and the folder is fsynced once for the .torrent files, then once
   * for the records (a record still lands after its .torrent).
   */
  async saveAll(torrents: readonly StoredTorrent[]): Promise<void> {
    const withMetadata = torrents.filter((t) => t.torrentFile !== null);
    await inParallel(withMetadata, WRITES_IN_FLIGHT, (t) =>
      writeFileAtomic(path.join(this.dir, `${t.record.hash}.torrent`), Buffer.from(t.torrentFile!)),
    );
    if (withMetadata.length > 0) await syncDir(this.dir);
    await inParallel(torrents, WRITES_IN_FLIGHT, (t) =>
      writeFileAtomic(path.join(this.dir, `${t.record.hash}.json`), JSON.stringify(t.record, null, 2)),
    );
    if (torrents.length > 0) await syncDir(this.dir);
  }

  /** `remove` for many torrents, in parallel. */
  async removeAll(hashes: readonly string[]): Promise<void> {
    await inParallel(hashes, WRITES_IN_FLIGHT, (hash) => this.remove(hash));
  }

  async remove(hash: string): Promise<void> {
    await rm(path.join(this.dir, `${hash}.json`), { force: true });
    await rm(path.join(this.dir, `${hash}.torrent`), { force: true });
    await rm(path.join(this.dir, `${hash}.resume`), { force: true });
  }

  /** Every valid record; an unreadable one is set aside as `.corrupt` and logged, never fatal. */
  async load(): Promise<StoredTorrent[]> {
    const all = await readdir(this.dir);
    await this.#cleanUp(all);
    // Only `<hash>.json`: other files may live here (e.g. the watch folder's ledger).
    const names = all.filter((n) => /^[0-9a-f]{40}\.json$/.test(n)).sort();
    // Read several at a time (a restart of thousands of torrents waited for each read in turn).
    const loaded = await inParallel(names, READS_IN_FLIGHT, (name) => this.#loadOne(name));
    return loaded.filter((t): t is StoredTorrent => t !== null);
  }

  async #loadOne(name: string): Promise<StoredTorrent | null> {
    const file = path.join(this.dir, name);
    let record: TorrentRecord;
    try {
      record = TorrentRecord.parse(JSON.parse(await readFile(file, 'utf8')));
      if (`${record.hash}.json` !== name) throw new Error('file name does not match its hash');
    } catch (err) {
      this.log.error({ file, err }, 'unreadable torrent record set aside');
      await rename(file, `${file}.corrupt`).catch(() => undefined);
      return null;
    }
    const torrentFile = await readFile(path.join(this.dir, `${record.hash}.torrent`)).catch(() => null);
    return { record, torrentFile: torrentFile ? new Uint8Array(torrentFile) : null };
  }

  /** Temp files of writes a crash interrupted, and .torrent/.resume files whose record is gone. */
  async #cleanUp(names: string[]): Promise<void> {
    const records = new Set(
      names.filter((n) => /^[0-9a-f]{40}\.json(\.corrupt)?$/.test(n)).map((n) => n.slice(0, 40)),
    );
    for (const name of names) {
      const orphan = /^[0-9a-f]{40}\.(torrent|resume)$/.test(name) && !records.has(name.slice(0, 40));
      if (!orphan && !isLeftoverTempFile(name)) continue;
      this.log.debug(
        { file: name },
        orphan ? 'removing a file without record' : 'removing an interrupted write',
      );
      await rm(path.join(this.dir, name), { force: true });
    }
  }

  async #atomicWrite(name: string, data: string | Uint8Array): Promise<void> {
    await writeFileDurably(path.join(this.dir, name), data);
  }
}
