import { mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { executeDeletion, planDeletion } from './delete-data.js';

describe('planDeletion', () => {
  it('plans the files and the folders of the layout, deepest first, never the save path', () => {
    const plan = planDeletion('/data/dl', [
      'album/disc1/01.flac',
      'album/cover.jpg',
      'album/disc2/x/02.flac',
    ]);
    expect(plan.files).toEqual([
      '/data/dl/album/disc1/01.flac',
      '/data/dl/album/cover.jpg',
      '/data/dl/album/disc2/x/02.flac',
    ]);
    expect(plan.dirs).toEqual([
      '/data/dl/album/disc2/x',
      '/data/dl/album/disc1',
      '/data/dl/album/disc2',
      '/data/dl/album',
    ]);
    expect(plan.refused).toEqual([]);
  });

  it('refuses paths that leave the save path, absolute paths and NUL', () => {
    const plan = planDeletion('/data/dl', [
      '../etc/passwd',
      'a/../../b',
      '/etc/shadow',
      'ok\0',
      '.',
      'fine.txt',
    ]);
    expect(plan.files).toEqual(['/data/dl/fine.txt']);
    expect(plan.refused).toEqual(['../etc/passwd', 'a/../../b', '/etc/shadow', 'ok\0', '.']);
    expect(plan.dirs).toEqual([]);
  });
});

describe('executeDeletion', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('deletes the files and the folders left empty, keeps what is not the torrent’s', async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'del-')));
    const save = path.join(dir, 'save');
    await mkdir(path.join(save, 'album', 'disc1'), { recursive: true });
    await mkdir(path.join(save, 'album', 'disc2'), { recursive: true });
    await writeFile(path.join(save, 'album', 'disc1', '01.flac'), 'a');
    await writeFile(path.join(save, 'album', 'disc2', '02.flac'), 'b');
    await writeFile(path.join(save, 'album', 'disc2', 'mine.txt'), 'not from the torrent');
    await writeFile(path.join(dir, 'outside.txt'), 'x');
    // a symlink in the torrent's place that points outside: the link goes, the target stays
    await symlink(path.join(dir, 'outside.txt'), path.join(save, 'album', 'link'));

    const plan = planDeletion(save, [
      'album/disc1/01.flac',
      'album/disc2/02.flac',
      'album/link',
      'album/gone',
    ]);
    expect(await executeDeletion(plan, [save])).toEqual({ files: 3, dirs: 1 });
    expect(await readdir(save, { recursive: true })).toEqual(
      ['album', 'album/disc2', 'album/disc2/mine.txt'].map((p) => path.normalize(p)),
    );
    expect(await readdir(dir)).toEqual(['outside.txt', 'save']);
  });

  it('never deletes through a folder of the layout swapped for a link out of the roots', async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'del-')));
    const save = path.join(dir, 'save');
    const docs = path.join(dir, 'docs');
    await mkdir(path.join(save), { recursive: true });
    await mkdir(path.join(docs, 'inner'), { recursive: true });
    await writeFile(path.join(docs, '01.flac'), 'precious');
    // `album/` was the torrent's folder; now it leads to the user's documents.
    await symlink(docs, path.join(save, 'album'));

    const plan = planDeletion(save, ['album/01.flac', 'album/inner/x']);
    expect(await executeDeletion(plan, [save])).toEqual({ files: 0, dirs: 0 });
    expect(await readFile(path.join(docs, '01.flac'), 'utf8')).toBe('precious');
    expect(await readdir(docs)).toEqual(['01.flac', 'inner']);
    // the link itself is not a file of the torrent either: it stays
    expect(await readdir(save)).toEqual(['album']);
  });
});
