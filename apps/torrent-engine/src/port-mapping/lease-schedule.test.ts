import { describe, expect, it } from 'vitest';
import {
  afterAttempt,
  expire,
  initialLeaseState,
  renewAt,
  retryDelay,
  type AttemptOutcome,
  type GrantedMapping,
} from './lease-schedule.js';

const opts = { retryMs: 30_000, maxRetryMs: 600_000 };
const mapping = (over: Partial<GrantedMapping> = {}): GrantedMapping => ({
  protocol: 'upnp-igd',
  externalAddress: '203.0.113.10',
  externalPort: 8001,
  internalPort: 8001,
  leaseMs: 3_600_000,
  ...over,
});
const ok = (m = mapping()): AttemptOutcome => ({ ok: true, mapping: m });
const noGateway: AttemptOutcome = { ok: false, error: 'nothing answered', noGateway: true, protocol: null };
const refused: AttemptOutcome = {
  ok: false,
  error: 'ConflictInMappingEntry',
  noGateway: false,
  protocol: 'upnp-igd',
};

describe('lease schedule', () => {
  it('starts searching with an attempt right away', () => {
    const s = initialLeaseState(1_000);
    expect(s).toMatchObject({ phase: 'searching', mapping: null, nextAttemptAt: 1_000 });
  });

  it('maps, then renews at half the lease, keeping the same mapping', () => {
    const first = afterAttempt(initialLeaseState(0), ok(), 0, opts);
    expect(first.events).toEqual([{ kind: 'mapped', mapping: mapping() }]);
    expect(first.state).toMatchObject({ phase: 'mapped', expiresAt: 3_600_000, nextAttemptAt: 1_800_000 });
    const renewed = afterAttempt(first.state, ok(), 1_800_000, opts);
    expect(renewed.events).toEqual([{ kind: 'renewed', mapping: mapping() }]);
    expect(renewed.state).toMatchObject({ expiresAt: 5_400_000, nextAttemptAt: 3_600_000, since: 0 });
  });

  it('reports a changed external port or address at renewal', () => {
    const first = afterAttempt(initialLeaseState(0), ok(), 0, opts);
    const moved = afterAttempt(first.state, ok(mapping({ externalPort: 40_001 })), 10, opts);
    expect(moved.events[0]).toMatchObject({ kind: 'changed', previous: { externalPort: 8001 } });
    expect(moved.state.since).toBe(10);
  });

  it('warns once when no gateway answers, then backs off up to the cap', () => {
    let r = afterAttempt(initialLeaseState(0), noGateway, 0, opts);
    expect(r.events).toEqual([{ kind: 'no-gateway', error: 'nothing answered' }]);
    expect(r.state).toMatchObject({ phase: 'unavailable', nextAttemptAt: 30_000, warnedNoGateway: true });
    r = afterAttempt(r.state, noGateway, 30_000, opts);
    expect(r.events).toEqual([{ kind: 'failed', error: 'nothing answered', retryInMs: 60_000 }]);
    expect(r.state.since).toBe(0);
    for (let i = 0; i < 10; i++) r = afterAttempt(r.state, noGateway, 0, opts);
    expect(r.state.nextAttemptAt).toBe(600_000);
    // a success clears the warning: the next silence is warned about again
    r = afterAttempt(r.state, ok(), 0, opts);
    expect(r.state).toMatchObject({ failures: 0, warnedNoGateway: false });
  });

  it('keeps a mapping whose renewal failed while the lease runs, and retries before it ends', () => {
    const mapped = afterAttempt(initialLeaseState(0), ok(mapping({ leaseMs: 100_000 })), 0, opts).state;
    const r = afterAttempt(mapped, refused, 50_000, opts);
    expect(r.state).toMatchObject({
      phase: 'mapped',
      lastError: 'ConflictInMappingEntry',
      nextAttemptAt: 80_000,
    });
    expect(r.events).toEqual([{ kind: 'failed', error: 'ConflictInMappingEntry', retryInMs: 30_000 }]);
    // close to the end: retried a second before it
    const late = afterAttempt(r.state, noGateway, 98_500, opts);
    expect(late.state.nextAttemptAt).toBe(99_500);
    expect(late.state.mapping).not.toBeNull();
  });

  it('loses the mapping when the lease ends unrenewed', () => {
    const mapped = afterAttempt(initialLeaseState(0), ok(mapping({ leaseMs: 100_000 })), 0, opts).state;
    expect(expire(mapped, 99_999).events).toEqual([]);
    const gone = expire(mapped, 100_000);
    expect(gone.events).toEqual([
      {
        kind: 'lost',
        previous: mapping({ leaseMs: 100_000 }),
        error: 'the lease ended before it could be renewed',
      },
    ]);
    expect(gone.state).toMatchObject({ phase: 'unavailable', mapping: null, expiresAt: null });
    // an attempt after the end that fails: no second "lost"
    const after = afterAttempt(gone.state, refused, 100_001, opts);
    expect(after.events.map((e) => e.kind)).toEqual(['failed']);
  });

  it('a failed attempt after the lease ended reports the loss', () => {
    const mapped = afterAttempt(initialLeaseState(0), ok(mapping({ leaseMs: 10_000 })), 0, opts).state;
    const r = afterAttempt(mapped, noGateway, 20_000, opts);
    expect(r.events.map((e) => e.kind)).toEqual(['lost', 'no-gateway']);
  });

  it('renews at least a second ahead and backs off exponentially', () => {
    expect(renewAt(0, 1_000)).toBe(1_000);
    expect(renewAt(0, 120_000)).toBe(60_000);
    expect([1, 2, 3, 4].map((n) => retryDelay(n, opts))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelay(100, opts)).toBe(600_000);
  });
});
