import { networkInterfaces } from 'node:os';
import type { PeerEndpoint } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { DialPolicy, type DialRefusal, type LanEvidence, type OwnInterface } from '@bitween/net-policy';

/** What the engine knows about an address it is about to dial. */
export interface DialContext {
  /** The torrent the connection is for. */
  hash: string;
  /** What gave the address: `contact` (xmpp.peers), `tracker`, or webtorrent's own label. */
  source: string | undefined;
  /** The contact's offer when a contact announced this address for `hash` (its LAN evidence). */
  offer?: Pick<PeerEndpoint, 'jid' | 'publicAddresses'> | undefined;
}

export interface DialGuardOptions {
  /** BITWEEN_DIAL_ALLOW: addresses and CIDR blocks dialled whatever the policy says. */
  allow: readonly string[];
  log: Logger;
  /** This host's interfaces (default: `os.networkInterfaces()`, read again at most every 10 s). */
  interfaces?: () => OwnInterface[];
  /** At most this many refusals are logged per window (default 20 per minute); the rest are counted. */
  logLimit?: number;
  logWindowMs?: number;
  now?: () => number;
}

/** `ip:port` or `[ipv6]:port`, exactly as webtorrent's addr-to-ip-port reads it (it connects to that). */
const ADDR = /^\[?([^\]]+)]?:(\d+)$/;
const INTERFACES_TTL_MS = 10_000;

function ownInterfaces(): OwnInterface[] {
  return Object.values(networkInterfaces()).flatMap((infos) =>
    (infos ?? []).map((i) => ({ address: i.address, cidr: i.cidr, internal: i.internal })),
  );
}

/**
 * The engine's side of the dial policy (libs/net-policy; docs/architecture.md, "Dial policy"):
 * every outgoing BitTorrent connection, whatever gave its address (a contact's list, a tracker, a
 * redial), passes `allows` first — webtorrent consults it where each outgoing peer is created
 * (`dialFilter`, patches/). Dialled are public addresses, a contact's LAN address when that
 * contact shows it shares our LAN (its announced public address is ours, the address is on one of
 * our subnets), and the operator's allow list; refused are this host (incl. its own interface
 * addresses), our own public addresses, the link, multicast, broadcast, reserved space and
 * anything that is not an IP literal. Refusals are counted by reason
 * and logged at info, at most `logLimit` per window (a hostile list cannot flood the log).
 */
export class DialGuard {
  readonly #policy: DialPolicy;
  readonly #log: Logger;
  readonly #interfaces: () => OwnInterface[];
  readonly #now: () => number;
  readonly #logLimit: number;
  readonly #logWindowMs: number;
  #ownPublic: readonly string[] = [];
  #cachedInterfaces: { at: number; list: OwnInterface[] } | null = null;
  readonly #refused = new Map<DialRefusal, number>();
  #window = { start: -Infinity, logged: 0, suppressed: 0, seen: new Set<string>() };

  constructor(opts: DialGuardOptions) {
    this.#policy = new DialPolicy(opts.allow);
    this.#log = opts.log;
    this.#interfaces = opts.interfaces ?? ownInterfaces;
    this.#now = opts.now ?? Date.now;
    this.#logLimit = opts.logLimit ?? 20;
    this.#logWindowMs = opts.logWindowMs ?? 60_000;
  }

  /** Our own public addresses as the gateway knows them (LAN evidence, our side). */
  setOwnPublic(addresses: readonly string[]): void {
    this.#ownPublic = [...addresses];
  }

  /** What `setOwnPublic` last said (e.g. the router's address the gateway learnt by STUN). */
  ownPublic(): readonly string[] {
    return this.#ownPublic;
  }

  /** May `addr` ("ip:port", "[ipv6]:port") be dialled? A refusal is counted and (rate-limited) logged. */
  allows(addr: string, ctx: DialContext): boolean {
    const m = ADDR.exec(addr);
    const host = m?.[1] ?? addr;
    const port = m ? Number(m[2]) : NaN;
    const verdict = this.#policy.check(host, port, this.#evidence(ctx));
    const where = {
      address: host,
      port,
      hash: ctx.hash,
      source: ctx.source ?? 'unknown',
      ...(ctx.offer?.jid ? { contact: ctx.offer.jid } : {}),
    };
    if (verdict.allowed) {
      this.#log.debug({ ...where, class: verdict.class }, 'dialling a peer');
      return true;
    }
    this.#refused.set(verdict.code, (this.#refused.get(verdict.code) ?? 0) + 1);
    this.#logRefusal(`${addr}|${ctx.hash}|${verdict.code}|${where.source}|${ctx.offer?.jid ?? ''}`, {
      ...where,
      reason: verdict.reason,
      code: verdict.code,
    });
    return false;
  }

  /** Dials refused since start, by reason (for the engine registry and the api's /metrics). */
  refused(): Record<string, number> {
    return Object.fromEntries(this.#refused);
  }

  /** Our network as we know it, with what the contact announces (none for a tracker's peer). */
  #evidence(ctx: DialContext): LanEvidence {
    const now = this.#now();
    if (!this.#cachedInterfaces || now - this.#cachedInterfaces.at > INTERFACES_TTL_MS)
      this.#cachedInterfaces = { at: now, list: this.#interfaces() };
    return {
      interfaces: this.#cachedInterfaces.list,
      ownPublic: this.#ownPublic,
      contactPublic: ctx.offer?.publicAddresses ?? [],
    };
  }

  /**
   * Each refusal (address, torrent, reason, source, contact) once per window, at most `logLimit`
   * lines per window; what was left out is summed up by the first refusal of a later window (the
   * counters in `refused()` hold every one).
   */
  #logRefusal(key: string, fields: Record<string, unknown>): void {
    const now = this.#now();
    let w = this.#window;
    if (now - w.start >= this.#logWindowMs) {
      if (w.suppressed > 0) {
        this.#log.info(
          { notLogged: w.suppressed, refusedDials: this.refused(), windowMs: this.#logWindowMs },
          'refused more dials than were logged',
        );
      }
      w = this.#window = { start: now, logged: 0, suppressed: 0, seen: new Set() };
    }
    if (w.seen.has(key)) return;
    if (w.logged >= this.#logLimit) {
      w.suppressed++;
      return;
    }
    w.seen.add(key);
    w.logged++;
    this.#log.info(fields, 'refused to dial a peer');
  }
}
