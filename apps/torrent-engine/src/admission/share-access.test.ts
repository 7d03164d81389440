import { describe, expect, it } from 'vitest';
import { shareAccess } from './share-access.js';

const H = 'a'.repeat(40);
const OPEN = 'b'.repeat(40);
const visibility = new Map([[H, ['family', 'work']]]);
const groups = new Map<string, readonly string[]>([
  ['bob@example.org', ['work']],
  ['carol@example.org', ['gym']],
]);
const groupsOf = (jid: string) => groups.get(jid);
const access = (jid: string, over: Partial<Parameters<typeof shareAccess>[0]> = {}) =>
  shareAccess({ hash: H, jid, self: 'alice@example.org', visibility, groupsOf, ...over });

describe('shareAccess', () => {
  it('serves a restricted share to a contact in one of its groups only', () => {
    expect(access('bob@example.org')).toEqual({ serve: true });
    expect(access('Bob@Example.org')).toEqual({ serve: true });
    expect(access('carol@example.org')).toEqual({
      serve: false,
      why: 'restricted share; contact not in its roster groups',
    });
    expect(access('dave@example.org').serve).toBe(false); // no groups at all (or an older gateway)
    expect(access('bob@example.org', { hash: H.toUpperCase() })).toEqual({ serve: true });
  });

  it('serves an unrestricted share to every contact, and every share to our own account', () => {
    expect(access('carol@example.org', { hash: OPEN })).toEqual({ serve: true });
    expect(access('dave@example.org', { hash: OPEN, groupsOf: null })).toEqual({ serve: true });
    expect(access('alice@example.org', { visibility: null, groupsOf: null })).toEqual({ serve: true });
  });

  it('fails closed while what it needs is unknown', () => {
    expect(access('bob@example.org', { visibility: null })).toEqual({
      serve: false,
      why: 'share visibility not read yet',
    });
    expect(access('bob@example.org', { hash: OPEN, visibility: null }).serve).toBe(false);
    expect(access('bob@example.org', { groupsOf: null })).toEqual({
      serve: false,
      why: 'restricted share; contact groups not known yet',
    });
  });

  it('never matches an empty JID to our own while we have none', () => {
    expect(access('', { self: '' }).serve).toBe(false);
  });
});
