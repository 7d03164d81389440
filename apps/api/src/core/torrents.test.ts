import type { Bus } from '@bitween/bus';
import { createLogger } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import type { TorrentsView } from './cache/views.js';
import { CoreError } from './errors.js';
import type { Registry } from './registry.js';
import { MAX_METAINFO_BYTES, TorrentService } from './torrents.js';

/*
 * What the core refuses before it asks anyone: no bus, registry or cache is reached (each
 * stand-in fails the test if it is). Everything that talks to engines is tested against a real
 * nats-server (frontends.test.ts, rest.test.ts, app.test.ts, transmission.test.ts).
 */
const untouchable = new Proxy(
  {},
  {
    get: (_target, key) => {
      throw new Error(`reached ${String(key)}: nothing may be asked`);
    },
  },
);
const torrents = new TorrentService({
  bus: untouchable as Bus,
  registry: untouchable as Registry,
  view: untouchable as TorrentsView,
  log: createLogger('core-torrents-test', 'silent'),
  timeoutMs: 1000,
  addPathTimeoutMs: 1000,
});

async function refusal(run: Promise<unknown>): Promise<CoreError> {
  const err: unknown = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CoreError);
  return err as CoreError;
}

describe('TorrentService.addMetainfo', () => {
  it('refuses a .torrent over the one size limit (too_large), naming it', async () => {
    const err = await refusal(torrents.addMetainfo(Buffer.alloc(MAX_METAINFO_BYTES + 1, 0x64)));
    expect(err.code).toBe('too_large');
    expect(err.message).toBe(`a .torrent file is at most ${MAX_METAINFO_BYTES} bytes`);
  });

  it('refuses an empty one (invalid_request)', async () => {
    const err = await refusal(torrents.addMetainfo(Buffer.alloc(0)));
    expect(err.code).toBe('invalid_request');
  });
});
