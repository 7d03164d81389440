import { describe, expect, it } from 'vitest';
import { BITWEEN_DISCO, CAPS_NODE, capsElement, capsNodeOf, capsVer, discoInfoQuery } from './caps.js';
import { NS_SHARES, NS_SHARES_NOTIFY } from './namespaces.js';
import xml from '@xmpp/xml';

describe('capsVer', () => {
  it('matches the XEP-0115 §5.2 simple generation example', () => {
    expect(
      capsVer({
        identities: [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
        features: [
          'http://jabber.org/protocol/disco#info',
          'http://jabber.org/protocol/disco#items',
          'http://jabber.org/protocol/muc',
          'http://jabber.org/protocol/caps',
        ],
      }),
    ).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('does not depend on the order of features', () => {
    const a = capsVer(BITWEEN_DISCO);
    const b = capsVer({ ...BITWEEN_DISCO, features: [...BITWEEN_DISCO.features].reverse() });
    expect(a).toBe(b);
  });
});

describe('what bitween advertises', () => {
  it('is a client/bot with the shares feature and +notify (so PEP notifications reach us)', () => {
    expect(BITWEEN_DISCO.identities).toEqual([{ category: 'client', type: 'bot', name: 'bitween' }]);
    expect(BITWEEN_DISCO.features).toEqual(expect.arrayContaining([NS_SHARES, NS_SHARES_NOTIFY]));
  });

  it('answers disco#info with exactly the hashed identities and features', () => {
    const q = discoInfoQuery(BITWEEN_DISCO, 'node#ver');
    expect(q.attrs.node).toBe('node#ver');
    const features = q.getChildren('feature').map((f) => f.attrs.var as string);
    const identities = q.getChildren('identity').map((i) => ({
      category: i.attrs.category as string,
      type: i.attrs.type as string,
      name: i.attrs.name as string,
    }));
    expect(capsVer({ identities, features })).toBe(capsElement(BITWEEN_DISCO).attrs.ver);
  });
});

describe('capsNodeOf', () => {
  it('reads the software a presence announces, and nothing from a presence without caps', () => {
    expect(capsNodeOf(xml('presence', {}, capsElement(BITWEEN_DISCO)))).toBe(CAPS_NODE);
    expect(
      capsNodeOf(
        xml('presence', {}, xml('c', { xmlns: 'http://jabber.org/protocol/caps', node: 'x', ver: 'v' })),
      ),
    ).toBe('x');
    expect(capsNodeOf(xml('presence'))).toBeNull();
    expect(capsNodeOf(xml('presence', {}, xml('c', { xmlns: 'urn:other', node: CAPS_NODE })))).toBeNull();
  });
});
