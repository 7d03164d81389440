import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAllowed, filesOutside, isInside } from './paths.js';

describe('isInside', () => {
  it.each([
    ['/data', '/data', true],
    ['/data', '/data/a/b', true],
    ['/data', '/data2', false],
    ['/data', '/', false],
    ['/data', '/data/../etc', false],
  ])('%s ⊇ %s → %s', (root, child, expected) => expect(isInside(root, path.resolve(child))).toBe(expected));
});

describe('filesOutside', () => {
  it('finds names that climb out of the save path or are absolute', () => {
    expect(
      filesOutside('/dl', [
        { path: 'a/b' },
        { path: '../x' },
        { path: 'a/../../y' },
        { path: '/etc/passwd' },
      ]),
    ).toEqual(['../x', 'a/../../y', '/etc/passwd']);
  });
});

describe('checkAllowed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'paths-'));
    await mkdir(path.join(dir, 'shares'));
    await mkdir(path.join(dir, 'private'));
    await writeFile(path.join(dir, 'private', 'secret'), 'x');
    await symlink(path.join(dir, 'private', 'secret'), path.join(dir, 'shares', 'link'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('allows nothing when no roots are set', async () => {
    expect(await checkAllowed(path.join(dir, 'private', 'secret'), [])).toMatchObject({
      ok: false,
      reason: /outside the share roots/,
    });
  });

  it('reports a missing path', async () => {
    expect(await checkAllowed(path.join(dir, 'nope'), [])).toMatchObject({
      ok: false,
      reason: /does not exist/,
    });
  });

  it('refuses paths outside the roots, also through a symlink', async () => {
    const roots = [path.join(dir, 'shares')];
    expect(await checkAllowed(path.join(dir, 'shares'), roots)).toMatchObject({ ok: true });
    expect(await checkAllowed(path.join(dir, 'private', 'secret'), roots)).toMatchObject({
      ok: false,
      reason: /outside/,
    });
    expect(await checkAllowed(path.join(dir, 'shares', 'link'), roots)).toMatchObject({
      ok: false,
      reason: /outside/,
    });
  });
});
