import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  makeTempDir,
  removeTempDir,
  type RestClient,
  RestError,
  startApi,
  startNats,
  startService,
  type ServiceProcess,
} from '../harness/index.js';

/*
 * A .torrent whose file names climb out of the save path (`..`), are absolute or hide a `/` inside
 * a name, given at add time through the api's REST and Transmission front-ends, against a real
 * torrent engine and a real api (processes, real nats-server): refused when it is added, with a
 * clear error in each front-end's shape, and never listed.
 */

const KEY = 'crafted-torrent-test-key-0123';

type Bencodable = number | string | Buffer | Bencodable[] | { [key: string]: Bencodable };

/** Bencode (BEP 3); dictionary keys sorted as the format requires. */
function bencode(v: Bencodable): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string') return bencode(Buffer.from(v));
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([
    Buffer.from('d'),
    ...keys.flatMap((k) => [bencode(k), bencode(v[k]!)]),
    Buffer.from('e'),
  ]);
}

/** A multi-file .torrent named `name` with one 1-byte file per path (name elements as given). */
function crafted(name: string, paths: string[][]): string {
  return bencode({
    info: {
      name,
      'piece length': 16384,
      pieces: createHash('sha1').update(Buffer.alloc(paths.length, 0x61)).digest(),
      files: paths.map((path) => ({ length: 1, path })),
    },
  }).toString('base64');
}

const CASES: [string, string, RegExp][] = [
  ['climbs with ..', crafted('album', [['..', '..', 'evil.txt']]), /refused: .*"\.\." as a name/],
  ['is named ..', crafted('..', [['x.txt']]), /refused: .*"\.\." as a name/],
  ['has an absolute path', crafted('abs', [['/etc/cron.d/evil']]), /refused: .*a "\/" inside a name/],
  ['has a / inside a name', crafted('slash', [['a/b.txt']]), /refused: .*a "\/" inside a name/],
];

describe('a crafted .torrent is refused when it is added, through every api front-end', () => {
  const cleanup = new Cleanup();
  let rest: RestClient;
  let base: string;
  let engine: ServiceProcess;

  beforeAll(async () => {
    const root = await makeTempDir('crafted-torrent');
    cleanup.add('temp dir', () => removeTempDir(root));
    const nats = await startNats(cleanup);
    engine = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'crafted-engine',
      env: engineEnv({
        natsUrl: nats.url,
        engineId: 'crafted-1',
        downloads: join(root, 'downloads'),
        state: join(root, 'state'),
      }),
    });
    const api = await startApi(cleanup, {
      label: 'crafted-api',
      natsUrl: nats.url,
      token: KEY,
      dataDir: join(root, 'api'),
    });
    base = api.url;
    rest = api.rest;
  });
  afterAll(() => cleanup.run());

  const listed = async () =>
    (await rest.get<{ torrents: { name: string | null }[] }>('/v1/torrents')).torrents;

  it.each(CASES)(
    'REST: a torrent that %s is a 400 problem naming the reason',
    async (_what, metainfo, reason) => {
      const err = await rest.post('/v1/torrents', { metainfo }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RestError);
      expect((err as RestError).status).toBe(400);
      expect((err as RestError).body).toMatchObject({
        code: 'bad_request',
        detail: expect.stringMatching(reason) as unknown,
      });
    },
  );

  it.each(CASES)(
    'Transmission: a torrent that %s is refused in the result text',
    async (_what, metainfo, reason) => {
      const call = (session = '') =>
        fetch(`${base}/transmission/rpc`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`me:${KEY}`).toString('base64')}`,
            'x-transmission-session-id': session,
          },
          body: JSON.stringify({ method: 'torrent-add', arguments: { metainfo } }),
        });
      let res = await call();
      if (res.status === 409) res = await call(res.headers.get('x-transmission-session-id') ?? '');
      expect(res.status).toBe(200);
      const { result } = (await res.json()) as { result: string };
      expect(result).toMatch(/^invalid or corrupt torrent file: refused: /);
      expect(result).toMatch(reason);
    },
  );

  it('lists none of them, and the engine logged no torrent that failed after adding', async () => {
    expect(await listed()).toEqual([]);
    expect(engine.logs.some((l) => l.msg === 'refused a torrent with unsafe file names')).toBe(false);
    // An ordinary one is still added.
    const ok = await rest.post<{ torrent: { name: string } }>('/v1/torrents', {
      metainfo: crafted('album', [['cd1', '01.flac'], ['cover.jpg']]),
    });
    expect(ok.torrent.name).toBe('album');
  });
});
