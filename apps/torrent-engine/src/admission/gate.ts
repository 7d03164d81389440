import type { AdmissionCounters } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import {
  authExtension,
  decodeProofMessage,
  readHello,
  sendProof,
  AUTH_EXTENSION,
  type ExtensionConstructor,
  type PeerHello,
} from './auth-extension.js';
import { checkProof, computeProof, newNonce } from './proof.js';
import type { ShareAccess } from './share-access.js';

/**
 * Why a wire was closed unadmitted (the keys of `EngineState.admission.refused`); `hidden`: a
 * contact outside the roster groups of a restricted share (also when it lost access later).
 */
export type RefusalReason = 'no-proof' | 'bad-proof' | 'stranger' | 'overload' | 'hidden';

/** How a wire was admitted. */
export type AdmittedBy = 'proof' | 'address' | 'open';

/** What the gate needs to know, from the ticket table and the contacts' announced addresses. */
export interface AdmissionRules {
  /** false (BITWEEN_PEER_FILTER=off): every wire is admitted at once. */
  readonly enabled: boolean;
  /** Our own bare JID ('' while unknown): announced as `bw_jid`. */
  self(): string;
  /** Key of the ticket we issued to `jid` (checks its proofs). */
  issued(jid: string): Buffer | undefined;
  /** Key of the ticket `jid` issued to us (our proofs to it). */
  received(jid: string): Buffer | undefined;
  /**
   * May a peer at `ip` in without proof for `infoHash` (the extra allow list, or an address a
   * legacy contact who may see the share announces)? What admits it, for the log; null: it must prove.
   */
  byAddress(ip: string, infoHash: string): string | null;
  /** May the contact `jid` (proven) be served `infoHash` (per-group visibility), as known now? */
  shareAccess(infoHash: string, jid: string): ShareAccess;
  /** Resolves once what `shareAccess` needs was read (bounded wait: it may never be). */
  settled(): Promise<void>;
  /** Fetch the ticket table again if it is not fresh (a contact may have just been given a ticket). */
  refresh(): Promise<void>;
}

/** The wire as the gate drives it (a bittorrent-protocol 5 Wire). */
export interface GatedWire {
  destroyed: boolean;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  /** `tcpIncoming`, `tcpOutgoing`, `webrtc`, … (webtorrent's peer type). */
  type: string;
  peerExtensions: { extended?: boolean };
  peerExtendedMapping: Record<string, number>;
  peerExtendedHandshake: Record<string, unknown>;
  extendedHandshake: Record<string, unknown>;
  hasFast: boolean;
  use(ext: ExtensionConstructor): void;
  extended(ext: string, payload: Record<string, unknown>): void;
  unchoke(): void;
  interested(): void;
  bitfield(bitfield: unknown): void;
  have(index: number): void;
  haveAll(): void;
  haveNone(): void;
  uninterested(): void;
  reject(index: number, offset: number, length: number): void;
  _onRequest(index: number, offset: number, length: number): void;
  ut_metadata?: { _onRequest(piece: number): void; _reject(piece: number): void };
  destroy(): void;
  on(event: 'extended', listener: (ext: string, data: unknown) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  /** The contact this wire proved to be (set once admitted by proof). */
  bitweenJid?: string;
}

export interface Admission {
  wire: GatedWire;
  infoHash: string;
  jid: string | null;
  by: AdmittedBy;
}

export interface GateOptions {
  rules: AdmissionRules;
  log: Logger;
  /** Closed when no proof arrived this long after the handshake (10 s). */
  proofTimeoutMs?: number;
  onAdmitted?: (a: Admission) => void;
  onRefused?: (wire: GatedWire, reason: RefusalReason) => void;
  /** A wire admitted by address proved who it is afterwards. */
  onIdentified?: (a: Admission) => void;
}

/** At most one info line per refusal reason per interval (a stranger may redial in a loop). */
const LOG_EVERY_MS = 10_000;

/**
 * Admission by tickets on every BitTorrent wire (docs/friends-behind-routers.md, "Admission"):
 * until a wire is admitted we keep it choked, refuse its block and metadata requests and do not
 * tell it we are interested; it is admitted by a valid `bitween_auth` proof, or by its address
 * (allow list, legacy contact) for TCP wires; otherwise closed and counted by reason.
 */
export class AdmissionGate {
  readonly #admitted = { count: 0 };
  readonly #refused = new Map<string, number>();
  readonly #lastLog = new Map<string, { at: number; suppressed: number }>();
  readonly #timeoutMs: number;
  /** Open wires admitted by proof, with their info-hash (closed when the contact loses access). */
  readonly #proven = new Map<GatedWire, string>();

  constructor(private readonly opts: GateOptions) {
    this.#timeoutMs = opts.proofTimeoutMs ?? 10_000;
  }

  /**
   * The ticket table or the share visibility changed: close the wires of contacts we no longer
   * issue a ticket to (removed from the roster, or no longer mutual), and of contacts no longer in
   * the roster groups of a restricted share (counted as `hidden`). Returns how many were closed.
   */
  revoke(): number {
    let closed = 0;
    const { rules, log } = this.opts;
    for (const [wire, infoHash] of this.#proven) {
      const jid = wire.bitweenJid;
      const detail = {
        jid,
        remote: wire.remoteAddress,
        port: wire.remotePort,
        type: wire.type,
        hash: infoHash,
      };
      if (!jid || !rules.issued(jid)) {
        log.info(detail, 'closed a revoked contact’s wire');
      } else {
        const access = rules.shareAccess(infoHash, jid);
        if (access.serve) continue;
        this.countRefusal('hidden', { ...detail, why: `${access.why} (it lost access)` });
      }
      this.#proven.delete(wire);
      wire.destroy();
      closed++;
    }
    return closed;
  }

  counters(): AdmissionCounters {
    return { admitted: this.#admitted.count, refused: Object.fromEntries(this.#refused) };
  }

  /** Count a connection refused before it became a wire (e.g. too many unadmitted ones). */
  countRefusal(reason: RefusalReason, detail: Record<string, unknown>): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
    this.#logRefusal(reason, detail);
  }

  /**
   * Put `wire` behind the gate: call from the torrent's `wire` event (before our handshake and
   * extended handshake are sent).
   */
  guard(wire: GatedWire, infoHash: string): void {
    const { rules, log } = this.opts;
    let admitted = false;
    let closed = false;
    let hello: PeerHello | null = null;
    let wantUnchoke = false;
    let wantInterested = false;
    const nonce = newNonce();
    const unchoke = wire.unchoke.bind(wire);
    const interested = wire.interested.bind(wire);
    const uninterested = wire.uninterested.bind(wire);
    const onRequest = wire._onRequest.bind(wire);
    /** What we have (bitfield, have-all/none, have), held until admission: strangers learn nothing. */
    const held: (() => void)[] = [];
    for (const name of ['bitfield', 'have', 'haveAll', 'haveNone'] as const) {
      const send = (wire[name] as (...args: unknown[]) => void).bind(wire);
      (wire[name] as (...args: unknown[]) => void) = (...args: unknown[]) => {
        if (admitted) send(...args);
        else held.push(() => send(...args));
      };
    }
    const webrtc = wire.type === 'webrtc';
    const remote = { remote: wire.remoteAddress, port: wire.remotePort, type: wire.type, hash: infoHash };

    const admit = (jid: string | null, by: AdmittedBy, how?: string) => {
      if (admitted || closed) return;
      admitted = true;
      clearTimeout(timer);
      if (jid) wire.bitweenJid = jid;
      this.#admitted.count++;
      log.debug({ ...remote, jid, by, how }, 'admitted a peer');
      // Only peers that speak bitween_auth wait for admission: they take a bitfield at any time.
      for (const send of held.splice(0)) send();
      if (wantInterested) interested();
      if (wantUnchoke) unchoke();
      if (jid) this.#proven.set(wire, infoHash);
      this.opts.onAdmitted?.({ wire, infoHash, jid, by });
    };
    const refuse = (reason: RefusalReason, detail: Record<string, unknown> = {}) => {
      if (admitted || closed) return;
      closed = true;
      clearTimeout(timer);
      this.countRefusal(reason, { ...remote, ...detail });
      this.opts.onRefused?.(wire, reason);
      wire.destroy();
    };

    // Nothing is given before admission: no unchoke, no block, no metadata, no interest.
    wire.unchoke = () => {
      if (admitted) unchoke();
      else wantUnchoke = true;
    };
    wire.interested = () => {
      if (admitted) interested();
      else wantInterested = true;
    };
    wire.uninterested = () => {
      if (admitted) uninterested();
      else wantInterested = false;
    };
    wire._onRequest = (index, offset, length) => {
      if (admitted) return onRequest(index, offset, length);
      if (wire.hasFast) wire.reject(index, offset, length);
    };
    const meta = wire.ut_metadata;
    if (meta) {
      const metaRequest = meta._onRequest.bind(meta);
      meta._onRequest = (piece) => (admitted ? metaRequest(piece) : meta._reject(piece));
    }

    const timer = setTimeout(() => refuse('no-proof'), this.#timeoutMs);
    timer.unref();
    wire.once('close', () => {
      closed = true;
      this.#proven.delete(wire);
      clearTimeout(timer);
    });

    const checkProofMessage = async (buf: Uint8Array) => {
      if (closed || wire.bitweenJid) return;
      const proof = decodeProofMessage(buf);
      const { jid, nonce: theirs } = hello ?? { jid: '', nonce: '' };
      const valid = () => {
        const key = rules.issued(jid);
        return proof !== null && key !== undefined && checkProof(key, nonce, theirs, infoHash, proof);
      };
      if (admitted) {
        // Admitted by address (allow list): a valid proof still tells who it is (rendezvous
        // then knows this contact has a wire); an invalid one changes nothing.
        if (hello && valid()) {
          wire.bitweenJid = jid;
          this.opts.onIdentified?.({ wire, infoHash, jid, by: 'proof' });
        }
        return;
      }
      if (!proof || !hello) return refuse('bad-proof', { why: proof ? 'proof before hello' : 'malformed' });
      if (!valid()) await rules.refresh();
      if (!valid()) return refuse('bad-proof', { jid });
      // Who it is is proven: may it have this share (per-group visibility)?
      await rules.settled();
      const access = rules.shareAccess(infoHash, jid);
      if (access.serve) admit(jid, 'proof');
      else refuse('hidden', { jid, why: access.why });
    };
    // Our side of the proof goes out whatever admits the peer here: it judges us by its own rules.
    wire.use(
      authExtension({ jid: rules.self(), nonce }, (buf) => {
        checkProofMessage(buf).catch((err: unknown) => {
          log.warn({ ...remote, err }, 'checking a proof failed');
          refuse('bad-proof');
        });
      }),
    );

    wire.on('extended', (ext) => {
      if (ext !== 'handshake') return;
      if (!wire.peerExtendedMapping[AUTH_EXTENSION]) {
        if (!admitted) refuse('stranger', { why: 'no bitween_auth' });
        return;
      }
      const read = readHello(wire.peerExtendedHandshake);
      if ('error' in read) {
        if (!admitted) refuse(read.anonymous ? 'stranger' : 'bad-proof', { why: read.error });
        return;
      }
      if (hello) return; // a second extended handshake changes nothing
      hello = read;
      void (async () => {
        await this.#answer(wire, read, nonce, infoHash);
        if (admitted || closed || rules.issued(read.jid)) return;
        await rules.refresh();
        if (!rules.issued(read.jid)) refuse('stranger', { jid: read.jid, why: 'no ticket issued to it' });
      })().catch((err: unknown) => log.warn({ ...remote, err }, 'answering a peer’s nonce failed'));
    });

    if (!rules.enabled) return admit(null, 'open');
    if (!webrtc && wire.remoteAddress) {
      const how = rules.byAddress(wire.remoteAddress, infoHash);
      if (how) return admit(null, 'address', how);
    }
    if (!wire.peerExtensions.extended) refuse('stranger', { why: 'no BEP 10 extensions' });
  }

  /** Send our proof for the peer's nonce when it issued us a ticket. */
  async #answer(wire: GatedWire, peer: PeerHello, ourNonce: string, infoHash: string): Promise<void> {
    const { rules } = this.opts;
    let key = rules.received(peer.jid);
    if (!key) {
      await rules.refresh();
      key = rules.received(peer.jid);
    }
    if (!key || wire.destroyed) return;
    // A contact we will not serve this share gets no proof of who we are for it (as a stranger).
    await rules.settled();
    if (wire.destroyed || !rules.shareAccess(infoHash, peer.jid).serve) return;
    // The peer verifies with ITS nonce first: HMAC(ticket, verifierNonce | proverNonce | hash).
    sendProof(wire, computeProof(key, peer.nonce, ourNonce, infoHash));
  }

  #logRefusal(reason: string, detail: Record<string, unknown>): void {
    const now = Date.now();
    const last = this.#lastLog.get(reason);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.#lastLog.set(reason, { at: now, suppressed: 0 });
    this.opts.log.info(
      { reason, ...detail, ...(last?.suppressed ? { alsoRefused: last.suppressed } : {}) },
      'refused a peer',
    );
  }
}
