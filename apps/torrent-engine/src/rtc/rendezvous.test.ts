import type { Bus } from '@bitween/bus';
import { describe, expect, it, vi } from 'vitest';
import type Peer from '@thaunknown/simple-peer';
import { Rendezvous, type RendezvousHost, type RendezvousOptions } from './rendezvous.js';
import { answerOffer } from './rtc-peer.js';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const HASH = 'cd'.repeat(20);
/** A TURN server nobody runs (a relay-only offer then never gathers a candidate). */
const DEAD_TURN = [{ urls: ['turn:127.0.0.1:9?transport=udp'], username: 'u', credential: 'p' }];

type Overrides = Partial<Omit<RendezvousOptions, 'host'>> & { host?: Partial<RendezvousHost> };

/**
 * Rendezvous options for these tests: an engine that wants and holds HASH and takes no WebRTC
 * peer, no bus (a test that asks gives one), no ICE server, no legacy contact; `over` replaces
 * what a test needs (its `host` members replace the default host's).
 */
function options(over: Overrides = {}): RendezvousOptions {
  const { host, ...rest } = over;
  return {
    host: {
      engineId: 'e1',
      wanting: () => [HASH],
      holds: () => true,
      addWebrtcPeer: () => false,
      dialBack: () => undefined,
      ...host,
    },
    bus: {} as Bus,
    log: quiet,
    iceServers: () => [],
    isLegacy: () => false,
    ...rest,
  };
}

/** A gateway that answers every rendezvous with a real WebRTC answer (its peers in `answerers`). */
function answeringBus(answerers: Peer[], onAnswer: (peer: Peer) => void = () => undefined): Bus {
  return {
    request: async (_cmd: unknown, req: { sdp?: string }) => {
      const { peer, sdp } = await answerOffer(req.sdp!, [], quiet);
      answerers.push(peer);
      onAnswer(peer);
      return { ok: true, value: { sdp, from: 'bob@x/bitween' } };
    },
  } as unknown as Bus;
}

/** A logger that keeps the messages logged at info. */
function infoLog(logged: string[]) {
  return { ...quiet, info: (_o: unknown, msg?: string) => void logged.push(msg ?? '') };
}

/**
 * When rendezvous asks a contact (`xmpp.connect`): real WebRTC offers, a bus whose gateway
 * refuses every rendezvous (so each attempt fails and backs off), time passed explicitly.
 */
function setup(over: Overrides & { start?: boolean } = {}) {
  const { start, ...rest } = over;
  const asked: { hash: string; jid: string; sdp?: string }[] = [];
  const bus = {
    request: (_cmd: unknown, req: { hash: string; jid: string; sdp?: string }) => {
      asked.push(req);
      return Promise.resolve({ ok: false, error: new Error('the contact has no online bitween resource') });
    },
  } as unknown as Bus;
  const r = new Rendezvous(
    options({ bus, settleMs: 5_000, backoffMs: 15_000, maxBackoffMs: 40_000, ...rest }),
  );
  if (start) r.start();
  const t0 = start ? Date.now() : 1_000_000;
  r.setPeers(HASH, [{ address: '198.51.100.2', port: 6881, jid: 'Bob@x' }], t0);
  return { r, asked, t0 };
}

describe('rendezvous: when to ask a contact', () => {
  it('waits for the dial to settle, then backs off per (hash, contact), doubling up to the cap', async () => {
    const { r, asked, t0 } = setup();
    /** Tick at t0 + `ms`: does an attempt start? (It starts synchronously; wait for it to fail.) */
    const starts = async (ms: number) => {
      r.tick(t0 + ms);
      const started = r.underWay === 1;
      await vi.waitFor(() => expect(r.underWay).toBe(0), { timeout: 15_000 });
      return started;
    };
    expect(await starts(4_000)).toBe(false);
    expect(await starts(5_000)).toBe(true);
    expect(asked[0]).toMatchObject({ hash: HASH, jid: 'bob@x' });
    expect(asked[0]!.sdp).toMatch(/^v=0/);
    // 15 s, then 30 s, then the 40 s cap.
    expect([await starts(19_000), await starts(20_000)]).toEqual([false, true]);
    expect([await starts(49_000), await starts(50_000)]).toEqual([false, true]);
    expect([await starts(89_000), await starts(90_000)]).toEqual([false, true]);
    expect(asked).toHaveLength(4);
    r.stop();
  }, 60_000);

  it("asks as soon as a new contact's wait is over, not at the next periodic tick", async () => {
    const { r, asked } = setup({ start: true, settleMs: 300, tickMs: 600_000 });
    await vi.waitFor(() => expect(asked).toHaveLength(1), { timeout: 15_000 });
    expect(asked[0]).toMatchObject({ hash: HASH, jid: 'bob@x' });
    r.stop();
  }, 30_000);

  it('tries again at once, not after the backoff, when a WebRTC attempt failed early and TURN is known', async () => {
    const answerer: Peer[] = [];
    const logged: string[] = [];
    const r = new Rendezvous(
      options({
        host: {
          // The torrent takes the peer, which then fails before it connects (as ICE would).
          addWebrtcPeer: (_hash, peer) => {
            setTimeout(() => peer.destroy(new Error('Ice connection failed.')), 10);
            return true;
          },
        },
        bus: answeringBus(answerer),
        log: infoLog(logged),
        iceServers: () => DEAD_TURN,
        settleMs: 0,
        backoffMs: 600_000,
        tickMs: 600_000,
      }),
    );
    r.start();
    r.setPeers(HASH, [{ address: '198.51.100.2', port: 6881, jid: 'bob@x' }]);
    await vi.waitFor(
      () => expect(logged.some((m) => m.startsWith('WebRTC with a contact failed'))).toBe(true),
      {
        timeout: 20_000,
      },
    );
    // The second attempt (relay only: relay-fallback.ts) is under way long before the 10-min backoff.
    await vi.waitFor(() => expect(r.underWay).toBe(1), { timeout: 5_000 });
    expect(answerer).toHaveLength(1);
    r.stop();
    for (const p of answerer) p.destroy();
  }, 30_000);

  it('tries relay-only when the WebRTC peer has not connected a few seconds after the answer (TURN known)', async () => {
    const logged: string[] = [];
    const answerer: Peer[] = [];
    const r = new Rendezvous(
      options({
        host: { addWebrtcPeer: () => true },
        // The answer is valid, but nobody is there to connect to.
        bus: answeringBus(answerer, (peer) => peer.destroy()),
        log: infoLog(logged),
        iceServers: () => DEAD_TURN,
        settleMs: 0,
        backoffMs: 600_000,
        tickMs: 600_000,
        connectWaitMs: 300,
      }),
    );
    r.start();
    r.setPeers(HASH, [{ address: '198.51.100.2', port: 6881, jid: 'bob@x' }]);
    await vi.waitFor(
      () => expect(logged.some((m) => m.startsWith('WebRTC with a contact failed'))).toBe(true),
      {
        timeout: 20_000,
      },
    );
    await vi.waitFor(() => expect(r.underWay).toBe(1), { timeout: 5_000 });
    r.stop();
  }, 30_000);

  it('stops once a wire of the contact is admitted, and starts again when it closes', async () => {
    const { r, asked, t0 } = setup();
    const closed = r.admitted(HASH, 'bob@x');
    r.tick(t0 + 10_000);
    expect(r.underWay).toBe(0);
    closed();
    r.tick(t0 + 11_000);
    expect(r.underWay).toBe(1);
    await vi.waitFor(() => expect(asked).toHaveLength(1), { timeout: 15_000 });
    r.stop();
  }, 30_000);

  it('never asks a legacy contact, nor beyond the WebRTC peer cap', () => {
    const legacy = setup({ isLegacy: (jid) => jid === 'bob@x' });
    legacy.r.tick(legacy.t0 + 60_000);
    const capped = setup({ maxPeers: 0 });
    capped.r.tick(capped.t0 + 60_000);
    expect([legacy.r.underWay, capped.r.underWay]).toEqual([0, 0]);
  });

  it('refuses engine.connect for a hash it does not hold', async () => {
    const r = new Rendezvous(options({ host: { wanting: () => [], holds: () => false } }));
    await expect(r.onConnect({ hash: HASH, jid: 'bob@x', endpoints: [] })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
