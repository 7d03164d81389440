import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@bitween/runtime';
import type { xmpp } from '@bitween/messages';
import type { Element } from '@xmpp/xml';
import { afterAll, describe, expect, it } from 'vitest';
import { ContactIndex } from '../domain/contact-index.js';
import type { EngineView } from '../domain/engine-view.js';
import { shareMessage } from '../protocol/share-message.js';
import type { XmppSession } from '../xmpp/session.js';
import { OfferFile } from './offer-file.js';
import { ShareOffers } from './share-offers.js';

const ME = 'bob@example.org';
const ALICE = 'alice@example.org';
const HELD = 'a'.repeat(40);
const WANTED = 'b'.repeat(40);
const log = createLogger('share-offers-test', 'silent');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Just what ShareOffers asks of the session: the roster (alice followed, mallory not) and sent stanzas. */
function fakeSession() {
  const sent: Element[] = [];
  const roster = new Map<string, { subscription: 'both'; name: null; groups?: string[] }>([
    [ALICE, { subscription: 'both' as const, name: null, groups: ['family'] }],
    ['carol@example.org', { subscription: 'both' as const, name: null }],
  ]);
  const session = {
    bareJid: ME,
    resource: 'home',
    online: true,
    roster,
    isTrusted: (bare: string) => bare === ME || roster.get(bare)?.subscription === 'both',
    sendMessage: (stanza: Element) => {
      sent.push(stanza);
      return Promise.resolve();
    },
  };
  return { session: session as unknown as XmppSession, sent, roster };
}

const engines = {
  hashes: () => [HELD],
  entries: () => [
    {
      resource: 'home/e1',
      shares: [{ hash: HELD, name: 'ours.bin', size: 10 }],
      endpoints: [{ address: '198.51.100.9', port: 7000 }],
    },
  ],
} as unknown as EngineView;

function setup(file: OfferFile | null = null, visibility = new Map<string, readonly string[]>()) {
  const { session, sent, roster } = fakeSession();
  const index = new ContactIndex();
  const received: xmpp.Offer[] = [];
  const offers = new ShareOffers({
    session,
    log,
    engines,
    index,
    limits: { max: 10, perSender: 5 },
    file,
    onOffer: (o) => received.push(o),
    onChange: () => undefined,
    extraAddresses: () => [],
    visibility: () => visibility,
  });
  return { offers, sent, received, index, roster };
}

/** What alice's bitween would send for `hash`, as bob receives it. */
const fromAlice = (hash: string, endpoints = [{ address: '203.0.113.5', port: 6881 }]) =>
  shareMessage(ME, { share: { hash, name: 'theirs.bin', size: 3 }, endpoints }).stanza;

describe('ShareOffers', () => {
  it('sends one of our shares to a contact; refuses strangers, ourselves and hashes we do not share', async () => {
    const { offers, sent } = setup();
    const { magnet } = await offers.send(ALICE, HELD);
    expect(magnet).toBe(`magnet:?xt=urn:btih:${HELD}&dn=ours.bin&xl=10&x.pe=198.51.100.9:7000`);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attrs).toMatchObject({ to: ALICE, type: 'chat' });
    await expect(offers.send('mallory@example.org', HELD)).rejects.toMatchObject({ code: 'not_found' });
    await expect(offers.send(ME, HELD)).rejects.toMatchObject({ code: 'not_found' });
    await expect(offers.send(ALICE, WANTED)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('sends a share restricted to roster groups only to their members, naming the groups otherwise', async () => {
    const { offers, sent } = setup(null, new Map([[HELD, ['family', 'work']]]));
    const refused = offers.send('carol@example.org', HELD);
    await expect(refused).rejects.toMatchObject({ code: 'conflict' });
    await expect(refused).rejects.toThrow(
      /seen only by the roster groups "family", "work" and carol@example\.org is in none/,
    );
    expect(sent).toHaveLength(0);
    await offers.send(ALICE, HELD);
    expect(sent.map((s) => String(s.attrs.to))).toEqual([ALICE]);
  });

  it('makes an offer only from a followed contact, once per share, never for a hash we hold', () => {
    const { offers, received } = setup();
    offers.onMessage('mallory@example.org/x', fromAlice(WANTED));
    offers.onMessage(`${ME}/phone`, fromAlice(WANTED));
    offers.onMessage(`${ALICE}/laptop`, fromAlice(HELD));
    expect(offers.list()).toEqual([]);
    offers.onMessage(`${ALICE}/laptop`, fromAlice(WANTED));
    offers.onMessage(`${ALICE}/laptop`, fromAlice(WANTED));
    expect(offers.list()).toEqual([
      expect.objectContaining({ from: ALICE, hash: WANTED, name: 'theirs.bin' }),
    ]);
    expect(received).toHaveLength(1);
    expect(offers.dropped).toBe(1);
  });

  it("keeps the sender's SHA-256 in the offer; a malformed one is left out and the offer still made", () => {
    const { offers } = setup();
    const sha256 = createHash('sha256').update('theirs').digest('base64');
    const good = shareMessage(ME, {
      share: { hash: WANTED, name: 'theirs.bin', size: 3, sha256 },
      endpoints: [],
    });
    offers.onMessage(`${ALICE}/laptop`, good.stanza);
    expect(offers.list()).toEqual([expect.objectContaining({ hash: WANTED, sha256 })]);
    const other = 'c'.repeat(40);
    const bad = shareMessage(ME, { share: { hash: other, name: 'x.bin', size: 3, sha256 }, endpoints: [] });
    bad.stanza.getChild('file-sharing')!.getChild('file')!.getChild('hash')!.children = ['not base64!'];
    offers.onMessage(`${ALICE}/laptop`, bad.stanza);
    const offer = offers.list().find((o) => o.hash === other);
    expect(offer).toBeDefined();
    expect(offer).not.toHaveProperty('sha256');
  });

  it('hands the engines only the x.pe endpoints the sender’s own list announces', () => {
    const { offers, index } = setup();
    offers.onMessage(
      `${ALICE}/laptop`,
      fromAlice(WANTED, [
        { address: '203.0.113.5', port: 6881 },
        { address: '203.0.113.66', port: 6881 },
      ]),
    );
    expect(offers.endpointsFor([WANTED])).toEqual(new Map());
    index.replace(
      ALICE,
      [{ resource: 'laptop/e', shares: [], endpoints: [{ address: '203.0.113.5', port: 6881 }] }],
      1,
    );
    expect(offers.endpointsFor([WANTED])).toEqual(
      new Map([[WANTED, [{ address: '203.0.113.5', port: 6881, jid: ALICE }]]]),
    );
    // Only for hashes the engines hold.
    expect(offers.endpointsFor([HELD])).toEqual(new Map());
  });

  it('keeps offers in the data dir across restarts, per account; drops those of senders no longer followed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offers-'));
    dirs.push(dir);
    const first = setup(new OfferFile(dir));
    await first.offers.load();
    first.offers.onMessage(`${ALICE}/laptop`, fromAlice(WANTED));
    const id = first.offers.list()[0]!.id;
    first.offers.accepted(id);
    await first.offers.idle();
    const stored = JSON.parse(await readFile(join(dir, 'offers.json'), 'utf8')) as { account: string };
    expect(stored.account).toBe(ME);

    const second = setup(new OfferFile(dir));
    await second.offers.load();
    const [restored] = second.offers.list();
    expect(restored).toMatchObject({ id, hash: WANTED });
    expect(restored?.acceptedAt).toBeTypeOf('number');
    second.roster.delete(ALICE);
    second.offers.retainTrusted();
    expect(second.offers.list()).toEqual([]);
    expect(() => second.offers.dismiss(id)).toThrow(/no offer/);
    await second.offers.idle();
  });
});
