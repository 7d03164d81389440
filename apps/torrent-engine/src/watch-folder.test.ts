import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ignoredName, topEntry, WatchFolder } from './watch-folder.js';

describe('watch folder helpers', () => {
  it('maps any path below the folder to its top-level entry', () => {
    expect(topEntry('/w', '/w/album/disc1/01.flac')).toBe('album');
    expect(topEntry('/w', '/w/movie.mkv')).toBe('movie.mkv');
    expect(topEntry('/w', '/w')).toBeNull();
    expect(topEntry('/w', '/elsewhere/x')).toBeNull();
  });

  it('ignores hidden names and files that copy tools are still writing', () => {
    for (const n of [
      '.DS_Store',
      '.hidden',
      'a.part',
      'b.PARTIAL',
      'c.tmp',
      'd.crdownload',
      'e.!qB',
      'f.torrent.added',
    ])
      expect(ignoredName(n), n).toBe(true);
    for (const n of ['album', 'movie.mkv', 'x.torrent', 'part']) expect(ignoredName(n), n).toBe(false);
  });
});

describe('watch folder and symbolic links', () => {
  let base: string;
  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'watch-')));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('leaves dropped links alone, wherever they point, and takes real entries', async () => {
    const dir = path.join(base, 'watch');
    const outside = path.join(base, 'outside');
    await mkdir(dir);
    await mkdir(path.join(outside, 'ssh'), { recursive: true });
    await writeFile(path.join(outside, 'passwd'), 'SECRET');
    await writeFile(path.join(outside, 'real.torrent'), 'SECRET torrent');
    await symlink(path.join(outside, 'passwd'), path.join(dir, 'passwd'));
    await symlink(path.join(outside, 'ssh'), path.join(dir, 'ssh'));
    await symlink(path.join(outside, 'real.torrent'), path.join(dir, 'linked.torrent'));
    await writeFile(path.join(dir, 'movie.mkv'), 'movie');
    await writeFile(path.join(dir, 'dropped.torrent'), 'd8:announce0:e');

    const shared: string[] = [];
    const torrents: string[] = [];
    const infos: Record<string, unknown>[] = [];
    let settled = () => undefined as void;
    const allSeen = new Promise<void>((resolve) => (settled = resolve));
    const log = {
      debug: () => undefined,
      info: (obj: unknown) => {
        infos.push(obj as Record<string, unknown>);
        queueMicrotask(check);
      },
      warn: () => undefined,
      error: () => undefined,
    };
    const check = () => {
      const left = infos.filter((i) => i['link'] === true).length;
      if (left === 3 && shared.length === 1 && torrents.length === 1) settled();
    };
    const folder = new WatchFolder({
      dir,
      stableMs: 20,
      ledgerFile: path.join(base, 'ledger.json'),
      share: (p) => {
        shared.push(p);
        queueMicrotask(check);
        return Promise.resolve('a'.repeat(40));
      },
      addTorrent: (metainfo, name) => {
        torrents.push(`${name}:${Buffer.from(metainfo).toString()}`);
        queueMicrotask(check);
        return Promise.resolve('b'.repeat(40));
      },
      log,
    });
    await folder.start();
    try {
      await allSeen;
    } finally {
      await folder.stop();
    }
    expect(shared).toEqual([path.join(dir, 'movie.mkv')]);
    expect(torrents).toEqual(['dropped.torrent:d8:announce0:e']);
    expect(
      infos
        .filter((i) => i['link'] === true)
        .map((i) => i['entry'] as string)
        .sort(),
    ).toEqual(['linked.torrent', 'passwd', 'ssh']);
  });
});
