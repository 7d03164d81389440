import { lstat, readFile, readdir, realpath, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@bitween/bus';
import { watch, type FSWatcher } from 'chokidar';
import { z } from 'zod';
import { readFileConfined } from './confined-open.js';

/** A dropped .torrent larger than this is not read (the engine takes at most 700 KiB). */
const MAX_TORRENT_BYTES = 1024 * 1024;

export interface WatchFolderOptions {
  dir: string;
  /** An entry is taken once nothing in it changed for this long (it finished copying). */
  stableMs: number;
  /** Where the folder remembers what it already handed over (survives restarts). */
  ledgerFile: string;
  /** Share a file or folder in place; resolves with its info-hash. */
  share: (absPath: string) => Promise<string>;
  /** Add a .torrent (its bytes); resolves with its info-hash. */
  addTorrent: (metainfo: Uint8Array, name: string) => Promise<string>;
  log: Logger;
}

const Ledger = z.record(z.string(), z.object({ hash: z.string(), at: z.number() }));
type Ledger = z.infer<typeof Ledger>;

/** Names that are still being written by common tools, or hidden: never taken. */
export function ignoredName(name: string): boolean {
  return name.startsWith('.') || /\.(part|partial|tmp|crdownload|!qB|added)$/i.test(name);
}

/** The top-level entry of the watch folder that `p` belongs to, or null for the folder itself. */
export function topEntry(dir: string, p: string): string | null {
  const rel = path.relative(dir, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep)[0] ?? null;
}

/**
 * The watch folder: every file or folder dropped at the top level of `dir` is shared in place
 * once it is stable (no change for `stableMs`, checked twice by size and modification time, so a
 * slow copy is not taken half-way); a dropped `.torrent` is added as a download. Each entry is
 * handled once: the ledger remembers it across restarts, so removing its torrent through the api
 * does not bring it back, and removing the entry from the folder forgets it.
 *
 * chokidar (rather than fs.watch) gives one event model for the initial scan and later changes,
 * handles editors' and copy tools' atomic renames, and works the same on every platform.
 *
 * Symbolic links are never followed: a link dropped into the folder is left alone (and logged),
 * whatever it points to; a dropped .torrent is read through a descriptor opened below the folder's
 * real path without following links (confined-open.ts), so a link swapped in for it is refused
 * too. A dropped folder is shared by the engine, which leaves links inside it out.
 */
export class WatchFolder {
  #watcher: FSWatcher | null = null;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #signatures = new Map<string, string>();
  readonly #busy = new Set<string>();
  #ledger: Ledger = {};
  /** The folder's real path, resolved at start (the .torrent files are read below it). */
  #realDir = '';

  constructor(private readonly opts: WatchFolderOptions) {}

  async start(): Promise<void> {
    this.#ledger = await this.#readLedger();
    this.#realDir = await realpath(this.opts.dir).catch(() => path.resolve(this.opts.dir));
    const watcher = watch(this.opts.dir, {
      ignoreInitial: false,
      followSymlinks: false,
      ignored: (p) => {
        const top = topEntry(this.opts.dir, p);
        return top !== null && ignoredName(top);
      },
    });
    this.#watcher = watcher;
    watcher.on('all', (event, p) => this.#onEvent(event, p));
    watcher.on('error', (err) => this.opts.log.warn({ err }, 'watch folder error'));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.opts.log.info({ dir: this.opts.dir, known: Object.keys(this.#ledger).length }, 'watching folder');
  }

  async stop(): Promise<void> {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await this.#watcher?.close();
  }

  #onEvent(event: string, p: string): void {
    const top = topEntry(this.opts.dir, p);
    if (top === null) return;
    const removed = (event === 'unlink' || event === 'unlinkDir') && p === path.join(this.opts.dir, top);
    if (removed) {
      this.#cancel(top);
      if (this.#ledger[top]) {
        delete this.#ledger[top];
        void this.#writeLedger();
      }
      return;
    }
    if (this.#ledger[top]) return;
    this.#arm(top);
  }

  #cancel(top: string): void {
    clearTimeout(this.#timers.get(top));
    this.#timers.delete(top);
    this.#signatures.delete(top);
  }

  #arm(top: string): void {
    clearTimeout(this.#timers.get(top));
    this.#timers.set(
      top,
      setTimeout(() => void this.#check(top), this.opts.stableMs),
    );
  }

  /** Quiet for stableMs: take it if it also looks the same as at the last check. */
  async #check(top: string): Promise<void> {
    this.#timers.delete(top);
    if (this.#ledger[top] || this.#busy.has(top)) return;
    const abs = path.join(this.opts.dir, top);
    const sig = await signature(abs).catch(() => null);
    if (sig === null) return this.#cancel(top);
    if (this.#signatures.get(top) !== sig) {
      this.#signatures.set(top, sig);
      return this.#arm(top);
    }
    this.#signatures.delete(top);
    this.#busy.add(top);
    try {
      const info = await lstat(abs);
      if (!info.isFile() && !info.isDirectory()) {
        this.opts.log.info(
          { entry: top, link: info.isSymbolicLink() },
          'watch folder: left alone (symbolic links and special files are never followed or shared)',
        );
        return;
      }
      const hash =
        info.isFile() && top.toLowerCase().endsWith('.torrent')
          ? await this.opts.addTorrent(
              await readFileConfined([this.#realDir], path.join(this.#realDir, top), MAX_TORRENT_BYTES),
              top,
            )
          : await this.opts.share(abs);
      this.#ledger[top] = { hash, at: Date.now() };
      await this.#writeLedger();
      this.opts.log.info({ entry: top, hash }, 'watch folder: taken');
    } catch (err) {
      // Not retried until the entry changes (or is dropped in again).
      this.opts.log.warn({ entry: top, err: (err as Error).message }, 'watch folder: could not take entry');
    } finally {
      this.#busy.delete(top);
    }
  }

  async #readLedger(): Promise<Ledger> {
    try {
      return Ledger.parse(JSON.parse(await readFile(this.opts.ledgerFile, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.opts.log.warn(
          { err, file: this.opts.ledgerFile },
          'unreadable watch folder ledger: starting afresh',
        );
      return {};
    }
  }

  async #writeLedger(): Promise<void> {
    const tmp = `${this.opts.ledgerFile}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(this.#ledger, null, 2));
      await rename(tmp, this.opts.ledgerFile);
    } catch (err) {
      this.opts.log.error({ err }, 'could not save the watch folder ledger');
    }
  }
}

/** Sizes and modification times of everything below `abs`: changes while it is being written. */
async function signature(abs: string): Promise<string> {
  const info = await lstat(abs);
  if (!info.isDirectory()) return `${info.size}:${info.mtimeMs}`;
  let files = 0;
  let bytes = 0;
  let newest = info.mtimeMs;
  for (const e of await readdir(abs, { withFileTypes: true, recursive: true })) {
    const s = await lstat(path.join(e.parentPath, e.name)).catch(() => null);
    if (!s) continue;
    files++;
    if (s.isFile()) bytes += s.size;
    newest = Math.max(newest, s.mtimeMs);
  }
  return `${files}:${bytes}:${newest}`;
}
