import { createHash } from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ParamsOf, PayloadOf, RequestOf, ResponseOf } from './contract.js';
import * as engine from './contracts/engine.js';
import * as xmpp from './contracts/xmpp.js';
import { Endpoint, EngineId, InfoHash } from './schemas.js';
import { subjects } from './subjects.js';

const HASH = '3f786850e387550fdab836ed7e6dc881de23001b';

describe('schemas', () => {
  it('accepts only 40 lowercase hex as an info-hash', () => {
    expect(InfoHash.safeParse(HASH).success).toBe(true);
    expect(InfoHash.safeParse(HASH.toUpperCase()).success).toBe(false);
    expect(InfoHash.safeParse(HASH.slice(1)).success).toBe(false);
    expect(InfoHash.safeParse(`${HASH.slice(1)}g`).success).toBe(false);
  });

  it('accepts IPv4 and IPv6 endpoints and rejects the rest', () => {
    expect(Endpoint.safeParse({ address: '203.0.113.5', port: 8000 }).success).toBe(true);
    expect(Endpoint.safeParse({ address: '2001:db8::5', port: 8000 }).success).toBe(true);
    expect(Endpoint.safeParse({ address: '[2001:db8::5]', port: 8000 }).success).toBe(false);
    expect(Endpoint.safeParse({ address: 'example.org', port: 8000 }).success).toBe(false);
    expect(Endpoint.safeParse({ address: '10.0.0.1', port: 0 }).success).toBe(false);
    expect(Endpoint.safeParse({ address: '10.0.0.1', port: 65536 }).success).toBe(false);
  });

  it('keeps engine ids usable as one subject token', () => {
    expect(EngineId.safeParse('engine-1_a').success).toBe(true);
    for (const bad of ['a.b', 'a b', '*', '>', '', 'x'.repeat(65)])
      expect(EngineId.safeParse(bad).success).toBe(false);
  });
});

describe('subjects', () => {
  it('are versioned and put identifiers last', () => {
    expect(engine.addPath.subject()).toBe('bitween.v1.engine.add-path');
    expect(engine.list.subject({ engineId: 'e1' })).toBe('bitween.v1.engine.instance.e1.list');
    expect(engine.progress.subject({ hash: HASH })).toBe(`bitween.v1.evt.torrent.${HASH}.progress`);
    expect(engine.progress.pattern).toBe('bitween.v1.evt.torrent.*.progress');
    expect(xmpp.shares.subject()).toBe('bitween.v1.xmpp.shares');
  });

  it('refuse identifiers that would break the subject', () => {
    expect(() => subjects.engine.instance('a.b', 'list')).toThrow(/cannot be a subject token/);
    expect(() => subjects.engine.instance('>', 'list')).toThrow();
    expect(() => subjects.events.torrentProgress('*')).toThrow();
  });

  it('put placement commands in the engines queue group and instance commands in none', () => {
    expect(engine.addHash.queue).toBe('bitween-torrent-engine');
    expect(engine.remove.queue).toBeUndefined();
  });
});

describe('engine state', () => {
  it('shares only the torrents whose metadata is known', () => {
    const state = engine.EngineState.parse({
      engineId: 'e1',
      version: '0.1.0',
      endpoints: [{ address: '127.0.0.1', port: 8000 }],
      torrents: [
        { hash: HASH, name: 'holiday', size: 10 },
        { hash: 'a'.repeat(40), name: null, size: null },
      ],
      heartbeatMs: 10_000,
    });
    expect(engine.sharesOf(state)).toEqual([{ hash: HASH, name: 'holiday', size: 10 }]);
  });
  it("carries a share's whole-file SHA-256 (32 bytes, base64) and refuses any other shape", () => {
    const digest = createHash('sha256').update('holiday').digest('base64');
    const state = engine.EngineState.parse({
      engineId: 'e1',
      version: '0.1.0',
      endpoints: [],
      torrents: [{ hash: HASH, name: 'holiday', size: 10, sha256: digest }],
      heartbeatMs: 10_000,
    });
    expect(engine.sharesOf(state)).toEqual([{ hash: HASH, name: 'holiday', size: 10, sha256: digest }]);
    const sha1 = createHash('sha1').update('x').digest('base64');
    const hex = createHash('sha256').update('x').digest('hex');
    for (const bad of [sha1, hex, `${digest.slice(0, 42)}B=`, digest.slice(0, 43), `${digest}=`, ''])
      expect(engine.EngineTorrent.safeParse({ name: 'x', size: 1, sha256: bad }).success).toBe(false);
  });
  it('may carry the dials the engine refused, by reason (older engines do not)', () => {
    const base = { engineId: 'e1', version: '0.1.0', endpoints: [], torrents: [], heartbeatMs: 3000 };
    expect(engine.EngineState.parse({ ...base, refusedDials: { loopback: 2, lan: 1 } })).toMatchObject({
      refusedDials: { loopback: 2, lan: 1 },
    });
    expect(engine.EngineState.safeParse({ ...base, refusedDials: { loopback: -1 } }).success).toBe(false);
  });
});

// Type-level checks: enforced by `tsc` (the typecheck target covers test files); the old bug
// was PayloadOf/ResponseOf collapsing to `never` for contracts with subject parameters.
describe('peers', () => {
  const hash = 'a'.repeat(40);
  it('read events from gateways that send no dial evidence, and the evidence from newer ones', () => {
    const old = { peers: [{ hash, endpoints: [{ address: '192.168.1.30', port: 8000 }] }] };
    expect(xmpp.peers.payload.safeParse(old).success).toBe(true);
    const evidence = {
      peers: [
        {
          hash,
          endpoints: [
            { address: '192.168.1.30', port: 8000, jid: 'bob@example.org', publicAddresses: ['203.0.113.5'] },
          ],
        },
      ],
      ownPublic: ['203.0.113.5'],
    };
    expect(xmpp.peers.payload.parse(evidence)).toEqual(evidence);
    const bad = { ...evidence, ownPublic: ['not-an-ip'] };
    expect(xmpp.peers.payload.safeParse(bad).success).toBe(false);
  });
});

describe('account settings', () => {
  it('take a bare JID, a password and an optional xmpp:// service', () => {
    const ok = { jid: 'alice@example.org', password: 'secret', service: 'xmpp://127.0.0.1:5222' };
    expect(xmpp.setAccount.request.safeParse(ok).success).toBe(true);
    expect(xmpp.setAccount.request.safeParse({ jid: 'alice@example.org', password: 's' }).success).toBe(true);
    expect(xmpp.setAccount.request.safeParse({ ...ok, jid: 'alice@example.org/res' }).success).toBe(false);
    expect(xmpp.setAccount.request.safeParse({ ...ok, password: '' }).success).toBe(false);
    expect(xmpp.setAccount.request.safeParse({ ...ok, service: 'http://host' }).success).toBe(false);
  });

  it('leave status readable from gateways that do not report the account', () => {
    const old = { jid: 'alice@example.org', online: true, contacts: 2 };
    expect(xmpp.status.response.safeParse(old).success).toBe(true);
    const unconfigured = { jid: '', online: false, contacts: 0, configured: false, accountSource: null };
    expect(xmpp.status.response.safeParse(unconfigured).success).toBe(true);
  });
});

describe('contract types', () => {
  it('infer payload, request, response and subject parameters', () => {
    type Endpoints = { address: string; port: number; jid?: string; publicAddresses?: string[] }[];
    expectTypeOf<PayloadOf<typeof xmpp.peers>>().toEqualTypeOf<{
      peers: { hash: string; endpoints: Endpoints }[];
      ownPublic?: string[];
    }>();
    expectTypeOf<RequestOf<typeof engine.remove>>().toEqualTypeOf<{ hash: string; deleteData?: boolean }>();
    expectTypeOf<ResponseOf<typeof engine.remove>>().toEqualTypeOf<{ removed: true }>();
    expectTypeOf<ParamsOf<typeof engine.list>>().toEqualTypeOf<{ engineId: string }>();
    expectTypeOf<PayloadOf<typeof engine.progress>>().not.toBeNever();
  });
});
