/**
 * When to map, renew and retry the engine's port mapping, and what to tell the log: a pure state
 * machine (no timers, no I/O) driven by the outcomes of mapping attempts. The driver
 * (port-mapping.ts) runs an attempt at `nextAttemptAt` and feeds the outcome back.
 */

/** `pcp`: an IPv6 pinhole (PCP MAP, pcp-pinhole.ts); the others map the IPv4 port. */
export type MappingProtocol = 'upnp-igd' | 'nat-pmp' | 'pcp';

/** A mapping the router granted. */
export interface GrantedMapping {
  protocol: MappingProtocol;
  externalAddress: string;
  /** The port the router granted: may differ from the internal one. */
  externalPort: number;
  internalPort: number;
  /** How long the router keeps it unless renewed. */
  leaseMs: number;
}

export type AttemptOutcome =
  | { ok: true; mapping: GrantedMapping }
  /** `noGateway`: nothing answered (no UPnP device, no NAT-PMP reply), as opposed to a refusal. */
  | { ok: false; error: string; noGateway: boolean; protocol: MappingProtocol | null };

export interface LeaseState {
  phase: 'searching' | 'mapped' | 'unavailable';
  mapping: GrantedMapping | null;
  /** Epoch ms when the current mapping's lease ends (null when nothing is mapped). */
  expiresAt: number | null;
  lastError: string | null;
  /** The protocol of the mapping, or of the last failed attempt. */
  protocol: MappingProtocol | null;
  /** Failed attempts in a row (for the backoff). */
  failures: number;
  /** "No gateway" was logged at warn and not followed by a success since (warn once). */
  warnedNoGateway: boolean;
  /** Epoch ms of the last change of phase or mapping. */
  since: number;
  nextAttemptAt: number;
}

export interface ScheduleOptions {
  /** First retry after a failure; doubled per failure up to `maxRetryMs`. */
  retryMs: number;
  maxRetryMs: number;
}

/** What changed, for the log and for re-announcing the endpoints. */
export type LeaseEvent =
  | { kind: 'mapped'; mapping: GrantedMapping }
  | { kind: 'renewed'; mapping: GrantedMapping }
  /** The external address or port changed at a renewal (friends must be told). */
  | { kind: 'changed'; mapping: GrantedMapping; previous: GrantedMapping }
  /** The lease ran out (or a renewal was refused) without a renewal: friends can no longer reach us there. */
  | { kind: 'lost'; previous: GrantedMapping; error: string }
  /** Nothing answered: logged once (at warn) until a mapping succeeds. */
  | { kind: 'no-gateway'; error: string }
  /** Any other failure (debug: the state and `lastError` tell the user). */
  | { kind: 'failed'; error: string; retryInMs: number };

export function initialLeaseState(now: number): LeaseState {
  return {
    phase: 'searching',
    mapping: null,
    expiresAt: null,
    lastError: null,
    protocol: null,
    failures: 0,
    warnedNoGateway: false,
    since: now,
    nextAttemptAt: now,
  };
}

/** Renew at half the lease (RFC 6886 §3.3 asks clients to renew at half the lifetime), at least 1 s ahead. */
export function renewAt(now: number, leaseMs: number): number {
  return now + Math.max(1_000, Math.floor(leaseMs / 2));
}

export function retryDelay(failures: number, opts: ScheduleOptions): number {
  const exp = Math.min(Math.max(failures - 1, 0), 20);
  return Math.min(opts.maxRetryMs, opts.retryMs * 2 ** exp);
}

const sameEndpoint = (a: GrantedMapping, b: GrantedMapping) =>
  a.externalAddress === b.externalAddress && a.externalPort === b.externalPort && a.protocol === b.protocol;

/** The state after an attempt made at `now`, and what to log/announce. */
export function afterAttempt(
  state: LeaseState,
  outcome: AttemptOutcome,
  now: number,
  opts: ScheduleOptions,
): { state: LeaseState; events: LeaseEvent[] } {
  if (outcome.ok) {
    const m = outcome.mapping;
    const prev = state.mapping;
    const events: LeaseEvent[] =
      prev === null
        ? [{ kind: 'mapped', mapping: m }]
        : sameEndpoint(prev, m)
          ? [{ kind: 'renewed', mapping: m }]
          : [{ kind: 'changed', mapping: m, previous: prev }];
    return {
      state: {
        phase: 'mapped',
        mapping: m,
        expiresAt: now + m.leaseMs,
        lastError: null,
        protocol: m.protocol,
        failures: 0,
        warnedNoGateway: false,
        since: prev !== null && sameEndpoint(prev, m) ? state.since : now,
        nextAttemptAt: renewAt(now, m.leaseMs),
      },
      events,
    };
  }

  const failures = state.failures + 1;
  const delay = retryDelay(failures, opts);
  // A renewal failed but the lease still runs: keep announcing it, retry before it ends.
  if (state.mapping !== null && state.expiresAt !== null && now < state.expiresAt) {
    const retryAt = Math.min(now + delay, Math.max(now + 1_000, state.expiresAt - 1_000));
    return {
      state: { ...state, lastError: outcome.error, failures, nextAttemptAt: retryAt },
      events: [{ kind: 'failed', error: outcome.error, retryInMs: retryAt - now }],
    };
  }
  const events: LeaseEvent[] = [];
  if (state.mapping !== null) events.push({ kind: 'lost', previous: state.mapping, error: outcome.error });
  const warn = outcome.noGateway && !state.warnedNoGateway;
  events.push(
    warn
      ? { kind: 'no-gateway', error: outcome.error }
      : { kind: 'failed', error: outcome.error, retryInMs: delay },
  );
  return {
    state: {
      phase: 'unavailable',
      mapping: null,
      expiresAt: null,
      lastError: outcome.error,
      protocol: outcome.protocol ?? state.protocol,
      failures,
      warnedNoGateway: state.warnedNoGateway || outcome.noGateway,
      since: state.phase === 'unavailable' ? state.since : now,
      nextAttemptAt: now + delay,
    },
    events,
  };
}

/** The lease ended before a renewal came back (the driver checks this on a timer, too). */
export function expire(state: LeaseState, now: number): { state: LeaseState; events: LeaseEvent[] } {
  if (state.mapping === null || state.expiresAt === null || now < state.expiresAt)
    return { state, events: [] };
  const error = state.lastError ?? 'the lease ended before it could be renewed';
  return {
    state: {
      ...state,
      phase: 'unavailable',
      mapping: null,
      expiresAt: null,
      lastError: error,
      since: now,
      nextAttemptAt: Math.min(state.nextAttemptAt, now),
    },
    events: [{ kind: 'lost', previous: state.mapping, error }],
  };
}
