import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Torrent } from 'webtorrent';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FastResume, RESUME_WRITES_AT_ONCE } from './fast-resume.js';

const HASH = 'c'.repeat(40);
const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

/** The parts of a webtorrent Torrent FastResume reads: a bitfield, pieces, files, events. */
class FakeTorrent extends EventEmitter {
  ready = false;
  destroyed = false;
  readonly pieces: unknown[];
  readonly bitfield: { buffer: Uint8Array };
  constructor(
    pieceCount: number,
    readonly files: { path: string }[],
  ) {
    super();
    this.pieces = new Array<unknown>(pieceCount).fill({});
    this.bitfield = { buffer: new Uint8Array(Math.ceil(pieceCount / 8)) };
  }
  verify(index: number): void {
    this.bitfield.buffer[index >> 3]! |= 0x80 >> (index & 7);
    this.emit('verified', index);
  }
  asTorrent(): Torrent {
    return this as unknown as Torrent;
  }
}

describe('FastResume', () => {
  let dir: string;
  let data: string;
  let resume: FastResume;
  const file = () => path.join(dir, `${HASH}.resume`);
  const exists = () =>
    stat(file()).then(
      () => true,
      () => false,
    );

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'resume-'));
    data = path.join(dir, 'data');
    await writeFile(path.join(dir, 'a.bin'), 'aaaa');
    await writeFile(path.join(dir, 'b.bin'), 'bbbbbb');
    resume = new FastResume(dir, log, { quietMs: 50, maxDelayMs: 200 });
    vi.clearAllMocks();
  });
  afterEach(async () => {
    resume.snapshot(); // no more saves…
    await resume.write([]); // …and none under way
    await rm(dir, { recursive: true, force: true });
  });

  /** A complete torrent of a.bin and b.bin (10 pieces), tracked and saved. */
  async function savedComplete(): Promise<FakeTorrent> {
    await rm(file(), { force: true }); // so the wait below sees this save, not an earlier one
    const t = new FakeTorrent(10, [{ path: 'a.bin' }, { path: 'b.bin' }]);
    resume.track(HASH, t.asTorrent(), dir);
    for (let i = 0; i < 10; i++) t.verify(i);
    t.ready = true;
    t.emit('ready');
    t.emit('done');
    // A durable write (fsync) on a busy disk can take longer than vi.waitFor's 1 s default.
    await vi.waitFor(async () => expect(await exists()).toBe(true), { timeout: 20_000 });
    return t;
  }

  it('verifies when there is no resume data', async () => {
    expect(await resume.startup(HASH, data)).toEqual({ kind: 'verify', reason: 'no resume data' });
  });

  it('resumes from the saved bitfield while the files are unchanged', async () => {
    await savedComplete();
    const decision = await new FastResume(dir, log).startup(HASH, dir);
    expect(decision).toMatchObject({ kind: 'resume', pieces: 10, have: 10 });
    expect(decision.kind === 'resume' && [...decision.bitfield]).toEqual([0xff, 0xc0]);
    expect(log.info).toHaveBeenCalledWith({ hash: HASH, pieces: 10, have: 10 }, 'fast resume');
  });

  it('verifies when a file changed size, mtime, or is gone', async () => {
    await savedComplete();
    await appendFile(path.join(dir, 'b.bin'), 'x');
    expect(await resume.startup(HASH, dir)).toEqual({
      kind: 'verify',
      reason: 'b.bin changed since the resume data was saved',
    });

    await savedComplete();
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(dir, 'a.bin'), later, later); // same size, new mtime
    expect(await resume.startup(HASH, dir)).toMatchObject({ kind: 'verify', reason: /^a\.bin changed/ });

    await savedComplete();
    await rm(path.join(dir, 'a.bin'));
    expect(await resume.startup(HASH, dir)).toMatchObject({ kind: 'verify', reason: /^a\.bin changed/ });
  });

  it('ignores unreadable resume data', async () => {
    await writeFile(file(), '{"version": 1, "hash": "');
    expect(await resume.startup(HASH, dir)).toEqual({ kind: 'verify', reason: 'unreadable resume data' });
    expect(log.warn).toHaveBeenCalled();
  });

  it('never saves a torrent that has not finished checking', async () => {
    // A fake clock: the save timer surely ran out and decided (a real wait of 300 ms only
    // probably did, on a busy machine).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const t = new FakeTorrent(10, [{ path: 'a.bin' }]);
      resume.track(HASH, t.asTorrent(), dir);
      t.verify(0);
      vi.advanceTimersByTime(300); // past quietMs and maxDelayMs
    } finally {
      vi.useRealTimers();
    }
    await resume.write([]); // after any save under way (there must be none)
    expect(await exists()).toBe(false);
    expect(resume.snapshot()).toEqual([]);
  });

  it('saves verified pieces after a quiet moment, and no later than maxDelayMs', async () => {
    const t = new FakeTorrent(64, [{ path: 'a.bin' }]);
    t.ready = true;
    resume.track(HASH, t.asTorrent(), dir);
    const writes: number[] = [];
    const started = Date.now();
    // A piece every 10 ms for 400 ms: never quiet for 50 ms, so saved by the 200 ms deadline.
    for (let i = 0; i < 40; i++) {
      t.verify(i);
      await new Promise((r) => setTimeout(r, 10));
      if (writes.length === 0 && (await exists())) writes.push(Date.now() - started);
    }
    expect(writes.length).toBe(1);
    const saved = JSON.parse(await readFile(file(), 'utf8')) as { bitfield: string };
    expect(Buffer.from(saved.bitfield, 'base64')[0]).toBe(0xff);
  });

  it('writes the snapshot taken before the client stopped', async () => {
    const t = await savedComplete();
    const half = new FakeTorrent(16, [{ path: 'a.bin' }]);
    half.ready = true;
    resume.track('d'.repeat(40), half.asTorrent(), dir);
    half.verify(3);
    const snapshots = resume.snapshot();
    half.verify(4); // after the snapshot: not saved
    t.destroyed = true;
    await resume.write(snapshots);
    const saved = await new FastResume(dir, log).startup('d'.repeat(40), dir);
    expect(saved).toMatchObject({ kind: 'resume', have: 1 });
    expect(saved.kind === 'resume' && [...saved.bitfield]).toEqual([0x10, 0]);
  });

  it('forgets a removed torrent without writing it again', async () => {
    const t = await savedComplete();
    await rm(file());
    await resume.forget(HASH);
    t.verify(0);
    t.emit('done');
    await new Promise((r) => setTimeout(r, 100));
    expect(await exists()).toBe(false);
    expect(resume.snapshot()).toEqual([]);
  });
  it('writes a shutdown of thousands of torrents a few files at a time, and every one of them', async () => {
    // 50,000 at once ran out of file descriptors (EMFILE) and lost most resume files.
    const n = 2_000;
    for (let i = 0; i < n; i++) {
      const t = new FakeTorrent(10, [{ path: 'a.bin' }, { path: 'b.bin' }]);
      for (let p = 0; p < 10; p++) t.bitfield.buffer[p >> 3]! |= 0x80 >> (p & 7);
      t.ready = true; // tracked as checked, not saved yet (no 'done' event)
      resume.track(i.toString(16).padStart(40, '0'), t.asTorrent(), dir);
    }
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    let most = before;
    let writing = true;
    const sample = () => {
      most = Math.max(most, openFds());
      if (writing) setImmediate(sample);
    };
    setImmediate(sample);
    await resume.write(resume.snapshot());
    writing = false;
    expect((await readdir(dir)).filter((f) => f.endsWith('.resume'))).toHaveLength(n);
    expect(log.warn).not.toHaveBeenCalled();
    // Each write holds at most its temp file and the folder open.
    expect(most - before).toBeLessThanOrEqual(2 * RESUME_WRITES_AT_ONCE + 16);
  });
});
