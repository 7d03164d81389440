import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Torrent } from 'webtorrent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveShareRoots } from '../confined-open.js';
import { FileStreams } from './file-streams.js';

/*
 * FileStreams against a real file below a real share root; the torrent is a stand-in holding
 * what webtorrent exposes (bitfield, `verified` events, selections), driven by the test.
 */

const PIECE = 16 * 1024;
const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

class FakeTorrent extends EventEmitter {
  destroyed = false;
  ready = true;
  paused = false;
  pieceLength = PIECE;
  _critical: boolean[] = [];
  readonly verified: boolean[];
  readonly selections: [number, number][] = [];
  readonly bitfield = { get: (i: number) => this.verified[i] === true };
  constructor(
    readonly path: string,
    readonly files: {
      path: string;
      length: number;
      offset: number;
      _startPiece: number;
      _endPiece: number;
    }[],
    pieces: number,
    have: boolean,
  ) {
    super();
    this.verified = Array.from({ length: pieces }, () => have);
  }
  verify(i: number): void {
    this.verified[i] = true;
    this.emit('verified', i);
  }
  _select(from: number, to: number): void {
    this.selections.push([from, to]);
  }
  _deselect(from: number, to: number): void {
    const at = this.selections.findIndex(([a, b]) => a === from && b === to);
    if (at >= 0) this.selections.splice(at, 1);
  }
  critical(from: number, to: number): void {
    for (let i = from; i <= to; i++) this._critical[i] = true;
  }
}

describe('FileStreams', () => {
  let root: string;
  let roots: string[];
  const content = randomBytes(10 * PIECE + 123);
  const files = [{ path: 'film.mp4', length: content.length, offset: 0, _startPiece: 0, _endPiece: 10 }];
  const streamsOf = (t: FakeTorrent, idleMs = 60_000) =>
    new FileStreams({
      source: () => ({ torrent: t as unknown as Torrent, roots }),
      log: silent,
      idleMs,
      readAheadBytes: 2 * PIECE,
    });

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'file-streams-'));
    await writeFile(path.join(root, 'film.mp4'), content);
    roots = await resolveShareRoots([root]);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('reads verified bytes; a short read at the end; not past it', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, true);
    const s = streamsOf(t);
    const r = await s.read({ hash: 'h', file: 0, offset: 5, length: 3 * PIECE, stream: 'a' });
    expect(r.fileSize).toBe(content.length);
    expect(r.bytes.equals(content.subarray(5, 5 + 3 * PIECE))).toBe(true);
    const tail = await s.read({
      hash: 'h',
      file: 0,
      offset: content.length - 10,
      length: PIECE,
      stream: 'a',
    });
    expect(tail.bytes.equals(content.subarray(content.length - 10))).toBe(true);
    await expect(
      s.read({ hash: 'h', file: 0, offset: content.length + 1, length: 1, stream: 'a' }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(s.read({ hash: 'h', file: 1, offset: 0, length: 1, stream: 'b' })).rejects.toMatchObject({
      code: 'not_found',
    });
    s.stop();
  });

  it('waits for the first piece, answers with the verified run, raises a window from the read', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, false);
    const s = streamsOf(t);
    const read = s.read({ hash: 'h', file: 0, offset: 4 * PIECE + 7, length: 3 * PIECE, stream: 'w' });
    await new Promise((r) => setImmediate(r));
    // Pieces 4..7 under the read, 2 pieces of read-ahead: 4..9; the first one critical.
    expect(t.selections).toEqual([[4, 9]]);
    expect(t._critical[4]).toBe(true);
    t.verify(5); // not the first: still waiting
    t.verify(4);
    const r = await read;
    // Pieces 4 and 5 are there, 6 is not: the bytes up to the end of piece 5.
    expect(r.bytes.equals(content.subarray(4 * PIECE + 7, 6 * PIECE))).toBe(true);
    s.close('w', 'done');
    expect(t.selections).toEqual([]);
    expect(t._critical[4]).toBe(false);
  });

  it('fails a waiting read at once when its stream is closed, and refuses later reads of it', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, false);
    const s = streamsOf(t);
    const read = s.read({ hash: 'h', file: 0, offset: 0, length: PIECE, stream: 'gone' });
    await new Promise((r) => setImmediate(r));
    expect(s.close('gone', 'client-gone')).toBe(true);
    await expect(read).rejects.toMatchObject({ code: 'failed' });
    expect(s.counters.cancelledReads).toBe(1);
    await expect(s.read({ hash: 'h', file: 0, offset: 0, length: 1, stream: 'gone' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(t.listenerCount('verified')).toBe(0);
  });

  it('opens a stream closed for idleness again on its next read (a paused player goes on)', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, true);
    const s = streamsOf(t, 1);
    await s.read({ hash: 'h', file: 0, offset: 0, length: 10, stream: 'p' });
    // The sweep (every second at the least) closes it.
    while (s.open > 0) await new Promise((r) => setTimeout(r, 20));
    const again = await s.read({ hash: 'h', file: 0, offset: 10, length: 10, stream: 'p' });
    expect(again.bytes.equals(content.subarray(10, 20))).toBe(true);
    s.stop();
  });

  it('holds at most maxStreams: one more closes the least recently used, whose window goes', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, false);
    const s = new FileStreams({
      source: () => ({ torrent: t as unknown as Torrent, roots }),
      log: silent,
      maxStreams: 2,
      readAheadBytes: 0,
    });
    // Two streams wait at pieces 0 and 5 (windows raised), then stream 'a' reads again (used last).
    const a = s.read({ hash: 'h', file: 0, offset: 0, length: 10, stream: 'a' });
    const b = s.read({ hash: 'h', file: 0, offset: 5 * PIECE, length: 10, stream: 'b' });
    await new Promise((r) => setImmediate(r));
    expect(t.selections).toEqual([
      [0, 0],
      [5, 5],
    ]);
    t.verify(0);
    await a;
    const a2 = s.read({ hash: 'h', file: 0, offset: 10, length: 10, stream: 'a' });
    // A third stream: 'b' is the least recently used and goes, its waiting read failed.
    const c = s.read({ hash: 'h', file: 0, offset: 8 * PIECE, length: 10, stream: 'c' });
    await expect(b).rejects.toMatchObject({ code: 'failed' });
    await new Promise((r) => setImmediate(r));
    expect(s.open).toBe(2);
    // 'a' keeps its window (piece 0), 'b''s (piece 5) is gone, 'c' raised piece 8.
    expect(t.selections).toEqual([
      [0, 0],
      [8, 8],
    ]);
    expect((await a2).bytes.equals(content.subarray(10, 20))).toBe(true);
    s.stop();
    await expect(c).rejects.toMatchObject({ code: 'failed' });
  });

  it('holds a read’s bytes against the budget until they are sent; a sent buffer serves a later read', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, true);
    const s = new FileStreams({
      source: () => ({ torrent: t as unknown as Torrent, roots }),
      log: silent,
      bufferBytes: 2 * PIECE,
      readBufferBytes: PIECE,
    });
    const at = (offset: number) => ({ hash: 'h', file: 0, offset, length: PIECE, stream: 'm' });
    const a = await s.read(at(0));
    const b = await s.read(at(PIECE));
    // The budget is spent until a or b is sent.
    let third: Awaited<ReturnType<FileStreams['read']>> | null = null;
    const pending = s.read(at(2 * PIECE)).then((r) => (third = r));
    await new Promise((r) => setImmediate(r));
    expect(third).toBeNull();
    const aMemory = a.bytes.buffer;
    a.sent(true);
    await pending;
    expect(third!.bytes.equals(content.subarray(2 * PIECE, 3 * PIECE))).toBe(true);
    expect(third!.bytes.buffer).toBe(aMemory);
    // Not reusable (the socket may still hold it): a later read gets other memory.
    b.sent(false);
    const d = await s.read(at(3 * PIECE));
    expect(d.bytes.buffer).not.toBe(b.bytes.buffer);
    expect(d.bytes.equals(content.subarray(3 * PIECE, 4 * PIECE))).toBe(true);
    s.stop();
  });

  it('times out a read whose piece never comes', async () => {
    const t = new FakeTorrent(roots[0]!, files, 11, false);
    const s = streamsOf(t);
    await expect(
      s.read({ hash: 'h', file: 0, offset: 0, length: 1, stream: 't', timeoutMs: 20 }),
    ).rejects.toMatchObject({ code: 'timeout' });
    s.stop();
  });
});
