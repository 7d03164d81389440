import { createLogger } from '@bitween/runtime';
import type { xmpp } from '@bitween/messages';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadApiConfig } from '../config.js';
import { CoreError } from '../core/errors.js';
import { fakeCore, type FakeCore } from '../testing/fake-core.js';
import { torrent } from '../testing/peers.js';

const KEY = 'offers-route-test-api-key-0123';
const headers = { 'x-api-key': KEY };
let core: FakeCore;
let app: FastifyInstance;
const held = torrent();

const offer: xmpp.Offer = {
  id: '0123456789abcdef',
  from: 'alice@example.org',
  hash: 'b'.repeat(40),
  name: 'holiday.mkv',
  size: 1234,
  mediaType: 'video/x-matroska',
  endpoints: [{ address: '203.0.113.5', port: 6881 }],
  receivedAt: 1_700_000_000_000,
  acceptedAt: null,
};
const { endpoints: _endpoints, ...shown } = offer;

beforeAll(async () => {
  core = fakeCore([held]);
  core.offers.list = () => Promise.resolve([offer]);
  core.offers.send = (jid, hash) => Promise.resolve({ jid, hash, magnet: `magnet:?xt=urn:btih:${hash}` });
  core.offers.accept = (id) =>
    id === offer.id
      ? Promise.resolve({ offer: { ...offer, acceptedAt: 5 }, added: { torrent: held, created: true } })
      : Promise.reject(new CoreError('not_found', `no offer ${id}`));
  app = await buildApp({
    core,
    log: createLogger('api-offers-test', 'silent'),
    config: loadApiConfig({ BITWEEN_WEB_DIR: 'off' }),
    version: '9.9.9',
    apiKey: KEY,
  });
});

afterAll(async () => {
  await app?.close();
});

describe('offers over REST', () => {
  it('sends a share to a contact (the hash normalised), and refuses a malformed hash', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/contacts/bob@example.org/send',
      headers,
      payload: { hash: 'C'.repeat(40) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      jid: 'bob@example.org',
      hash: 'c'.repeat(40),
      magnet: `magnet:?xt=urn:btih:${'c'.repeat(40)}`,
    });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/contacts/bob@example.org/send',
      headers,
      payload: { hash: 'nope' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('lists offers without the magnet addresses', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/offers', headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ offers: [shown] });
  });

  it('accepts an offer: the offer and the download it started; 404 for an unknown one, 400 for a bad id', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/offers/${offer.id}/accept`, headers });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ offer: object; added: { created: boolean; torrent: { hash: string } } }>();
    expect(body.offer).toEqual({ ...shown, acceptedAt: 5 });
    expect(body.added).toMatchObject({ created: true, torrent: { hash: held.hash } });
    expect(
      (await app.inject({ method: 'POST', url: '/v1/offers/ffffffffffffffff/accept', headers })).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/offers/x/accept', headers })).statusCode).toBe(400);
  });

  it('dismisses an offer (204), 404 for an unknown one', async () => {
    let dismissed = '';
    const fallback = core.offers.dismiss;
    core.offers.dismiss = (id) => (id === offer.id ? Promise.resolve(void (dismissed = id)) : fallback(id));
    expect((await app.inject({ method: 'DELETE', url: `/v1/offers/${offer.id}`, headers })).statusCode).toBe(
      204,
    );
    expect(dismissed).toBe(offer.id);
    expect(
      (await app.inject({ method: 'DELETE', url: '/v1/offers/ffffffffffffffff', headers })).statusCode,
    ).toBe(404);
  });
});
