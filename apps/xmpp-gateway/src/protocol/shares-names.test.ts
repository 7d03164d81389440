import { NO_NAME } from '@bitween/safe-text';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { listKey, mergeOwnList } from '../domain/own-list.js';
import { NS_SHARES } from './namespaces.js';
import { decodeUserShares, encodeUserShares, storedName, type ResourceEntry } from './shares-codec.js';

const hash = (n: number) => n.toString(16).padStart(40, '0');
const listOf = (resource: string, names: string[]) =>
  xml(
    'user_shares',
    { xmlns: NS_SHARES },
    xml(
      'resource',
      { resource },
      ...names.map((name, i) => xml('share_item', { hash: hash(i + 1), name, size: '1' })),
    ),
  );

describe("names in a contact's list are stored cleaned (@bitween/safe-text)", () => {
  it('drops bidi overrides and invisible characters, keeps right-to-left text and emoji', () => {
    const r = decodeUserShares(
      listOf('laptop', [
        'rlo\u202Egpj.exe',
        'zero\u200Bwidth\u2060.txt',
        '\uFEFFbom\u00AD.pdf',
        '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.zip',
        '\u05E9\u05DC\u05D5\u05DD',
        '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} holiday',
        'report.pdf\u{E0069}\u{E0067}\u{E006E}',
        'Cafe\u0301',
      ]),
    );
    expect(r.ok && r.problems).toEqual([]);
    expect(r.ok && r.resources[0]?.shares.map((s) => s.name)).toEqual([
      'rlogpj.exe',
      'zerowidth.txt',
      'bom.pdf',
      '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.zip',
      '\u05E9\u05DC\u05D5\u05DD',
      '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} holiday',
      'report.pdf',
      'Caf\u00E9',
    ]);
  });

  it('a name with nothing visible left gets the placeholder (the share is kept: its hash is its id)', () => {
    const r = decodeUserShares(listOf('laptop', ['\u202E\u200B\u2066', '   ']));
    expect(r.ok && r.resources[0]?.shares).toEqual([
      { hash: hash(1), name: NO_NAME, size: 1 },
      { hash: hash(2), name: NO_NAME, size: 1 },
    ]);
  });

  it('still refuses names with control characters (as before)', () => {
    const r = decodeUserShares(listOf('laptop', ['csi\u009B31m', 'ok']));
    expect(r.ok && r.resources[0]?.shares.map((s) => s.name)).toEqual(['ok']);
    expect(r.problems.join()).toMatch(/control characters/);
  });

  it('refuses a resource name with hidden characters (an identifier: matched with presence, not changed)', () => {
    const root = xml(
      'user_shares',
      { xmlns: NS_SHARES },
      xml(
        'resource',
        { resource: 'lap\u202Etop' },
        xml('share_item', { hash: hash(1), name: 'a', size: '1' }),
      ),
      xml('resource', { resource: 'zero\u200B' }, xml('share_item', { hash: hash(2), name: 'b', size: '1' })),
      xml(
        'resource',
        { resource: '\u0644\u067E\u200C\u062A\u0627\u067E' },
        xml('share_item', { hash: hash(3), name: 'c', size: '1' }),
      ),
    );
    const r = decodeUserShares(root);
    expect(r.ok && r.resources.map((x) => x.resource)).toEqual(['\u0644\u067E\u200C\u062A\u0627\u067E']);
    expect(r.problems).toEqual([
      'resource "lap<U+202E>top": not a valid resource name',
      'resource "zero<U+200B>": not a valid resource name',
    ]);
  });

  it('storedName is what reading does, and is idempotent', () => {
    for (const name of ['rlo\u202Egpj.exe', '\u200B', 'plain', NO_NAME]) {
      const once = storedName(name);
      expect(storedName(once)).toBe(once);
      const r = decodeUserShares(listOf('r', [name]));
      expect(r.ok && r.resources[0]?.shares[0]?.name).toBe(once);
    }
  });
});

describe('our own names are published cleaned', () => {
  it('what we publish reads back as the same list (no endless re-publishing)', () => {
    const own: ResourceEntry[] = [
      {
        resource: 'bitween/engine-1',
        shares: [
          { hash: hash(1), name: 'WhatsApp Chat \u200E+1 555.txt', size: 1 },
          { hash: hash(2), name: 'rlo\u202Egpj.exe', size: 2 },
          { hash: hash(3), name: '\u200B', size: 3 },
        ],
        endpoints: [{ address: '203.0.113.5', port: 8000 }],
      },
    ];
    const list = mergeOwnList({ base: [], own, ownResource: 'bitween', keepSibling: () => true });
    expect(list[0]?.shares.map((s) => s.name)).toEqual(['WhatsApp Chat +1 555.txt', 'rlogpj.exe', NO_NAME]);
    const back = decodeUserShares(encodeUserShares(list));
    expect(back.ok && listKey(back.resources)).toBe(listKey(list));
  });
});
