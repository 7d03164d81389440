import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeFd,
  isRefusal,
  mkdirConfined,
  openConfined,
  openDirConfined,
  procPath,
  readFileConfined,
  resolveShareRoots,
  rootOf,
  unlinkConfined,
} from './confined-open.js';

/** The bytes behind a descriptor (read whole, then closed). */
async function contents(fd: number): Promise<string> {
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    await closeFd(fd);
  }
}

const refused = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 'EREFUSEDPATH' });

describe('openConfined', () => {
  let base: string;
  /** The share root (a real path), and a folder outside it with a secret. */
  let root: string;
  let outside: string;
  let secret: string;
  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'confined-')));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    secret = path.join(outside, 'secret');
    await mkdir(path.join(root, 'album', 'disc'), { recursive: true });
    await mkdir(outside);
    await writeFile(secret, 'SECRET');
    await writeFile(path.join(root, 'album', 'disc', 'song'), 'song');
    await writeFile(path.join(root, 'album', 'cover'), 'cover');
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('opens a file below the root and reads it', async () => {
    expect(await contents(await openConfined([root], path.join(root, 'album', 'disc', 'song')))).toBe('song');
    // The deepest root holding the path is the one walked from.
    expect(rootOf([root, path.join(root, 'album')], path.join(root, 'album', 'cover'))).toBe(
      path.join(root, 'album'),
    );
    expect(
      await contents(await openConfined([path.join(root, 'album'), root], path.join(root, 'album', 'cover'))),
    ).toBe('cover');
  });

  it('refuses paths outside the roots and paths that are not normalised', async () => {
    await refused(openConfined([root], secret));
    await refused(openConfined([root], `${root}/../outside/secret`));
    await refused(openConfined([root], `${root}/album/../album/cover`));
    await refused(openConfined([root], 'album/cover'));
    await refused(openConfined([], path.join(root, 'album', 'cover')));
  });

  it('refuses a symbolic link as the file, wherever it points', async () => {
    await symlink(secret, path.join(root, 'album', 'passwd'));
    await symlink(path.join(root, 'album', 'cover'), path.join(root, 'album', 'inside'));
    await refused(openConfined([root], path.join(root, 'album', 'passwd')));
    await refused(openConfined([root], path.join(root, 'album', 'inside')));
    // And never creates through one: a dangling link stays dangling.
    await symlink(path.join(outside, 'created'), path.join(root, 'album', 'dangling'));
    await refused(openConfined([root], path.join(root, 'album', 'dangling'), { write: true }));
    expect(await readdir(outside)).toEqual(['secret']);
  });

  it('refuses a symbolic link as a folder on the way', async () => {
    await symlink(outside, path.join(root, 'album', 'ssh'));
    const err: unknown = await openConfined([root], path.join(root, 'album', 'ssh', 'secret')).catch(
      (e: unknown) => e,
    );
    expect(isRefusal(err)).toBe(true);
    expect((err as Error).message).toMatch(/album\/ssh is a symbolic link/);
    // Writing creates no folder or file through it either.
    await refused(openConfined([root], path.join(root, 'album', 'ssh', 'new', 'file'), { write: true }));
    await refused(openConfined([root], path.join(root, 'album', 'ssh', 'file'), { write: true }));
    expect(await readdir(outside)).toEqual(['secret']);
  });

  it('refuses a file swapped for a symbolic link after it was checked (at open time)', async () => {
    const song = path.join(root, 'album', 'disc', 'song');
    // Shared: checked and read once.
    expect(await contents(await openConfined([root], song))).toBe('song');
    // Then replaced by a link to a file outside the root.
    await rm(song);
    await symlink(secret, song);
    await refused(openConfined([root], song));
    await expect(readFile(song, 'utf8')).resolves.toBe('SECRET'); // what following it would serve
  });

  it('refuses a folder swapped for a symbolic link after it was checked (at open time)', async () => {
    const song = path.join(root, 'album', 'disc', 'song');
    expect(await contents(await openConfined([root], song))).toBe('song');
    await rename(path.join(root, 'album', 'disc'), path.join(base, 'moved-away'));
    await writeFile(path.join(outside, 'song'), 'SECRET SONG');
    await symlink(outside, path.join(root, 'album', 'disc'));
    await refused(openConfined([root], song));
    await expect(readFile(song, 'utf8')).resolves.toBe('SECRET SONG');
  });

  it('keeps reading the file a descriptor was opened on, whatever is swapped in later', async () => {
    const cover = path.join(root, 'album', 'cover');
    const fd = await openConfined([root], cover);
    await rm(cover);
    await symlink(secret, cover);
    expect(await contents(fd)).toBe('cover');
  });

  it('refuses a share root that leads elsewhere than at start', async () => {
    const configured = path.join(base, 'configured');
    await symlink(root, configured);
    const [real] = await resolveShareRoots([configured]);
    expect(real).toBe(root);
    // The root itself is swapped for a link to the outside folder.
    await rename(root, path.join(base, 'old-root'));
    await symlink(outside, root);
    await refused(openConfined([root], path.join(root, 'secret')));
  });

  it('refuses what is not a regular file, without blocking on a FIFO', async () => {
    execFileSync('mkfifo', [path.join(root, 'album', 'pipe')]);
    await refused(openConfined([root], path.join(root, 'album', 'pipe')));
    await refused(openConfined([root], path.join(root, 'album', 'disc')));
  });

  it('creates the folders and the file of a download below the root', async () => {
    const file = path.join(root, 'downloads', 'new album', 'cd 1', 'track');
    const fd = await openConfined([root], file, { write: true });
    await closeFd(fd);
    expect((await stat(file)).isFile()).toBe(true);
    await expect(openConfined([root], path.join(root, 'missing', 'file'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('reads a small file whole, within a limit', async () => {
    expect(Buffer.from(await readFileConfined([root], path.join(root, 'album', 'cover'), 5)).toString()).toBe(
      'cover',
    );
    await expect(readFileConfined([root], path.join(root, 'album', 'cover'), 4)).rejects.toThrow(
      /larger than/,
    );
  });

  it('lists a folder through its descriptor, never through a link', async () => {
    const fd = await openDirConfined([root], path.join(root, 'album'));
    try {
      expect((await readdir(procPath(fd))).sort()).toEqual(['cover', 'disc']);
    } finally {
      await closeFd(fd);
    }
    await symlink(outside, path.join(root, 'etc'));
    await refused(openDirConfined([root], path.join(root, 'etc')));
    await closeFd(await openDirConfined([root], root));
  });

  it('unlinks below the root, never through a link', async () => {
    await symlink(outside, path.join(root, 'album', 'ssh'));
    expect(await unlinkConfined([root], path.join(root, 'album', 'ssh', 'secret'))).toBe(false);
    expect(await readFile(secret, 'utf8')).toBe('SECRET');
    expect(await unlinkConfined([root], path.join(root, 'album', 'cover'))).toBe(true);
    expect(await unlinkConfined([root], path.join(root, 'album', 'cover'))).toBe(false);
    // The link itself is removed, not what it points to.
    expect(await unlinkConfined([root], path.join(root, 'album', 'ssh'))).toBe(true);
    expect(await readFile(secret, 'utf8')).toBe('SECRET');
  });

  it('never gives the outside file while a folder is swapped for a link in a tight loop', async () => {
    // A separate process swaps `album/disc` between the real folder and a link to the outside
    // folder as fast as it can, while we open `album/disc/song` again and again.
    await writeFile(path.join(outside, 'song'), 'SECRET SONG');
    const real = path.join(root, 'album', 'disc-real');
    const link = path.join(root, 'album', 'disc-link');
    const disc = path.join(root, 'album', 'disc');
    await rename(disc, real);
    await symlink(outside, link);
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const [r, l, d] = process.argv.slice(1);
         for (;;) { fs.renameSync(r, d); fs.renameSync(d, r); fs.renameSync(l, d); fs.renameSync(d, l); }`,
        real,
        link,
        disc,
      ],
      { stdio: 'ignore' },
    );
    const song = path.join(disc, 'song');
    const seen = { inside: 0, refused: 0, missing: 0, naiveOutside: 0 };
    try {
      // Until each outcome the assertions below ask for was seen (a loaded machine can hold the
      // swapper in one state for hundreds of attempts), at most 10 s.
      const until = Date.now() + 10_000;
      while (
        Date.now() < until &&
        (seen.naiveOutside === 0 || seen.refused === 0 || seen.inside + seen.refused < 500)
      ) {
        // What a plain open would have served (shows the race is real).
        if ((await readFile(song, 'utf8').catch(() => '')) === 'SECRET SONG') seen.naiveOutside++;
        try {
          const got = await contents(await openConfined([root], song));
          expect(got).toBe('song');
          seen.inside++;
        } catch (err) {
          if (isRefusal(err)) seen.refused++;
          else if ((err as NodeJS.ErrnoException).code === 'ENOENT') seen.missing++;
          else throw err;
        }
      }
    } finally {
      swapper.kill();
    }
    expect(seen.naiveOutside).toBeGreaterThan(0);
    expect(seen.inside + seen.refused).toBeGreaterThanOrEqual(500);
    expect(seen.refused).toBeGreaterThan(0);
  }, 20_000);
});

describe('resolveShareRoots', () => {
  let base: string;
  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'roots-')));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('pins roots to their real paths; a missing root resolves through its parent', async () => {
    await mkdir(path.join(base, 'real'));
    await symlink(path.join(base, 'real'), path.join(base, 'link'));
    expect(
      await resolveShareRoots([
        path.join(base, 'link'),
        path.join(base, 'real'),
        path.join(base, 'link', 'downloads', 'later'),
      ]),
    ).toEqual([path.join(base, 'real'), path.join(base, 'real', 'downloads', 'later')]);
  });
});

describe('mkdirConfined', () => {
  let base: string;
  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'mkdir-')));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('creates a save path and its root below the roots, never through a link out', async () => {
    const root = path.join(base, 'downloads');
    const outside = path.join(base, 'outside');
    const [real] = await resolveShareRoots([root]); // not there yet
    expect(await mkdirConfined([real!], path.join(root, 'a', 'b'))).toBe(path.join(root, 'a', 'b'));
    expect((await stat(path.join(root, 'a', 'b'))).isDirectory()).toBe(true);
    await mkdir(outside);
    await symlink(outside, path.join(root, 'escape'));
    await refused(mkdirConfined([real!], path.join(root, 'escape', 'new')));
    // A link that stays inside is resolved first (the user asked for that folder).
    await symlink(path.join(root, 'a'), path.join(root, 'inner'));
    expect(await mkdirConfined([real!], path.join(root, 'inner', 'c'))).toBe(path.join(root, 'a', 'c'));
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('a share root that is a file', () => {
  let base: string;
  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'file-root-')));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('is opened itself, and refused once it was swapped for a link', async () => {
    const file = path.join(base, 'movie.mkv');
    await writeFile(file, 'movie');
    await writeFile(path.join(base, 'secret'), 'SECRET');
    const roots = await resolveShareRoots([file]);
    expect(await contents(await openConfined(roots, file))).toBe('movie');
    await rm(file);
    await symlink(path.join(base, 'secret'), file);
    await refused(openConfined(roots, file));
  });
});
