import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engine } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  downloadFrom,
  makeTempDir,
  sha256File,
  startCorruptingProxy,
  startTestEngine,
  torrentPort,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

/**
 * A peer that sends bad data: every piece that fails its SHA-1 check is dropped, downloaded
 * again and the file ends up intact. This is also the test of the patched piece buffers
 * (patches/webtorrent, torrent-piece): a failed piece's buffer goes back to the pool and holds
 * a later piece, blocks are copied into it as they arrive, and the last (short) piece has a
 * buffer of its own.
 */
describe('the engine and a peer that sends corrupt data', () => {
  const cleanup = new Cleanup();
  let root: string;
  // 256 KiB pieces (piece-length.ts): 16 full pieces and a short last one (index 16).
  const SIZE = 4 * 1024 * 1024 + 1000;
  const BAD_PIECES = [1, 9, 16];

  let alice: TestEngine;
  let bob: TestEngine;
  beforeAll(async () => {
    root = await makeTempDir('corrupt-peer');
    [alice, bob] = await Promise.all([
      startTestEngine(cleanup, { root, id: 'alice', label: 'corrupt-alice' }),
      // The proxy reads the peer wire, so bob (who dials) speaks plain BitTorrent.
      startTestEngine(cleanup, {
        root,
        id: 'bob',
        label: 'corrupt-bob',
        extra: { BITWEEN_PEER_ENCRYPTION: 'off' },
      }),
    ]);
  });
  afterAll(() => cleanup.run());

  it('drops the corrupt pieces, downloads them again and verifies the whole file', async () => {
    await mkdir(join(root, 'alice'), { recursive: true });
    const source = join(root, 'alice', 'data.bin');
    const sum = await writeRandomFile(source, SIZE);
    const shared = await alice.bus.request(engine.addPath, { path: source });
    if (!shared.ok) throw shared.error;
    const hash = shared.value.torrent.hash;

    const proxy = await startCorruptingProxy(cleanup, { targetPort: torrentPort(alice), pieces: BAD_PIECES });
    await downloadFrom(bob, hash, proxy.port, "bob's download through the corrupting proxy");

    expect(proxy.corrupted.map((b) => Number(b.split(':')[0])).sort((a, b) => a - b)).toEqual(BAD_PIECES);
    const failures = bob.process.logs
      .filter((l) => l.msg === 'piece failed verification' && l.hash === hash)
      .map((l) => String(l.err));
    expect(failures.sort()).toEqual(BAD_PIECES.map((i) => `Piece ${i} failed verification`).sort());
    expect(await sha256File(join(root, 'bob', 'downloads', 'data.bin'))).toBe(sum);
  });
});
