/// <reference lib="dom" />
import type { ContactShares } from '@bitween/messages';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  cli,
  openWebUi,
  RestError,
  startFriends,
  waitFor,
  xmppOnline,
  type BitweenNode,
  type LogLine,
  type Prosody,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml, type TestClient } from '../harness/xmpp-client.js';

/*
 * Issue 18, points 8 and 9: names from a contact's list are stored and shown without bidi
 * controls and invisible characters, and a list counts only as a PEP notification from the
 * contact's bare JID. A real node (nats-server, engine, gateway, api) and a real Prosody;
 * mallory (a contact) and trudy (a stranger) are plain XMPP clients that misbehave.
 */

const NS_EVENT = 'http://jabber.org/protocol/pubsub#event';
const DROPPED = 'dropped a shares event that is not a PEP notification from a contact';
const FSI = '\u2068';
const PDI = '\u2069';

const hash = (n: number) => n.toString(16).padStart(40, '0');
const item = (n: number, name: string) => xml('share_item', { hash: hash(n), name, size: String(n) });
/** mallory's client logs in as resource "test": an entry named "test/…" is online. */
const userShares = (...children: Element[]) => xml('user_shares', { xmlns: NS_SHARES }, ...children);

describe('names from contacts and lists only from PEP', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let mallory: TestClient;
  let trudy: TestClient;

  const malloryJid = () => prosody.jid('mallory');
  const malloryAtAlice = async (): Promise<ContactShares | undefined> => {
    try {
      return await alice.rest.get<ContactShares>(`/v1/contacts/${malloryJid()}/shares`);
    } catch (err) {
      if (err instanceof RestError && err.status === 404) return undefined;
      throw err;
    }
  };
  const names = (c: ContactShares | undefined) =>
    Object.fromEntries((c?.resources ?? []).flatMap((r) => r.shares.map((s) => [s.hash, s.name])));
  /** A `<message/>` carrying a pubsub event of the shares node, sent straight to alice's gateway. */
  const spoof = (attrs: Record<string, string>, ...items: Element[]) =>
    xml(
      'message',
      { to: `${alice.jid}/bitween`, ...attrs },
      xml('event', { xmlns: NS_EVENT }, xml('items', { node: NS_SHARES }, ...items)),
    );
  const dropped = (match: (l: LogLine) => boolean, what: string) =>
    alice.gateway.waitForLog((l) => l.msg === DROPPED && match(l), { what, timeoutMs: 20_000 });

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice],
    } = await startFriends(cleanup, ['alice'], {
      label: 'names',
      accounts: ['mallory', 'trudy'],
      friends: ['mallory'], // trudy is nobody's contact
    }));
    await xmppOnline(alice.gateway);
    [mallory, trudy] = await Promise.all([
      connectClient(cleanup, prosody, 'mallory', 'mallory-pw'),
      connectClient(cleanup, prosody, 'trudy', 'trudy-pw'),
    ]);
  });
  afterAll(() => cleanup.run());

  const persian = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.pdf';
  const hebrew = '\u05E9\u05DC\u05D5\u05DD.txt';

  it('a contact’s names arrive without bidi overrides and invisible characters; RTL text and emoji stay', async () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} holiday';
    await mallory.publish(
      userShares(
        xml(
          'resource',
          { resource: 'test/names' },
          item(1, 'rlo\u202Egpj.exe'),
          item(2, 'zero\u200Bwidth\u2060\uFEFF.txt'),
          item(3, '\u202E\u200B\u2066'),
          item(4, persian),
          item(5, hebrew),
          item(6, family),
          item(
            7,
            `report.pdf${[...'run me'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')}`,
          ),
          xml('ip_address', { address: '203.0.113.9', port: '7000' }),
        ),
        // An entry name is an identifier (matched with presence): refused, not changed.
        xml('resource', { resource: 'test\u202E/evil' }, item(8, 'hidden entry')),
      ),
    );
    const list = await waitFor(
      async () => {
        const c = await malloryAtAlice();
        return c && names(c)[hash(1)] ? c : undefined;
      },
      { what: 'mallory’s list at alice' },
    );
    expect(names(list)).toEqual({
      [hash(1)]: 'rlogpj.exe',
      [hash(2)]: 'zerowidth.txt',
      [hash(3)]: '(no name)',
      [hash(4)]: persian,
      [hash(5)]: hebrew,
      [hash(6)]: family,
      [hash(7)]: 'report.pdf',
    });
    expect(list.resources.map((r) => r.resource)).toEqual(['test/names']);
    const problems = await alice.gateway.waitForLog(
      (l) => l.msg === 'dropped invalid entries of a shares notification' && l.from === malloryJid(),
      { what: 'the refused entry name in the log' },
    );
    // The log quotes the refused name with its override made visible.
    expect(JSON.stringify(problems.problems)).toContain('test<U+202E>/evil');
    expect(JSON.stringify(problems.problems)).not.toContain('\u202E');

    // The friends' shares list (what the web UI reads) and the CLI show the same.
    const { shares } = await alice.rest.get<{ shares: { hash: string; name: string }[] }>(
      `/v1/shares?jid=${malloryJid()}`,
    );
    expect(shares.find((s) => s.hash === hash(1))?.name).toBe('rlogpj.exe');
    expect(JSON.stringify(shares)).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]/);
    const text = await cli(alice, 'shares', '--jid', malloryJid());
    expect(text).toContain('rlogpj.exe');
    expect(text).toContain(`${FSI}${hebrew}${PDI}`);
    expect(text).toContain(`${FSI}${persian}${PDI}`);
    expect(text).toContain(family);
    expect(text).not.toMatch(/[\u202a-\u202e\u200b\u2060\ufeff\u{e0000}-\u{e007f}]/u);
  });

  it('the web UI shows the cleaned names, each isolated in a <bdi> (RTL ones right to left)', async () => {
    const { browser, page } = await openWebUi(cleanup, alice, {
      path: '/shares',
      heading: "Friends' shares",
    });
    const nameOf = (n: number) => page.locator(`li.share[data-hash="${hash(n)}"] h2.name bdi`);
    await nameOf(1).waitFor();
    expect(await nameOf(1).textContent()).toBe('rlogpj.exe');
    expect(await nameOf(3).textContent()).toBe('(no name)');
    expect(await nameOf(5).textContent()).toBe(hebrew);
    // <bdi>: its own direction (right to left for Hebrew), isolated from the line around it.
    const style = (n: number) =>
      nameOf(n).evaluate((el) => {
        const s = getComputedStyle(el);
        return { direction: s.direction, unicodeBidi: s.unicodeBidi };
      });
    expect(await style(5)).toEqual({ direction: 'rtl', unicodeBidi: 'isolate' });
    expect(await style(1)).toEqual({ direction: 'ltr', unicodeBidi: 'isolate' });
    // In labels (plain strings), right-to-left names sit between FSI and PDI.
    await page.getByRole('button', { name: `Download ${FSI}${persian}${PDI}` }).waitFor();
    await page.getByRole('button', { name: 'Download rlogpj.exe' }).waitFor();
    const text = await page.locator('body').textContent();
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]/);
    await browser.close();
  });

  it('a pubsub event sent straight to us is not a list: dropped whoever sends it; a real PEP publish still arrives', async () => {
    const before = await malloryAtAlice();
    expect(before).toBeDefined();
    const fake = (n: number) =>
      xml(
        'item',
        { id: 'current' },
        userShares(xml('resource', { resource: 'test/x' }, item(n, `spoofed ${n}`))),
      );

    // mallory (a contact) from her client: the server stamps her full JID on it.
    await mallory.send(spoof({ type: 'headline' }, fake(101)));
    // … typed chat.
    await mallory.send(spoof({ type: 'chat' }, fake(102)));
    // … claiming to come from her bare JID (Prosody rewrites `from` to the client's full JID).
    await mallory.send(spoof({ from: malloryJid(), type: 'normal' }, fake(103)));
    // … a retraction, which would erase her list if taken.
    await mallory.send(spoof({}, xml('retract', { id: 'current' })));
    // trudy, who is nobody's contact.
    await trudy.send(spoof({ type: 'headline' }, fake(104)));

    const fullJid = (user: string) => (l: LogLine) => String(l.from).startsWith(`${prosody.jid(user)}/`);
    const lines = [
      await dropped(
        (l) => fullJid('mallory')(l) && l.type === 'headline',
        'mallory’s headline event dropped',
      ),
      await dropped((l) => fullJid('mallory')(l) && l.type === 'chat', 'mallory’s chat event dropped'),
      await dropped(
        (l) => fullJid('mallory')(l) && l.type === 'normal',
        'mallory’s event with a bare from dropped',
      ),
      await dropped((l) => fullJid('mallory')(l) && l.type === null, 'mallory’s retraction dropped'),
      await dropped((l) => fullJid('trudy')(l), 'trudy’s event dropped'),
    ];
    expect(lines.map((l) => l.reason)).toEqual([
      'sent from a full JID (by a client), not by the PEP service',
      'a message of type "chat" (PEP notifications are headline or normal)',
      'sent from a full JID (by a client), not by the PEP service',
      'sent from a full JID (by a client), not by the PEP service',
      'sent from a full JID (by a client), not by the PEP service',
    ]);
    // Counted, and at debug level (anyone can send them: no warnings to flood the log with).
    expect(Math.max(...lines.map((l) => Number(l.droppedEvents)))).toBeGreaterThanOrEqual(5);
    expect(lines.every((l) => l.level === 20)).toBe(true);

    // Nothing changed: mallory's list is the one she published, trudy has none.
    const after = await malloryAtAlice();
    expect(after?.receivedAt).toBe(before?.receivedAt);
    expect(names(after)).toEqual(names(before));
    const { shares } = await alice.rest.get<{ shares: { hash: string; sources: { jid: string }[] }[] }>(
      '/v1/shares',
    );
    expect(shares.filter((s) => Number.parseInt(s.hash, 16) > 100)).toEqual([]);
    expect(shares.flatMap((s) => s.sources).filter((s) => s.jid === prosody.jid('trudy'))).toEqual([]);
    expect(
      alice.gateway.logs.filter((l) => l.msg === 'received a share list' && l.from === prosody.jid('trudy')),
    ).toEqual([]);

    // A genuine PEP publish from mallory still replaces her list.
    await mallory.publish(userShares(xml('resource', { resource: 'test/names' }, item(9, 'genuine'))));
    const fresh = await waitFor(
      async () => {
        const c = await malloryAtAlice();
        return c && names(c)[hash(9)] ? c : undefined;
      },
      { what: 'mallory’s genuine list' },
    );
    expect(names(fresh)).toEqual({ [hash(9)]: 'genuine' });
  });
});
