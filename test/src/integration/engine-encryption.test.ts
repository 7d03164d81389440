import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engine } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  downloadFrom,
  makeTempDir,
  sha256File,
  startTcpProxy,
  startTestEngine,
  torrentPort,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

/** The first bytes of a plain BitTorrent handshake. */
const PLAIN_HANDSHAKE = Buffer.from('\x13BitTorrent protocol', 'latin1');

/**
 * Protocol encryption (BITWEEN_PEER_ENCRYPTION): with `preferred`, a connection the engine dials
 * starts with the MSE/PE Diffie-Hellman handshake, so an observer never sees the BitTorrent
 * header. This is also the test of the patched key exchange (patches/bittorrent-protocol, mse.js:
 * the group is checked once per process, each handshake has its own key pair): keys that did not
 * agree would fail the handshake and the download would not complete.
 */
describe('protocol encryption between engines', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let hash: string;
  let sum: string;
  let alicePort: number;

  beforeAll(async () => {
    root = await makeTempDir('encryption');
    alice = await startTestEngine(cleanup, { root, id: 'alice', label: 'encryption-alice' });
    await mkdir(join(root, 'alice'), { recursive: true });
    const source = join(root, 'alice', 'data.bin');
    sum = await writeRandomFile(source, 3 * 1024 * 1024 + 777);
    const shared = await alice.bus.request(engine.addPath, { path: source });
    if (!shared.ok) throw shared.error;
    hash = shared.value.torrent.hash;
    alicePort = torrentPort(alice);
  });
  afterAll(() => cleanup.run());

  /**
   * A downloader with the given encryption setting fetches alice's file through a proxy that
   * records the first 20 bytes the downloader sends on each connection.
   */
  async function downloadThroughRecorder(id: string, encryption: 'preferred' | 'off') {
    const openings: Buffer[] = [];
    const proxy = await startTcpProxy(cleanup, `recorder for ${id}`, alicePort, (target, client) => {
      let opening = Buffer.alloc(0);
      const record = (chunk: Buffer) => {
        opening = Buffer.concat([opening, chunk]).subarray(0, PLAIN_HANDSHAKE.length);
        if (opening.length < PLAIN_HANDSHAKE.length) return;
        openings.push(opening);
        client.off('data', record);
      };
      client.on('data', record);
      target.pipe(client);
    });
    const leecher = await startTestEngine(cleanup, {
      root,
      id,
      label: `encryption-${id}`,
      extra: { BITWEEN_PEER_ENCRYPTION: encryption },
    });
    await downloadFrom(leecher, hash, proxy.port, `${id}'s download (encryption ${encryption})`);
    expect(await sha256File(join(root, id, 'downloads', 'data.bin'))).toBe(sum);
    return openings;
  }

  it('with encryption preferred, every connection opens with the obfuscated handshake', async () => {
    const openings = await downloadThroughRecorder('bob', 'preferred');
    expect(openings.length).toBeGreaterThan(0);
    for (const opening of openings) expect(opening.equals(PLAIN_HANDSHAKE)).toBe(false);
  });

  it('with encryption off, connections open with the plain BitTorrent handshake', async () => {
    const openings = await downloadThroughRecorder('carol', 'off');
    expect(openings.length).toBeGreaterThan(0);
    for (const opening of openings)
      expect(opening.toString('latin1')).toBe(PLAIN_HANDSHAKE.toString('latin1'));
  });
});
