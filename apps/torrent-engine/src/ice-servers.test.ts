import { fail, ok, type Result } from '@bitween/messages';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IceServersWatch, type IceServersAnswer } from './ice-servers.js';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const stun: IceServersAnswer = {
  iceServers: [{ urls: ['stun:203.0.113.1:3478'] }],
  source: 'xep-0215',
  expiresAt: null,
};

/** The gateway as the test scripts it: each ask takes the next answer (the last one repeats). */
function scripted(answers: Result<IceServersAnswer>[]) {
  let asked = 0;
  const ask = () =>
    Promise.resolve(answers[Math.min(asked++, answers.length - 1)] as Result<IceServersAnswer>);
  return { ask, count: () => asked };
}

describe('IceServersWatch', () => {
  let watch: IceServersWatch | undefined;
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => {
    watch?.stop();
    vi.useRealTimers();
  });

  const make = (ask: () => Promise<Result<IceServersAnswer>>) =>
    (watch = new IceServersWatch({
      ask,
      log: silent,
      firstRetryMs: 1_000,
      retryMs: 30_000,
      refreshMs: 600_000,
    }));

  it('knows nothing until asked, then treats a gateway that does not answer as none, and retries', async () => {
    const gw = scripted([fail('unavailable', 'nobody answers xmpp.ice-servers'), ok(stun)]);
    const w = make(gw.ask);
    const changed = vi.fn();
    w.on('changed', changed);
    expect(w.kinds()).toBeNull();
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual({ stun: false, turn: false });
    expect(w.servers()).toEqual([]);
    expect(changed).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(gw.count()).toBe(2);
    expect(w.kinds()).toEqual({ stun: true, turn: false });
    expect(w.servers()).toEqual(stun.iceServers);
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('refreshes known servers slowly, and keeps them while a later ask fails', async () => {
    const gw = scripted([ok(stun), fail('timeout', 'did not answer in time')]);
    const w = make(gw.ask);
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(599_999);
    expect(gw.count()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(gw.count()).toBe(2);
    expect(w.kinds()).toEqual({ stun: true, turn: false });
  });

  it('asks again before TURN credentials expire, and forgets them once expired', async () => {
    const turn: IceServersAnswer = {
      iceServers: [{ urls: ['turn:203.0.113.1:3478'], username: 'u', credential: 'c' }],
      source: 'xep-0215',
      expiresAt: 300_000,
    };
    const gw = scripted([ok(turn), fail('unavailable', 'gone')]);
    const w = make(gw.ask);
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual({ stun: false, turn: true });
    await vi.advanceTimersByTimeAsync(240_000); // a minute before expiry
    expect(gw.count()).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.kinds()).toEqual({ stun: false, turn: false });
  });

  it('asks again soon while nothing is known, then less often (1 s doubling up to retryMs)', async () => {
    const gw = scripted([fail('unavailable', 'nobody answers xmpp.ice-servers')]);
    make(gw.ask).start();
    await vi.advanceTimersByTimeAsync(0);
    const askedAt: number[] = [];
    for (let t = 0; t < 120_000; t += 500) {
      const before = gw.count();
      await vi.advanceTimersByTimeAsync(500);
      if (gw.count() > before) askedAt.push(Date.now());
    }
    expect(askedAt.slice(0, 7)).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 61_000, 91_000]);
  });

  it('asks no more once stopped', async () => {
    const gw = scripted([ok({ iceServers: [], source: 'none', expiresAt: null })]);
    const w = make(gw.ask);
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    w.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(gw.count()).toBe(1);
  });
});
