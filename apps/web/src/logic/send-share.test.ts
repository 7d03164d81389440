import { describe, expect, it } from 'vitest';
import type { Contact } from '../types.js';
import { noTargetsText, sendErrorText, sendTargets } from './send-share.js';

const contact = (jid: string, over: Partial<Contact> = {}): Contact => ({
  jid,
  name: null,
  subscription: 'both',
  online: true,
  resources: [],
  shares: 0,
  ...over,
});

describe('sendTargets', () => {
  it('lists mutual contacts only, online ones first, then by name', () => {
    const targets = sendTargets([
      contact('zoe@example.org', { online: false }),
      contact('carol@example.org', { subscription: 'to' }),
      contact('dave@example.org', { subscription: 'from' }),
      contact('erin@example.org', { subscription: 'none' }),
      contact('bob@example.org'),
      contact('amy@example.org', { name: 'Amy' }),
    ]);
    expect(targets).toEqual([
      { jid: 'amy@example.org', label: 'Amy (amy@example.org)', online: true },
      { jid: 'bob@example.org', label: 'bob@example.org', online: true },
      { jid: 'zoe@example.org', label: 'zoe@example.org — offline', online: false },
    ]);
  });

  it('shows hidden characters of a JID and cleans a roster name, so two contacts cannot look alike', () => {
    const [t] = sendTargets([contact('bo\u200bb@example.org', { name: 'B\u202eob' })]);
    expect(t?.jid).toBe('bo\u200bb@example.org');
    expect(t?.label).toBe('Bob (bo<U+200B>b@example.org)');
  });

  it('has nothing to offer without mutual contacts, and says why', () => {
    expect(sendTargets([])).toEqual([]);
    expect(noTargetsText([])).toMatch(/no contacts yet/);
    const oneWay = [contact('carol@example.org', { subscription: 'to' })];
    expect(sendTargets(oneWay)).toEqual([]);
    expect(noTargetsText(oneWay)).toMatch(/approved you and whom you approved/);
  });
});

describe('sendErrorText', () => {
  it('says what the refusal means and keeps the api’s detail', () => {
    expect(sendErrorText(404, 'bob@example.org is not one of our contacts')).toBe(
      'Not sent: the daemon does not know this contact or this share (bob@example.org is not one of our contacts).',
    );
    expect(sendErrorText(503, 'service unavailable: the XMPP account is not online')).toMatch(
      /^Not sent: your XMPP connection is down.*\(service unavailable: the XMPP account is not online\)\.$/,
    );
    expect(sendErrorText(504, 'timeout: no answer')).toMatch(/XMPP connection is down/);
    expect(sendErrorText(409, 'share 00 is seen only by the roster groups "family"')).toBe(
      'Not sent: this share is hidden from this contact by its visibility (share 00 is seen only by the roster groups "family").',
    );
    expect(sendErrorText(0, 'the daemon cannot be reached (Failed to fetch)')).toBe(
      'Not sent (the daemon cannot be reached (Failed to fetch)).',
    );
  });
});
