import { createLogger } from '@bitween/runtime';
import type { PeerInfo } from '@bitween/messages';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadApiConfig } from '../config.js';
import { fakeCore, type FakeCore } from '../testing/fake-core.js';
import { torrent } from '../testing/peers.js';

const KEY = 'peers-route-test-api-key-0123';
const headers = { 'x-api-key': KEY };
let core: FakeCore;
let app: FastifyInstance;
const held = torrent();

const peer: PeerInfo & { internal?: string } = {
  address: '203.0.113.7',
  port: 51413,
  client: 'WebTorrent 3.0.21',
  downloadSpeed: 1024,
  uploadSpeed: 0,
  progress: 0.5,
  amChoking: true,
  amInterested: true,
  peerChoking: false,
  peerInterested: false,
  incoming: false,
  encrypted: false,
  transport: 'tcp',
  internal: 'not public',
};

beforeAll(async () => {
  core = fakeCore([held]);
  const unknown = core.torrents.peers;
  // The fake's own answer for a torrent it does not hold (torrent_not_found), else this peer.
  core.torrents.peers = (t) => (t === held.hash ? Promise.resolve([peer]) : unknown(t));
  app = await buildApp({
    core,
    log: createLogger('api-peers-test', 'silent'),
    config: loadApiConfig({ BITWEEN_WEB_DIR: 'off' }),
    version: '9.9.9',
    apiKey: KEY,
  });
});

afterAll(async () => {
  await app?.close();
});

describe('GET /v1/torrents/{hash}/peers', () => {
  it("answers the engine's peers as the public Peer (named members only)", async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/torrents/${held.hash}/peers`, headers });
    expect(res.statusCode).toBe(200);
    const { internal: _internal, ...expected } = peer;
    expect(res.json()).toEqual({ peers: [expected] });
  });

  it('is a 404 problem for a torrent no engine holds, a 400 for a malformed hash', async () => {
    const missing = await app.inject({ method: 'GET', url: `/v1/torrents/${'e'.repeat(40)}/peers`, headers });
    expect(missing.statusCode).toBe(404);
    const bad = await app.inject({ method: 'GET', url: '/v1/torrents/nothex/peers', headers });
    expect(bad.statusCode).toBe(400);
  });
});
