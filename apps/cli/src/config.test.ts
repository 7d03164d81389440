import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, resolveConnection } from './config.js';
import { bytes, percent, table } from './format.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bitween-cli-test-'));
  await writeFile(join(dir, 'api-key'), 'key-from-the-data-dir-0123\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('resolveConnection', () => {
  it('takes flags first, then the environment, then the data directory', async () => {
    expect(
      await resolveConnection({ url: 'http://h:1/', apiKey: 'flag-key' }, { BITWEEN_API_KEY: 'env' }),
    ).toEqual({
      url: 'http://h:1',
      key: 'flag-key',
    });
    expect(await resolveConnection({}, { BITWEEN_API_KEY: 'env-key', BITWEEN_API_PORT: '6000' })).toEqual({
      url: 'http://127.0.0.1:6000',
      key: 'env-key',
    });
    expect(await resolveConnection({}, { BITWEEN_DATA_DIR: dir, BITWEEN_API_URL: 'http://x:5' })).toEqual({
      url: 'http://x:5',
      key: 'key-from-the-data-dir-0123',
    });
  });

  it('says where it looked when there is no key', async () => {
    const err = await resolveConnection({ dataDir: join(dir, 'nope') }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/no API key: pass --api-key.*nope\/api-key does not exist/);
  });

  it('refuses a URL that is not http(s)', async () => {
    await expect(resolveConnection({ url: 'ftp://x', apiKey: 'k' }, {})).rejects.toThrow(/--url must be/);
  });
});

describe('format', () => {
  it('formats sizes, progress and tables', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(64 * 1024 * 1024)).toBe('64.0 MiB');
    expect(bytes(null)).toBe('?');
    expect(percent(0.9999)).toBe('99.9%');
    expect(percent(1)).toBe('100.0%');
    expect(table(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
  });
});
