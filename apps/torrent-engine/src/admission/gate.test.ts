import Wire from 'bittorrent-protocol';
import { describe, expect, it, vi } from 'vitest';
import { AdmissionGate, type AdmissionRules, type GatedWire, type RefusalReason } from './gate.js';
import { ticketKey } from './proof.js';
import type { ShareAccess } from './share-access.js';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const hash = 'ab'.repeat(20);
/** vi.waitFor's default (1 s) is short for a busy 2-core machine: a cap, not a timing assertion. */
const SLOW = { timeout: 20_000 };
const ticket = (n: number) => ticketKey(Buffer.alloc(32, n).toString('base64url'));

/** What happened, in order, on both sides of a connection (pushed synchronously). */
let events: string[] = [];

/** Rules from a small ticket table: `issued`/`received` by JID. */
function rules(
  self: string,
  issued: Record<string, Buffer>,
  received: Record<string, Buffer>,
  byAddress: (ip: string) => string | null = () => null,
  shareAccess: (jid: string) => ShareAccess = () => ({ serve: true }),
): AdmissionRules {
  return {
    enabled: true,
    self: () => self,
    issued: (jid) => issued[jid],
    received: (jid) => received[jid],
    byAddress,
    refresh: () => Promise.resolve(),
    shareAccess: (_hash, jid) => shareAccess(jid),
    settled: () => Promise.resolve(),
  };
}

interface Side {
  wire: Wire;
  gate: AdmissionGate | null;
  admitted: Promise<string | null>;
  refused: Promise<RefusalReason>;
  /** Resolves once the gate is on the wire (the peer's handshake arrived). */
  guarded: Promise<void>;
}

/**
 * Two real bittorrent-protocol wires piped to each other, each (unless `gate` is null) behind a
 * gate installed where webtorrent's `wire` event runs: after the peer's handshake arrived, before
 * our extended handshake goes out.
 */
function connect(
  a: AdmissionRules | null,
  b: AdmissionRules | null,
  timeoutsMs: [number, number] = [10_000, 10_000],
): [Side, Side] {
  const side = (r: AdmissionRules | null, type: string, timeoutMs: number): Side => {
    const wire = new Wire(type);
    wire.remoteAddress = '198.51.100.1';
    let admit: (jid: string | null) => void = () => undefined;
    let refuse: (r: RefusalReason) => void = () => undefined;
    const admitted = new Promise<string | null>((res) => (admit = res));
    const refused = new Promise<RefusalReason>((res) => (refuse = res));
    const gate = r
      ? new AdmissionGate({
          rules: r,
          log: quiet,
          proofTimeoutMs: timeoutMs,
          onAdmitted: ({ jid }) => {
            events.push(`${type} admitted ${jid}`);
            admit(jid);
          },
          onRefused: (_w, reason) => refuse(reason),
        })
      : null;
    const guarded = new Promise<void>((res) =>
      wire.once('handshake', () => {
        gate?.guard(wire as unknown as GatedWire, hash);
        res();
      }),
    );
    return { wire, gate, admitted, refused, guarded };
  };
  events = [];
  const out = side(a, 'tcpOutgoing', timeoutsMs[0]);
  const inc = side(b, 'tcpIncoming', timeoutsMs[1]);
  out.wire.pipe(inc.wire).pipe(out.wire);
  inc.wire.once('handshake', () => inc.wire.handshake(hash, '22'.repeat(20), { fast: true }));
  out.wire.handshake(hash, '11'.repeat(20), { fast: true });
  return [out, inc];
}

describe('admission gate', () => {
  it('admits both sides by proof, labels the wire, and unchokes only then', async () => {
    const [alice, bob] = connect(
      rules('alice@x', { 'bob@y': ticket(1) }, { 'bob@y': ticket(2) }),
      rules('bob@y', { 'alice@x': ticket(2) }, { 'alice@x': ticket(1) }),
    );
    // webtorrent unchokes on `interested`; before admission the wire stays choked.
    await alice.guarded;
    alice.wire.unchoke();
    expect(alice.wire.amChoking).toBe(true);
    expect(await alice.admitted).toBe('bob@y');
    expect(await bob.admitted).toBe('alice@x');
    expect(alice.wire.amChoking).toBe(false);
    expect((alice.wire as unknown as GatedWire).bitweenJid).toBe('bob@y');
    expect(alice.gate!.counters()).toEqual({ admitted: 1, refused: {} });
  });

  it('closes the wires of a contact whose ticket was revoked', async () => {
    const issued: Record<string, Buffer> = { 'bob@y': ticket(1) };
    const [alice, bob] = connect(
      rules('alice@x', issued, { 'bob@y': ticket(2) }),
      rules('bob@y', { 'alice@x': ticket(2) }, { 'alice@x': ticket(1) }),
    );
    await Promise.all([alice.admitted, bob.admitted]);
    expect(alice.gate!.revoke()).toBe(0);
    delete issued['bob@y'];
    expect(alice.gate!.revoke()).toBe(1);
    await new Promise((resolve) => alice.wire.once('close', resolve));
  });

  it('refuses a proven contact outside a restricted share’s groups, as it would a stranger', async () => {
    const hidden = (jid: string): ShareAccess =>
      jid === 'carol@y' ? { serve: false, why: 'not in its groups' } : { serve: true };
    const [alice, carol] = connect(
      rules('alice@x', { 'carol@y': ticket(1) }, { 'carol@y': ticket(2) }, () => null, hidden),
      rules('carol@y', { 'alice@x': ticket(2) }, { 'alice@x': ticket(1) }),
    );
    await alice.guarded;
    (alice.wire as unknown as GatedWire).bitfield(new Uint8Array([0x80]));
    carol.wire.on('bitfield', () => events.push('carol got the bitfield'));
    expect(await alice.refused).toBe('hidden');
    expect(alice.gate!.counters()).toEqual({ admitted: 0, refused: { hidden: 1 } });
    // carol never got alice's proof (she cannot admit alice) nor what alice holds.
    await new Promise((resolve) => carol.wire.once('close', resolve));
    expect(events).not.toContain('tcpIncoming admitted alice@x');
    expect(events).not.toContain('carol got the bitfield');
  });

  it('closes a contact’s wire when it leaves the restricted share’s groups', async () => {
    let inGroup = true;
    const access = (): ShareAccess => (inGroup ? { serve: true } : { serve: false, why: 'left the group' });
    const [alice, bob] = connect(
      rules('alice@x', { 'bob@y': ticket(1) }, { 'bob@y': ticket(2) }, () => null, access),
      rules('bob@y', { 'alice@x': ticket(2) }, { 'alice@x': ticket(1) }),
    );
    await Promise.all([alice.admitted, bob.admitted]);
    expect(alice.gate!.revoke()).toBe(0);
    inGroup = false;
    expect(alice.gate!.revoke()).toBe(1);
    await new Promise((resolve) => alice.wire.once('close', resolve));
    expect(alice.gate!.counters()).toEqual({ admitted: 1, refused: { hidden: 1 } });
  });

  it('holds our bitfield until the peer is admitted', async () => {
    const [alice, bob] = connect(
      rules('alice@x', { 'bob@y': ticket(1) }, { 'bob@y': ticket(2) }),
      rules('bob@y', { 'alice@x': ticket(2) }, { 'alice@x': ticket(1) }),
    );
    bob.wire.on('bitfield', () => events.push('bob got the bitfield'));
    await alice.guarded;
    // webtorrent sends it right after the handshake; it leaves once alice admitted bob.
    (alice.wire as unknown as GatedWire).bitfield(new Uint8Array([0x80]));
    await bob.admitted;
    await vi.waitFor(() => expect(events).toContain('bob got the bitfield'), SLOW);
    expect(events.indexOf('tcpOutgoing admitted bob@y')).toBeLessThan(events.indexOf('bob got the bitfield'));
  });

  it('refuses a wrong proof (a ticket the verifier did not issue)', async () => {
    const [alice] = connect(
      rules('alice@x', { 'bob@y': ticket(1) }, {}),
      rules('bob@y', {}, { 'alice@x': ticket(9) }),
    );
    expect(await alice.refused).toBe('bad-proof');
    expect(alice.gate!.counters()).toEqual({ admitted: 0, refused: { 'bad-proof': 1 } });
  });

  it('refuses a peer without bitween_auth (a plain BitTorrent client) as a stranger', async () => {
    const [alice] = connect(rules('alice@x', {}, {}), null);
    expect(await alice.refused).toBe('stranger');
  });

  it('refuses a JID it issued no ticket to as a stranger without waiting', async () => {
    const [alice] = connect(rules('alice@x', {}, {}), rules('mallory@z', {}, { 'alice@x': ticket(1) }));
    expect(await alice.refused).toBe('stranger');
  });

  it('closes a contact that gives no proof in time', async () => {
    // alice issued bob a ticket, but bob holds none from alice: he cannot answer her nonce (bob
    // waits longer for alice's proof, which never comes either).
    const [alice] = connect(
      rules('alice@x', { 'bob@y': ticket(1) }, {}),
      rules('bob@y', { 'alice@x': ticket(1) }, {}),
      [300, 10_000],
    );
    expect(await alice.refused).toBe('no-proof');
  });

  it('admits a TCP peer by address (allow list, legacy contact) without proof', async () => {
    const [alice] = connect(
      rules('alice@x', {}, {}, (ip) => (ip === '198.51.100.1' ? 'legacy contact' : null)),
      null,
    );
    expect(await alice.admitted).toBeNull();
  });

  it('still learns who a peer admitted by address is, from its proof', async () => {
    const identified: string[] = [];
    const r = rules('alice@x', { 'bob@y': ticket(1) }, {}, () => 'allow-list');
    const gate = new AdmissionGate({
      rules: r,
      log: quiet,
      onIdentified: ({ jid }) => identified.push(jid!),
    });
    const [alice, bob] = connect(null, rules('bob@y', {}, { 'alice@x': ticket(1) }));
    alice.wire.once('handshake', () => gate.guard(alice.wire as unknown as GatedWire, hash));
    await bob.guarded;
    await vi.waitFor(() => expect(identified).toEqual(['bob@y']), SLOW);
    expect(gate.counters()).toEqual({ admitted: 1, refused: {} });
    alice.wire.destroy();
  });

  it('answers no block request before admission', async () => {
    const [alice] = connect(
      rules('alice@x', { 'bob@y': ticket(1) }, {}),
      rules('bob@y', { 'alice@x': ticket(1) }, {}),
    );
    await alice.guarded;
    const requests: number[] = [];
    alice.wire.on('request', (index: number) => requests.push(index));
    // Even with the choke lifted underneath, a request is not passed on while unadmitted.
    alice.wire.amChoking = false;
    alice.wire._onRequest(0, 0, 16_384);
    expect(requests).toEqual([]);
    alice.wire.destroy();
  });
});
