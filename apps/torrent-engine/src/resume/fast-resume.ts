import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@bitween/bus';
import type { Torrent } from 'webtorrent';
import { writeFileDurably } from '../durable/atomic-file.js';
import { concurrencyLimit } from '../durable/in-parallel.js';
import { firstChanged, stampFiles } from './file-stamps.js';
import { ResumeData, countPieces, decodeBitfield, encodeBitfield } from './resume-data.js';

export type StartupDecision =
  { kind: 'resume'; bitfield: Uint8Array; have: number; pieces: number } | { kind: 'verify'; reason: string };

export interface FastResumeOptions {
  /** Save this long after the last newly verified piece… */
  quietMs: number;
  /** …but no later than this after the first unsaved one. */
  maxDelayMs: number;
}

/** What is saved for one torrent: taken from the live torrent, written after its files are stamped. */
interface Snapshot {
  hash: string;
  savePath: string;
  pieces: number;
  bitfield: Uint8Array;
  files: string[];
}

interface Tracked {
  torrent: Torrent;
  savePath: string;
  timer: NodeJS.Timeout | null;
  firstDirty: number;
  lastDirty: number;
  writing: Promise<void> | null;
  again: boolean;
  forgotten: boolean;
  /** The bitfield on disk: an unchanged bitfield is not written again. */
  saved: Uint8Array | null;
}

/**
 * Resume files written at once (each stats the torrent's files, then writes, fsyncs and renames):
 * a restart or shutdown of 50,000 torrents wrote them all in parallel, ran out of file
 * descriptors (EMFILE) and lost most of them, so the next start verified those torrents again.
 */
export const RESUME_WRITES_AT_ONCE = 16;

/**
 * Fast resume: keeps `<hash>.resume` (the verified-piece bitfield and the size and mtime of the
 * torrent's files) up to date, and hands the bitfield back at start-up while the files are
 * unchanged, so a restart does not re-hash data it already verified. A file that changed size or
 * mtime since the save (or is missing) means full verification, as without resume data.
 *
 * Saved: shortly after pieces are verified (debounced), at once when a torrent completes or
 * finishes checking, and at shutdown (taken before the client stops, written after). Only a
 * torrent that finished checking is saved, so a half-done check is never mistaken for the truth.
 */
export class FastResume {
  readonly #tracked = new Map<string, Tracked>();
  readonly #writes = concurrencyLimit(RESUME_WRITES_AT_ONCE);
  #closed = false;

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly opts: FastResumeOptions = { quietMs: 2_000, maxDelayMs: 10_000 },
  ) {}

  /** Whether the torrent can start from its saved bitfield; logs the decision. */
  async startup(hash: string, savePath: string): Promise<StartupDecision> {
    const decision = await this.#decide(hash, savePath);
    if (decision.kind === 'resume') {
      this.log.info({ hash, pieces: decision.pieces, have: decision.have }, 'fast resume');
    } else {
      this.log.info({ hash, reason: decision.reason }, 'verifying data');
    }
    return decision;
  }

  async #decide(hash: string, savePath: string): Promise<StartupDecision> {
    let raw: string;
    try {
      raw = await readFile(this.#file(hash), 'utf8');
    } catch {
      return { kind: 'verify', reason: 'no resume data' };
    }
    let data: ResumeData;
    try {
      data = ResumeData.parse(JSON.parse(raw));
      if (data.hash !== hash) throw new Error('resume data of another torrent');
    } catch (err) {
      this.log.warn({ hash, err }, 'unreadable resume data ignored');
      return { kind: 'verify', reason: 'unreadable resume data' };
    }
    const bitfield = decodeBitfield(data);
    if (!bitfield || data.stamps.length !== data.files.length) {
      return { kind: 'verify', reason: 'resume data does not fit the torrent' };
    }
    const changed = firstChanged(data.files, data.stamps, await stampFiles(savePath, data.files));
    if (changed !== null)
      return { kind: 'verify', reason: `${changed} changed since the resume data was saved` };
    return { kind: 'resume', bitfield, have: countPieces(bitfield, data.pieces), pieces: data.pieces };
  }

  /**
   * Follow a torrent: save its bitfield as pieces are verified and when it completes.
   * `resumedFrom` is the bitfield it was started with, already on disk.
   */
  track(hash: string, torrent: Torrent, savePath: string, resumedFrom?: Uint8Array): void {
    const t: Tracked = {
      torrent,
      savePath,
      timer: null,
      firstDirty: 0,
      lastDirty: 0,
      writing: null,
      again: false,
      forgotten: false,
      saved: resumedFrom ?? null,
    };
    this.#tracked.set(hash, t);
    torrent.on('verified', () => this.#dirty(hash, t));
    torrent.once('ready', () => this.#flush(hash, t));
    torrent.on('done', () => this.#flush(hash, t));
  }

  /** Stop following a removed torrent and delete its resume data. */
  async forget(hash: string): Promise<void> {
    const t = this.#tracked.get(hash);
    if (t) {
      t.forgotten = true;
      if (t.timer) clearTimeout(t.timer);
      this.#tracked.delete(hash);
      if (t.writing) await t.writing;
    }
  }

  /**
   * At shutdown, before the client stops: no more saves, and the bitfields of all checked
   * torrents as they are now. Pass the result to `write` once the client has stopped.
   */
  snapshot(): Snapshot[] {
    this.#closed = true;
    const out: Snapshot[] = [];
    for (const [hash, t] of this.#tracked) {
      if (t.timer) clearTimeout(t.timer);
      t.timer = null;
      const s = this.#snapshot(hash, t);
      if (s) out.push(s);
    }
    return out;
  }

  /** Write snapshots taken by `snapshot` (after any save still under way) that differ from the saved ones. */
  async write(snapshots: Snapshot[]): Promise<void> {
    await Promise.all([...this.#tracked.values()].flatMap((t) => (t.writing ? [t.writing] : [])));
    const changed = snapshots.filter((s) => {
      const saved = this.#tracked.get(s.hash)?.saved;
      return !saved || !Buffer.from(saved).equals(s.bitfield);
    });
    await Promise.all(changed.map((s) => this.#write(s)));
  }

  #file(hash: string): string {
    return path.join(this.dir, `${hash}.resume`);
  }

  #dirty(hash: string, t: Tracked): void {
    if (this.#closed || t.forgotten) return;
    const now = Date.now();
    if (t.timer === null) t.firstDirty = now;
    t.lastDirty = now;
    if (t.timer === null) this.#schedule(hash, t, this.opts.quietMs);
  }

  #schedule(hash: string, t: Tracked, ms: number): void {
    t.timer = setTimeout(() => {
      t.timer = null;
      const now = Date.now();
      const quietFor = now - t.lastDirty;
      const waited = now - t.firstDirty;
      if (quietFor >= this.opts.quietMs || waited >= this.opts.maxDelayMs) this.#flush(hash, t);
      else this.#schedule(hash, t, Math.min(this.opts.quietMs - quietFor, this.opts.maxDelayMs - waited));
    }, ms);
    t.timer.unref();
  }

  #flush(hash: string, t: Tracked): void {
    if (this.#closed || t.forgotten) return;
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
    if (t.writing) {
      t.again = true;
      return;
    }
    const snapshot = this.#snapshot(hash, t);
    if (!snapshot || (t.saved && Buffer.from(t.saved).equals(snapshot.bitfield))) return;
    t.writing = this.#write(snapshot, t).finally(() => {
      t.writing = null;
      if (t.again) {
        t.again = false;
        this.#flush(hash, t);
      }
    });
  }

  #snapshot(hash: string, t: Tracked): Snapshot | null {
    const torrent = t.torrent;
    // Before 'ready' the bitfield may be a check still under way: never save that.
    if (t.forgotten || torrent.destroyed || !torrent.ready || !torrent.bitfield) return null;
    const pieces = torrent.pieces.length;
    return {
      hash,
      savePath: t.savePath,
      pieces,
      bitfield: new Uint8Array(torrent.bitfield.buffer.subarray(0, Math.ceil(pieces / 8))),
      files: torrent.files.map((f) => f.path),
    };
  }

  /**
   * Stamps are taken after the bitfield: every piece in the bitfield was on disk before the
   * stamps, so if the files still have these stamps at start-up, the pieces are still there.
   */
  #write(s: Snapshot, t?: Tracked): Promise<void> {
    return this.#writes(() => this.#writeNow(s, t));
  }

  async #writeNow(s: Snapshot, t?: Tracked): Promise<void> {
    try {
      const stamps = await stampFiles(s.savePath, s.files);
      if (t?.forgotten) return;
      const data: ResumeData = {
        version: 1,
        hash: s.hash,
        pieces: s.pieces,
        bitfield: encodeBitfield(s.bitfield),
        files: s.files,
        stamps,
        savedAt: Date.now(),
      };
      await writeFileDurably(this.#file(s.hash), JSON.stringify(data));
      if (t) t.saved = s.bitfield;
      this.log.debug({ hash: s.hash, have: countPieces(s.bitfield, s.pieces) }, 'resume data saved');
    } catch (err) {
      this.log.warn({ hash: s.hash, err }, 'could not save resume data');
    }
  }
}
