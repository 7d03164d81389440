import {
  Contact as BusContact,
  ContactResource as BusContactResource,
  EngineSettings as BusEngineSettings,
  PendingSubscription as BusPendingSubscription,
  TorrentStatus,
} from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { torrent } from '../testing/peers.js';
import { Contact, ContactResource, EngineSettings, PendingSubscription, Torrent } from './resources.js';
import { publicTorrent, publicTorrentListJson } from './to-public.js';

const keys = (schema: z.ZodObject) => Object.keys(schema.shape).sort();

/**
 * Each bus type that becomes a public resource, with the members it keeps internal and the ones
 * only the api adds. A member added to a contract fails here until it is made public (resources.ts,
 * to-public.ts, then openapi.json shows it) or named internal on purpose.
 */
const pairs: { name: string; bus: z.ZodObject; pub: z.ZodObject; internal: string[]; added: string[] }[] = [
  { name: 'TorrentStatus → Torrent', bus: TorrentStatus, pub: Torrent, internal: ['queueOrder'], added: [] },
  { name: 'Contact', bus: BusContact, pub: Contact, internal: [], added: ['shares'] },
  { name: 'ContactResource', bus: BusContactResource, pub: ContactResource, internal: [], added: [] },
  {
    name: 'PendingSubscription',
    bus: BusPendingSubscription,
    pub: PendingSubscription,
    internal: [],
    added: [],
  },
  { name: 'EngineSettings', bus: BusEngineSettings, pub: EngineSettings, internal: [], added: [] },
];

describe('public resources and the bus contracts', () => {
  it.each(pairs)('$name: every member of the contract is public or named internal', (p) => {
    const expected = [...keys(p.bus).filter((k) => !p.internal.includes(k)), ...p.added].sort();
    expect(keys(p.pub)).toEqual(expected);
  });

  it('a torrent keeps every public member and loses the internal ones', () => {
    // Every optional member present, so a member the mapping forgets shows.
    const status = torrent({
      trackers: [{ url: 'udp://t.example:1337', state: 'working', message: null, lastAnnounceAt: 5 }],
      sequential: true,
      pieceCount: 4,
      pieceLength: 16384,
      downloadedEver: 100,
      uploadedEver: 50,
      secondsDownloading: 7,
      secondsSeeding: 9,
      completedAt: 11,
      activityAt: 12,
      labels: ['films'],
      friends: ['alice@example.org'],
      seedLimits: { ratioMode: 'single', ratio: 2, idleMode: 'global', idleMinutes: 30 },
      finished: false,
      fileCount: 1,
      queueOrder: 3.5,
      sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
    });
    expect(Object.keys(status).sort()).toEqual(keys(TorrentStatus));
    const pub = publicTorrent(status);
    expect(pub).not.toHaveProperty('queueOrder');
    expect(Torrent.strict().parse(pub)).toEqual(pub);
    const { queueOrder: _internal, ...rest } = status;
    expect(pub).toEqual(rest);
  });

  it('the cached listing is serialised from the public form', () => {
    const list = [torrent({ queueOrder: 1 }), torrent({ hash: 'a'.repeat(40), queueOrder: 2 })];
    const body = JSON.parse(publicTorrentListJson(list).toString('utf8')) as {
      torrents: unknown[];
      total: number;
    };
    expect(body.total).toBe(2);
    expect(body.torrents).toEqual(
      list.map(publicTorrent).map((t) => JSON.parse(JSON.stringify(t)) as unknown),
    );
    for (const t of body.torrents) expect(t).not.toHaveProperty('queueOrder');
  });
});
