import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BusError } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse, MAX_BROWSE_ENTRIES } from './browse.js';

describe('browse (the path picker, limited to the share roots)', () => {
  let base = '';
  let root = '';
  let outside = '';

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'bitween-browse-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'music', 'album'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(root, 'music', 'song.ogg'), 'x'.repeat(42));
    await writeFile(path.join(outside, 'secret'), 'no');
    await symlink(outside, path.join(root, 'music', 'escape'));
    await symlink(path.join(root, 'music', 'album'), path.join(root, 'music', 'inner-link'));
    await mkdir(path.join(root, 'many'));
    await Promise.all(
      Array.from({ length: MAX_BROWSE_ENTRIES + 5 }, (_, i) =>
        writeFile(path.join(root, 'many', `f${i}`), ''),
      ),
    );
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  const refused = async (p: string) => {
    const err = await browse(p, [root]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    return err as BusError;
  };

  it('without a path lists the roots that exist', async () => {
    const r = await browse(undefined, [root, path.join(base, 'missing')]);
    expect(r).toEqual({
      path: null,
      parent: null,
      roots: [root],
      entries: [{ name: root, type: 'dir', size: null }],
      truncated: false,
    });
  });

  it('lists folders first, files with sizes, links only when they stay inside', async () => {
    const r = await browse(path.join(root, 'music'), [root]);
    expect(r.parent).toBe(root);
    expect(r.entries).toEqual([
      { name: 'album', type: 'dir', size: null },
      { name: 'inner-link', type: 'dir', size: null },
      { name: 'song.ogg', type: 'file', size: 42 },
    ]);
  });

  it('a root has no parent (back to the roots)', async () => {
    expect((await browse(root, [root])).parent).toBeNull();
  });

  it('refuses paths outside the roots, also through .. and symlinks', async () => {
    expect((await refused(outside)).code).toBe('failed');
    expect((await refused(path.join(root, '..', 'outside'))).code).toBe('failed');
    expect((await refused(path.join(root, 'music', 'escape'))).code).toBe('failed');
    expect((await refused('/etc')).code).toBe('failed');
    expect((await refused('relative/path')).code).toBe('invalid_request');
    expect((await refused(path.join(root, 'nope'))).code).toBe('not_found');
    expect((await refused(path.join(root, 'music', 'song.ogg'))).message).toMatch(/not a folder/);
  });

  it('cuts long folders at MAX_BROWSE_ENTRIES and says so', async () => {
    const r = await browse(path.join(root, 'many'), [root]);
    expect(r.entries).toHaveLength(MAX_BROWSE_ENTRIES);
    expect(r.truncated).toBe(true);
  });
});
