import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, makeTempDir, removeTempDir, startTestEngine, torrentPort } from '../harness/index.js';

/**
 * BITWEEN_TORRENT_PORT is a range: an engine whose first port is taken (another program, another
 * engine) listens on the next free one instead of failing.
 */
describe('engine listen port', () => {
  const cleanup = new Cleanup();
  let root = '';
  let squatter: Server;
  let taken = 0;

  beforeAll(async () => {
    root = await makeTempDir('engine-port');
    cleanup.add('temp dir', () => removeTempDir(root));
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, resolve));
    const address = squatter.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    taken = address.port;
    cleanup.add('squatter', () => new Promise<void>((resolve) => squatter.close(() => resolve())));
  });
  afterAll(() => cleanup.run());

  it('skips a taken port of the range and listens on the next free one', async () => {
    const e = await startTestEngine(cleanup, {
      root,
      id: 'alice',
      extra: { BITWEEN_TORRENT_PORT: `${taken}-${taken + 20}` },
    });
    const port = torrentPort(e);
    expect(port).toBeGreaterThan(taken);
    expect(port).toBeLessThanOrEqual(taken + 20);
    // Alive after the failed first attempt: it registers itself with the port it listens on.
    const live = await e.registry.live();
    expect(live.map((r) => r.state.engineId)).toEqual(['alice']);
  });
});
