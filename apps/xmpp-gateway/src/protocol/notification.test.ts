import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { NS_PUBSUB_EVENT, NS_SHARES } from './namespaces.js';
import { checkNotification } from './notification.js';

const OWN = 'bob@example.org';
const CONTACT = 'alice@example.org';
const trusted = (bare: string) => bare === OWN || bare === CONTACT;

const list = (name: string) =>
  xml(
    'user_shares',
    { xmlns: NS_SHARES },
    xml('resource', { resource: 'laptop' }, xml('share_item', { hash: 'a'.repeat(40), name, size: '1' })),
  );

/** A message carrying a pubsub event for `node` (default: the shares node). */
function event(attrs: Record<string, string>, node = NS_SHARES): Element {
  return xml(
    'message',
    { to: `${OWN}/bitween`, ...attrs },
    xml(
      'event',
      { xmlns: NS_PUBSUB_EVENT },
      xml('items', { node }, xml('item', { id: 'current' }, list('fake'))),
    ),
  );
}

describe('checkNotification: lists only as PEP notifications from a contact’s bare JID', () => {
  it('accepts a PEP notification as Prosody and ejabberd send it (bare JID, headline)', () => {
    const r = checkNotification(event({ from: CONTACT, type: 'headline', id: 'n1' }), trusted);
    expect(r).toMatchObject({ ok: true, from: CONTACT, event: { kind: 'item' } });
  });

  it('accepts type normal and no type (XEP-0060 allows both), and the JID in any case', () => {
    expect(checkNotification(event({ from: CONTACT, type: 'normal' }), trusted)?.ok).toBe(true);
    expect(checkNotification(event({ from: CONTACT }), trusted)?.ok).toBe(true);
    expect(checkNotification(event({ from: 'Alice@Example.ORG' }), trusted)).toMatchObject({
      ok: true,
      from: CONTACT,
    });
  });

  it('accepts our own account’s notifications (how an instance learns its siblings)', () => {
    expect(checkNotification(event({ from: OWN, type: 'headline' }), trusted)).toMatchObject({
      ok: true,
      from: OWN,
    });
  });

  it('accepts a retraction and a purge of the shares node from a contact', () => {
    const retract = xml(
      'message',
      { from: CONTACT, type: 'headline' },
      xml(
        'event',
        { xmlns: NS_PUBSUB_EVENT },
        xml('items', { node: NS_SHARES }, xml('retract', { id: 'current' })),
      ),
    );
    expect(checkNotification(retract, trusted)).toEqual({
      ok: true,
      from: CONTACT,
      event: { kind: 'retract' },
    });
    const purge = xml(
      'message',
      { from: CONTACT },
      xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('purge', { node: NS_SHARES })),
    );
    expect(checkNotification(purge, trusted)?.ok).toBe(true);
  });

  it.each([
    [
      'the contact’s full JID (sent by her client)',
      { from: `${CONTACT}/laptop`, type: 'headline' },
      /full JID/,
    ],
    ['our own full JID (another resource of ours)', { from: `${OWN}/phone`, type: 'headline' }, /full JID/],
    ['an empty resource', { from: `${CONTACT}/`, type: 'headline' }, /full JID/],
    ['a non-contact’s bare JID', { from: 'mallory@evil.example', type: 'headline' }, /not a contact/],
    ['a non-contact’s full JID', { from: 'mallory@evil.example/x', type: 'headline' }, /full JID/],
    ['our server’s pubsub service', { from: 'pubsub.example.org', type: 'headline' }, /server or service/],
    ['a server', { from: 'example.org', type: 'headline' }, /server or service/],
    ['a server with a resource', { from: 'example.org/admin', type: 'headline' }, /full JID/],
    ['no sender', { type: 'headline' }, /no sender/],
    ['an unreadable sender', { from: 'alice@', type: 'headline' }, /unreadable/],
    ['type chat', { from: CONTACT, type: 'chat' }, /type "chat"/],
    ['type groupchat', { from: CONTACT, type: 'groupchat' }, /type "groupchat"/],
    ['type error', { from: CONTACT, type: 'error' }, /type "error"/],
  ])('drops an event from %s', (_, attrs: Record<string, string>, reason) => {
    const r = checkNotification(event(attrs), trusted);
    expect(r?.ok).toBe(false);
    expect(r?.ok === false && r.reason).toMatch(reason);
  });

  it('says who sent a dropped event, hidden characters made visible (it is logged)', () => {
    expect(checkNotification(event({ from: `${CONTACT}/\u202Eevil`, type: 'headline' }), trusted)).toEqual({
      ok: false,
      from: `${CONTACT}/<U+202E>evil`,
      type: 'headline',
      reason: 'sent from a full JID (by a client), not by the PEP service',
    });
  });

  it('ignores events of other nodes and messages without an event (not about shares)', () => {
    expect(checkNotification(event({ from: CONTACT }, 'urn:xmpp:avatar:metadata'), trusted)).toBeNull();
    expect(checkNotification(event({ from: `${CONTACT}/x`, type: 'chat' }, 'urn:other'), trusted)).toBeNull();
    expect(checkNotification(xml('message', { from: CONTACT }, xml('body', {}, 'hi')), trusted)).toBeNull();
    // An event in another namespace is not a pubsub event.
    const foreign = xml(
      'message',
      { from: CONTACT },
      xml('event', { xmlns: 'urn:other' }, xml('items', { node: NS_SHARES }, xml('item', {}, list('x')))),
    );
    expect(checkNotification(foreign, trusted)).toBeNull();
  });

  it('ignores an event wrapped in a carbon or an archive result (never a direct notification)', () => {
    const carbon = xml(
      'message',
      { from: OWN, type: 'chat' },
      xml(
        'received',
        { xmlns: 'urn:xmpp:carbons:2' },
        xml(
          'forwarded',
          { xmlns: 'urn:xmpp:forward:0' },
          event({ from: `${CONTACT}/laptop`, type: 'headline' }),
        ),
      ),
    );
    expect(checkNotification(carbon, trusted)).toBeNull();
  });
});
