import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../core/event-log.js';
import { torrent } from '../testing/peers.js';
import { publicEvent } from './public-event.js';
import { publicTorrent } from './to-public.js';

const stored = (type: string, data: unknown): StoredEvent => ({
  id: 7,
  type,
  time: '2026-12-07T07:00:00.000Z',
  hash: 'a'.repeat(40),
  data,
});

describe('publicEvent', () => {
  it('gives a torrent.added the public Torrent, without internal members', () => {
    const status = torrent({ hash: 'a'.repeat(40), queueOrder: 4 });
    const e = publicEvent(stored('torrent.added', { torrent: status }));
    expect(e).toMatchObject({ id: 7, type: 'torrent.added', hash: 'a'.repeat(40) });
    expect(e.data).toEqual({ torrent: publicTorrent(status) });
    expect((e.data as { torrent: object }).torrent).not.toHaveProperty('queueOrder');
  });

  it('answers null data for a torrent.added that is not the contract, never the recorded value', () => {
    expect(publicEvent(stored('torrent.added', { torrent: { hash: 'x', secret: 1 } })).data).toBeNull();
  });

  it('gives an offer.received the offer without the magnet addresses; null data when it is not the contract', () => {
    const offer = {
      id: '0123456789abcdef',
      from: 'alice@example.org',
      hash: 'a'.repeat(40),
      name: 'a.bin',
      size: 3,
      endpoints: [{ address: '203.0.113.5', port: 6881 }],
      receivedAt: 1,
      acceptedAt: null,
    };
    const { endpoints: _endpoints, ...shown } = offer;
    expect(publicEvent(stored('offer.received', offer)).data).toEqual(shown);
    expect(publicEvent(stored('offer.received', { ...offer, hash: 'x' })).data).toBeNull();
  });

  it('leaves other events as they are', () => {
    const e = stored('torrent.removed', { hash: 'a'.repeat(40) });
    expect(publicEvent(e)).toBe(e);
  });
});
