import { BusError, xmpp, type IceServer, type PeerEndpoint } from '@bitween/messages';
import type { Bus, Logger } from '@bitween/bus';
import { answerPolicy, failedEarly, hasTurn, offerPolicy } from './relay-fallback.js';
import { acceptAnswer, answerOffer, createOffer, type RtcPeer } from './rtc-peer.js';

/** What rendezvous needs of the engine. */
export interface RendezvousHost {
  readonly engineId: string;
  /** Hashes of torrents that run and still miss wanted pieces. */
  wanting(): Iterable<string>;
  holds(hash: string): boolean;
  /** Hand a WebRTC peer to the torrent (false: the torrent cannot take it; the caller destroys it). */
  addWebrtcPeer(hash: string, peer: RtcPeer): boolean;
  /** Dial a contact's endpoints for `hash` through the dial policy (connection reversal). */
  dialBack(hash: string, endpoints: PeerEndpoint[]): void;
}

export interface RendezvousOptions {
  host: RendezvousHost;
  bus: Bus;
  log: Logger;
  iceServers: () => IceServer[];
  /** Legacy contacts (original Bitween) have no rendezvous: never asked. */
  isLegacy: (jid: string) => boolean;
  /** May `jid` have `hash` (per-group visibility)? A contact that may not is never asked (default: yes). */
  mayServe?: (hash: string, jid: string) => boolean;
  /**
   * Wait this long after a contact's endpoints arrived before asking it (2 s): a reachable
   * endpoint is dialled and its wire admitted by then; an unreachable one would hold us for the
   * whole TCP connect timeout, while the rendezvous also makes the contact dial us back.
   */
  settleMs?: number;
  /** First retry after this; doubles up to `maxBackoffMs` (15 s, 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** WebRTC peers alive at once, initiated and answered (16). */
  maxPeers?: number;
  /** Offers answered at once (4). */
  maxAnswers?: number;
  /** How long an xmpp.connect may take (30 s). */
  connectTimeoutMs?: number;
  /** With TURN known, try relay-only when our peer has not connected this long after the answer (5 s). */
  connectWaitMs?: number;
  tickMs?: number;
}

const keyOf = (hash: string, jid: string) => `${hash}|${jid}`;

/**
 * Rendezvous over XMPP (docs/friends-behind-routers.md, "WebRTC and connection reversal"): for a
 * torrent that still misses pieces, a contact that offers it and has no admitted wire a few
 * seconds after its endpoints arrived is asked `xmpp.connect` with a WebRTC offer (the gateway also
 * sends our endpoints, so the contact dials back); its answer completes the WebRTC peer. Retries
 * back off per (hash, contact) and stop once a wire of that contact is admitted. The other way,
 * `engine.connect` dials the contact's endpoints and answers its offer.
 */
export class Rendezvous {
  /** hash → contact → when its endpoints were first seen. */
  readonly #offered = new Map<string, Map<string, number>>();
  /** Last endpoints per hash (with JIDs), to merge connect-back endpoints into. */
  readonly #endpoints = new Map<string, PeerEndpoint[]>();
  readonly #admitted = new Map<string, number>();
  readonly #backoff = new Map<string, { next: number; delay: number }>();
  readonly #inflight = new Set<string>();
  readonly #peers = new Set<RtcPeer>();
  /** (hash, contact) whose last WebRTC attempt failed or died early: next offers relay-only. */
  readonly #failedEarly = new Set<string>();
  #answering = 0;
  #timer: NodeJS.Timeout | null = null;
  /** A tick at the moment a new contact's wait is over (not at the next periodic tick). */
  #wake: { at: number; timer: NodeJS.Timeout } | null = null;
  #stopped = false;

  constructor(private readonly opts: RendezvousOptions) {}

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.opts.tickMs ?? 2_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#wake) clearTimeout(this.#wake.timer);
    for (const p of this.#peers) p.destroy();
  }

  /** Where contacts offer `hash` now (xmpp.peers). */
  setPeers(hash: string, endpoints: PeerEndpoint[], now = Date.now()): void {
    this.#endpoints.set(hash, endpoints);
    const before = this.#offered.get(hash) ?? new Map<string, number>();
    const after = new Map<string, number>();
    let fresh = false;
    for (const e of endpoints) {
      if (!e.jid) continue;
      const since = before.get(e.jid.toLowerCase());
      fresh ||= since === undefined;
      after.set(e.jid.toLowerCase(), since ?? now);
    }
    this.#offered.set(hash, after);
    if (fresh) this.#wakeAt(now + (this.opts.settleMs ?? 2_000));
  }

  /** Tick at `at` (ms since the epoch) unless a tick is already due by then; only once started. */
  #wakeAt(at: number): void {
    if (!this.#timer || this.#stopped || (this.#wake && this.#wake.at <= at)) return;
    if (this.#wake) clearTimeout(this.#wake.timer);
    const timer = setTimeout(
      () => {
        this.#wake = null;
        this.tick();
      },
      Math.max(0, at - Date.now()) + 10, // (timers and Date.now() may disagree by a millisecond)
    );
    timer.unref();
    this.#wake = { at, timer };
  }

  /** A wire of `jid` was admitted for `hash` (by proof); `closed` is called when it closes. */
  admitted(hash: string, jid: string): () => void {
    const key = keyOf(hash, jid);
    this.#admitted.set(key, (this.#admitted.get(key) ?? 0) + 1);
    this.#backoff.delete(key);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const n = (this.#admitted.get(key) ?? 1) - 1;
      if (n > 0) this.#admitted.set(key, n);
      else this.#admitted.delete(key);
    };
  }

  get activePeers(): number {
    return this.#peers.size;
  }

  /** Rendezvous asked and not answered yet. */
  get underWay(): number {
    return this.#inflight.size;
  }

  /** Start the rendezvous that are due. */
  tick(now = Date.now()): void {
    if (this.#stopped) return;
    this.#forgetGone();
    const settle = this.opts.settleMs ?? 2_000;
    for (const hash of this.opts.host.wanting()) {
      for (const [jid, since] of this.#offered.get(hash) ?? []) {
        const key = keyOf(hash, jid);
        if (this.#admitted.has(key) || this.#inflight.has(key) || now - since < settle) continue;
        if (this.opts.isLegacy(jid) || this.opts.mayServe?.(hash, jid) === false) continue;
        const b = this.#backoff.get(key);
        if (b && now < b.next) continue;
        if (this.#peers.size >= (this.opts.maxPeers ?? 16)) return;
        const delay = b
          ? Math.min(b.delay * 2, this.opts.maxBackoffMs ?? 300_000)
          : (this.opts.backoffMs ?? 15_000);
        this.#backoff.set(key, { next: now + delay, delay });
        void this.#initiate(hash, jid);
      }
    }
  }

  /** Forget what we knew for torrents no longer held here. */
  #forgetGone(): void {
    for (const hash of this.#offered.keys()) {
      if (this.opts.host.holds(hash)) continue;
      this.#offered.delete(hash);
      this.#endpoints.delete(hash);
      for (const key of this.#backoff.keys()) if (key.startsWith(`${hash}|`)) this.#backoff.delete(key);
      for (const key of this.#failedEarly) if (key.startsWith(`${hash}|`)) this.#failedEarly.delete(key);
    }
  }

  async #initiate(hash: string, jid: string): Promise<void> {
    const key = keyOf(hash, jid);
    const { log, bus, host } = this.opts;
    this.#inflight.add(key);
    let peer: RtcPeer | null = null;
    try {
      const iceServers = this.opts.iceServers();
      const policy = offerPolicy(this.#failedEarly.has(key), iceServers);
      const offer = await createOffer(iceServers, log, policy);
      peer = this.#track(offer.peer);
      log.info({ hash, jid, policy }, 'rendezvous: asking a contact to connect (WebRTC offer, dial back)');
      const reply = await bus.request(
        xmpp.connect,
        { hash, jid, engineId: host.engineId, sdp: offer.sdp },
        { timeoutMs: this.opts.connectTimeoutMs ?? 30_000 },
      );
      if (!reply.ok) throw reply.error;
      if (!reply.value.sdp) throw new Error('the contact sent no WebRTC answer');
      if (this.#stopped || peer.destroyed) return;
      acceptAnswer(peer, reply.value.sdp);
      if (!host.addWebrtcPeer(hash, peer)) throw new Error('the torrent does not take peers now');
      this.#watch(key, peer);
      log.debug({ hash, jid, from: reply.value.from }, 'rendezvous: WebRTC answer received');
    } catch (err) {
      peer?.destroy();
      log.info({ hash, jid, err: (err as Error).message }, 'rendezvous failed (will retry later)');
    } finally {
      this.#inflight.delete(key);
    }
  }

  /** `engine.connect`: a contact asks us to dial it back and/or answer its offer. */
  async onConnect(req: { hash: string; jid: string; endpoints: PeerEndpoint[]; sdp?: string | undefined }) {
    const { host, log } = this.opts;
    const hash = req.hash.toLowerCase();
    if (!host.holds(hash)) throw new BusError('not_found', `engine ${host.engineId} does not hold ${hash}`);
    const jid = req.jid.toLowerCase();
    if (req.endpoints.length > 0) {
      // Merged with what contacts offer the hash at: the dial guard sees each endpoint's evidence.
      const known = this.#endpoints.get(hash) ?? [];
      host.dialBack(hash, [...known, ...req.endpoints.map((e) => ({ ...e, jid }))]);
    }
    log.info(
      { hash, jid, endpoints: req.endpoints.length, offer: req.sdp !== undefined },
      'rendezvous from a contact',
    );
    if (!req.sdp) return {};
    if (this.#answering >= (this.opts.maxAnswers ?? 4) || this.#peers.size >= (this.opts.maxPeers ?? 16))
      throw new BusError('failed', 'too many WebRTC connections under way; try again later');
    this.#answering++;
    try {
      const iceServers = this.opts.iceServers();
      const policy = answerPolicy(req.sdp, iceServers);
      if (policy === 'relay') log.info({ hash, jid }, 'rendezvous: answering a relay-only offer relay-only');
      const { peer, sdp } = await answerOffer(req.sdp, iceServers, log, policy).catch((err: unknown) => {
        throw new BusError('failed', `cannot answer the offer: ${(err as Error).message}`);
      });
      this.#track(peer);
      if (this.#stopped || !host.addWebrtcPeer(hash, peer)) {
        peer.destroy();
        throw new BusError('failed', `the torrent ${hash} does not take peers now (paused or queued?)`);
      }
      return { sdp };
    } finally {
      this.#answering--;
    }
  }

  /** How our peer for `key` ends decides the next offer's ICE policy (relay-fallback.ts). */
  #watch(key: string, peer: RtcPeer): void {
    let connectedAt: number | null = null;
    peer.once('connect', () => (connectedAt = Date.now()));
    // ICE that works connects within a second or two of the answer; one that cannot (a relay
    // paired with a symmetric NAT's address) fails only after libwebrtc's ~15 s. With TURN known,
    // the relay-only attempt starts after `connectWaitMs`; this peer may still connect meanwhile.
    const relayed = this.#failedEarly.has(key);
    const slow = setTimeout(() => {
      if (connectedAt === null && !peer.destroyed && !relayed && hasTurn(this.opts.iceServers()))
        this.#failedEarlyNow(key, { err: 'not connected yet', connected: false });
    }, this.opts.connectWaitMs ?? 5_000);
    slow.unref();
    onEnd(peer, (err) => {
      clearTimeout(slow);
      if (this.#stopped) return;
      if (failedEarly({ connectedAt, closedAt: Date.now(), failed: err !== null }))
        this.#failedEarlyNow(key, { err: err?.message, connected: connectedAt !== null });
      else this.#failedEarly.delete(key);
    });
  }

  /** The WebRTC attempt for `key` failed or died early: the next offers relay-only. */
  #failedEarlyNow(key: string, why: { err: string | undefined; connected: boolean }): void {
    if (this.#stopped || this.#failedEarly.has(key)) return;
    const [hash, jid] = key.split('|');
    this.opts.log.info(
      { hash, jid, ...why },
      'WebRTC with a contact failed or died early: next attempts through the TURN relay only, if one is known',
    );
    this.#failedEarly.add(key);
    // The next attempt takes another path (relay only): it need not wait out the backoff.
    const backoff = this.#backoff.get(key);
    if (backoff && hasTurn(this.opts.iceServers())) {
      backoff.next = Date.now();
      this.#wakeAt(Date.now());
    }
  }

  #track(peer: RtcPeer): RtcPeer {
    this.#peers.add(peer);
    onEnd(peer, () => this.#peers.delete(peer));
    // A peer that never connects: webtorrent closes it after its connect timeout (25 s); one we
    // never handed over is closed here.
    const timer = setTimeout(() => {
      if (!peer.connected) peer.destroy();
    }, 60_000);
    timer.unref();
    onEnd(peer, () => clearTimeout(timer));
    return peer;
  }
}

/**
 * Call `cb` once when the peer ends: simple-peer emits 'error' and no 'close' when it fails by
 * itself (ICE or the connection failed), 'close' when destroyed without an error.
 */
function onEnd(peer: RtcPeer, cb: (err: Error | null) => void): void {
  let done = false;
  const end = (err: Error | null) => {
    if (done) return;
    done = true;
    cb(err);
  };
  peer.once('error', (err: Error) => end(err));
  peer.once('close', () => end(null));
}
