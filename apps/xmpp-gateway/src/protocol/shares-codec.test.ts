import { Parser } from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { NS_SHARES } from './namespaces.js';
import { decodeUserShares, encodeUserShares } from './shares-codec.js';

function parse(text: string): Element {
  const p = new Parser();
  let root: Element | null = null;
  p.on('element', (el: Element) => (root = el));
  p.on('error', (err: Error) => {
    throw err;
  });
  // ltx's stream parser emits children of the stream root; wrap so the document root is a child.
  p.write(`<wrap>${text}`);
  if (!root) throw new Error('no element parsed');
  return root;
}

const H1 = '3f786850e387550fdab836ed7e6dc881de23001b';
const H2 = '2b66fd261ee5c6cfc8de7fa466bab600bcfe4f69';

// The example item of the protocol reference (alice@example.org/laptop and her server).
const EXAMPLE = `<user_shares xmlns="${NS_SHARES}">
  <resource resource="laptop">
    <share_item hash="${H1}" name="holiday" size="734003200"/>
    <ip_address address="203.0.113.5" port="8000"/>
    <ip_address address="2001:db8::5" port="8000"/>
  </resource>
  <resource resource="server">
    <share_item hash="${H2}" name="backup.tar" size="1048576"/>
    <ip_address address="198.51.100.7" port="8001"/>
  </resource>
</user_shares>`;

describe('decodeUserShares', () => {
  it('reads the reference example', () => {
    const r = decodeUserShares(parse(EXAMPLE));
    expect(r).toEqual({
      ok: true,
      problems: [],
      resources: [
        {
          resource: 'laptop',
          shares: [{ hash: H1, name: 'holiday', size: 734003200 }],
          endpoints: [
            { address: '203.0.113.5', port: 8000 },
            { address: '2001:db8::5', port: 8000 },
          ],
        },
        {
          resource: 'server',
          shares: [{ hash: H2, name: 'backup.tar', size: 1048576 }],
          endpoints: [{ address: '198.51.100.7', port: 8001 }],
        },
      ],
    });
  });

  it('reads "no shares"', () => {
    expect(decodeUserShares(parse(`<user_shares xmlns="${NS_SHARES}"/>`))).toEqual({
      ok: true,
      resources: [],
      problems: [],
    });
  });

  it('rejects a foreign root or namespace as a whole', () => {
    expect(decodeUserShares(parse(`<user_shares xmlns="urn:other"/>`)).ok).toBe(false);
    expect(decodeUserShares(parse(`<shares xmlns="${NS_SHARES}"/>`)).ok).toBe(false);
  });

  it('drops each invalid entry, keeps the valid ones, and says why', () => {
    const r = decodeUserShares(
      parse(`<user_shares xmlns="${NS_SHARES}">
        <resource resource="r">
          <share_item hash="${H1.toUpperCase()}" name="ok upper" size="1"/>
          <share_item hash="xyz" name="bad hash" size="1"/>
          <share_item hash="${H2}" name="" size="1"/>
          <share_item hash="${'c'.repeat(40)}" name="neg" size="-1"/>
          <share_item hash="${'d'.repeat(40)}" name="huge" size="99999999999999999"/>
          <share_item hash="${'e'.repeat(40)}" name="csi&#x9b;31m" size="1"/>
          <share_item hash="${'e'.repeat(40)}" name="fake&#10;line" size="1"/>
          <share_item hash="${'f'.repeat(40)}" name="no size"/>
          <ip_address address="example.org" port="80"/>
          <ip_address address="[2001:db8::1]" port="80"/>
          <ip_address address="10.0.0.1" port="0"/>
          <ip_address address="10.0.0.1" port="65536"/>
          <ip_address address="10.0.0.1" port="8000"/>
          <ip_address address="10.0.0.1" port="8000"/>
          <script>alert(1)</script>
        </resource>
        <resource resource="">
          <share_item hash="${H2}" name="x" size="1"/>
        </resource>
        <resource><share_item hash="${H2}" name="x" size="1"/></resource>
        <evil/>
      </user_shares>`),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.resources).toEqual([
      {
        resource: 'r',
        shares: [{ hash: H1, name: 'ok upper', size: 1 }],
        endpoints: [{ address: '10.0.0.1', port: 8000 }],
      },
      // The original's empty resource name (attribute empty or absent: SleekXMPP drops it).
      { resource: '', shares: [{ hash: H2, name: 'x', size: 1 }], endpoints: [] },
    ]);
    expect(r.problems).toHaveLength(14);
    expect(r.problems).toContain('resource "": listed twice, first kept');
    expect(r.problems.join('\n')).toMatch(/dddd+: size out of range/);
    expect(r.problems.join('\n')).toMatch(/hash "xyz" is not 40 hex/);
    expect(r.problems.join('\n')).toMatch(/control characters/);
    expect(r.problems.join('\n')).toMatch(/"example.org" is not an IP address/);
    expect(r.problems.join('\n')).toMatch(/ignored <evil>/);
  });

  it('reads an original’s <resource/> without a name as the entry ""', () => {
    const r = decodeUserShares(
      parse(
        `<user_shares xmlns="${NS_SHARES}"><resource><share_item hash="${H1}" name="a" size="1"/><ip_address address="::1" port="8000"/></resource></user_shares>`,
      ),
    );
    expect(r).toEqual({
      ok: true,
      problems: [],
      resources: [
        {
          resource: '',
          shares: [{ hash: H1, name: 'a', size: 1 }],
          endpoints: [{ address: '::1', port: 8000 }],
        },
      ],
    });
  });

  it('compares addresses in canonical form: one endpoint written two ways is one', () => {
    const r = decodeUserShares(
      parse(
        `<user_shares xmlns="${NS_SHARES}"><resource resource="r">
          <ip_address address="::1" port="8000"/>
          <ip_address address="0:0:0:0:0:0:0:1" port="8000"/>
          <ip_address address="2001:DB8:0::5" port="8000"/>
          <ip_address address="2001:db8::5" port="8000"/>
          <ip_address address="::ffff:10.0.0.1" port="8000"/>
          <ip_address address="10.0.0.1" port="8000"/>
          <ip_address address="10.0.0.1" port="8001"/>
        </resource></user_shares>`,
      ),
    );
    expect(r.ok && r.resources[0]?.endpoints).toEqual([
      { address: '::1', port: 8000 },
      { address: '2001:db8::5', port: 8000 },
      { address: '10.0.0.1', port: 8000 },
      { address: '10.0.0.1', port: 8001 },
    ]);
  });

  it('caps resources and shares', () => {
    const many = Array.from(
      { length: 5 },
      (_, i) => `<share_item hash="${i.toString(16).padStart(40, '0')}" name="n${i}" size="1"/>`,
    ).join('');
    const r = decodeUserShares(
      parse(
        `<user_shares xmlns="${NS_SHARES}"><resource resource="a">${many}</resource><resource resource="b"/><resource resource="c"/></user_shares>`,
      ),
      {
        maxPayloadBytes: 1e6,
        maxResources: 2,
        maxSharesPerResource: 3,
        maxEndpointsPerResource: 1,
        maxNameLength: 10,
      },
    );
    expect(r.ok && r.resources.map((x) => [x.resource, x.shares.length])).toEqual([
      ['a', 3],
      ['b', 0],
    ]);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/more than 3 shares/),
        expect.stringMatching(/more than 2 resources/),
      ]),
    );
  });

  it('caps endpoints and the payload size, and ignores elements of other namespaces', () => {
    const eps = Array.from({ length: 4 }, (_, i) => `<ip_address address="10.0.0.${i}" port="8000"/>`).join(
      '',
    );
    const shares = Array.from(
      { length: 50 },
      (_, i) => `<share_item hash="${i.toString(16).padStart(40, '0')}" name="${'n'.repeat(50)}" size="1"/>`,
    ).join('');
    const r = decodeUserShares(
      parse(
        `<user_shares xmlns="${NS_SHARES}"><x:ext xmlns:x="urn:other" xmlns="urn:other"/><resource resource="a">${eps}${shares}</resource></user_shares>`,
      ),
      {
        maxPayloadBytes: 2000,
        maxResources: 2,
        maxSharesPerResource: 100,
        maxEndpointsPerResource: 2,
        maxNameLength: 100,
      },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.resources[0]?.endpoints).toHaveLength(2);
    expect(r.resources[0]?.shares.length).toBeGreaterThan(10);
    expect(r.resources[0]?.shares.length).toBeLessThan(50);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/more than 2 endpoints/),
        expect.stringMatching(/payload larger than 2000 bytes/),
      ]),
    );
    expect(r.problems.join('\n')).not.toMatch(/ext/);
  });

  it('keeps the first of duplicate hashes and resources', () => {
    const r = decodeUserShares(
      parse(`<user_shares xmlns="${NS_SHARES}">
        <resource resource="a"><share_item hash="${H1}" name="one" size="1"/><share_item hash="${H1}" name="two" size="2"/></resource>
        <resource resource="a"><share_item hash="${H2}" name="x" size="1"/></resource>
      </user_shares>`),
    );
    expect(r.ok && r.resources).toEqual([
      { resource: 'a', shares: [{ hash: H1, name: 'one', size: 1 }], endpoints: [] },
    ]);
  });
});

describe('encodeUserShares', () => {
  it('writes attributes only, xmlns on the root only, and round-trips', () => {
    const resources = [
      {
        resource: 'laptop',
        shares: [{ hash: H1, name: 'holiday <"&\'>', size: 734003200 }],
        endpoints: [{ address: '2001:db8::5', port: 8000 }],
      },
    ];
    const el = encodeUserShares(resources);
    const text = el.toString();
    expect(text).toBe(
      `<user_shares xmlns="${NS_SHARES}"><resource resource="laptop"><share_item hash="${H1}" name="holiday &lt;&quot;&amp;&apos;&gt;" size="734003200"/><ip_address address="2001:db8::5" port="8000"/></resource></user_shares>`,
    );
    expect(decodeUserShares(parse(text))).toEqual({ ok: true, resources, problems: [] });
  });

  it('writes "no shares" as an empty element', () => {
    expect(encodeUserShares([]).toString()).toBe(`<user_shares xmlns="${NS_SHARES}"/>`);
  });
});
