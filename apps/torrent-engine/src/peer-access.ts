import {
  BusError,
  engine as contracts,
  xmpp,
  type AdmissionCounters,
  type ConnectionCounters,
  type IceServer,
} from '@bitween/messages';
import type { Bus, Logger, ServiceHost, Subscription } from '@bitween/bus';
import type WebTorrent from 'webtorrent';
import type { Torrent } from 'webtorrent';
import { AdmissionGate, type Admission, type AdmissionRules, type GatedWire } from './admission/gate.js';
import { admissionRules } from './admission/rules.js';
import { ShareVisibilityFollower } from './admission/share-visibility.js';
import { TicketBook } from './admission/ticket-book.js';
import { DEFAULT_UNADMITTED_LIMITS, UnadmittedConnections } from './admission/unadmitted.js';
import type { TorrentEngine } from './engine.js';
import type { PeerFilter } from './peer-filter.js';
import { Rendezvous } from './rtc/rendezvous.js';
import { isRelayed, type RtcPeer } from './rtc/rtc-peer.js';
import { TransportCounters } from './rtc/transport-counters.js';

const endpointAddress = (e: { address: string; port: number }) =>
  e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

/**
 * Who may use this engine's BitTorrent connections and how friends reach it: admission by ticket
 * on every wire (admission/), a bound on connections waiting for admission, WebRTC rendezvous and
 * connection reversal (rtc/), and the counters for the registry entry.
 */
export class PeerAccess {
  readonly book: TicketBook;
  readonly gate: AdmissionGate;
  /** Which roster groups see each share: the gate serves a restricted share to those only. */
  readonly visibility: ShareVisibilityFollower;
  readonly #rules: AdmissionRules;
  readonly #transports = new TransportCounters();
  #client: WebTorrent | null = null;
  #unadmitted: UnadmittedConnections | null = null;
  #rendezvous: Rendezvous | null = null;
  #peersSub: Subscription | null = null;

  constructor(
    private readonly opts: {
      bus: Bus;
      filter: PeerFilter;
      log: Logger;
      /** Does the router forward our port now (port mapping `mapped`)? */
      portMapped: () => boolean;
      proofTimeoutMs?: number;
    },
  ) {
    // A contact removed from the table, or from a restricted share's groups, loses its open wires too.
    this.book = new TicketBook(opts.bus, opts.log, { onChange: () => this.gate.revoke() });
    this.visibility = new ShareVisibilityFollower(opts.bus, opts.log, { onChange: () => this.gate.revoke() });
    this.#rules = admissionRules(opts.filter, this.book, this.visibility);
    this.gate = new AdmissionGate({
      rules: this.#rules,
      log: opts.log,
      ...(opts.proofTimeoutMs ? { proofTimeoutMs: opts.proofTimeoutMs } : {}),
      onAdmitted: (a) => this.#onAdmitted(a),
      onIdentified: (a) => this.#onIdentified(a),
    });
  }

  /** On the client before it serves anything (TorrentEngine's `prepare`). */
  prepare(client: WebTorrent): void {
    this.#client = client;
    if (this.opts.filter.enabled) {
      this.#unadmitted = new UnadmittedConnections(
        client,
        DEFAULT_UNADMITTED_LIMITS,
        (detail) => this.gate.countRefusal('overload', detail),
        this.opts.log,
      );
    }
    client.on('add', (torrent: Torrent) => {
      torrent.on('wire', (wire) => this.gate.guard(wire as unknown as GatedWire, torrent.infoHash));
    });
    this.visibility.start();
    this.book.start();
  }

  /** Once the engine runs and serves NATS: rendezvous, and `engine.connect`. */
  start(engine: TorrentEngine, host: ServiceHost, iceServers: () => IceServer[]): void {
    const rendezvous = new Rendezvous({
      host: {
        engineId: engine.engineId,
        // (A share's file list being fetched counts as wanted: its friend may be reachable only so.)
        wanting: () => [
          ...engine.hashesIn(['downloading', 'metadata']),
          ...engine.metadataFetches.fetching(),
        ],
        holds: (hash) => engine.has(hash) || engine.metadataFetches.isFetching(hash),
        addWebrtcPeer: (hash, peer) => this.#addWebrtcPeer(hash, peer),
        dialBack: (hash, endpoints) => {
          engine.setPeers(hash, endpoints);
          const t = this.#torrent(hash);
          for (const e of endpoints) t?.addPeer(endpointAddress(e), 'rendezvous');
        },
      },
      bus: this.opts.bus,
      log: this.opts.log,
      iceServers,
      isLegacy: (jid) => this.book.table?.legacy.has(jid) ?? true,
      // No rendezvous with a contact for a share restricted to groups it is not in.
      mayServe: (hash, jid) => this.#rules.shareAccess(hash, jid).serve,
    });
    this.#rendezvous = rendezvous;
    // Where contacts offer each hash (their JIDs): when to start a rendezvous.
    this.#peersSub = this.opts.bus.subscribe(xmpp.peers, ({ peers }) => {
      for (const { hash, endpoints } of peers) rendezvous.setPeers(hash, endpoints);
    });
    // A file list fetch has no time to settle: its rendezvous is due at the next tick.
    engine.metadataFetches.onFetch((hash, endpoints) => rendezvous.setPeers(hash, endpoints, 0));
    host.serve(
      contracts.connect,
      async (req) => {
        await this.#rules.settled();
        const access = this.#rules.shareAccess(req.hash, req.jid);
        if (!access.serve) {
          // Answered as for a hash we do not hold: the contact learns no more than a stranger.
          this.gate.countRefusal('hidden', {
            hash: req.hash,
            jid: req.jid,
            type: 'rendezvous',
            why: access.why,
          });
          throw new BusError(
            'not_found',
            `engine ${engine.engineId} does not hold ${req.hash.toLowerCase()}`,
          );
        }
        return rendezvous.onConnect(req);
      },
      { params: { engineId: engine.engineId } },
    );
    rendezvous.start();
  }

  /**
   * Dial `jid`'s endpoints for `hash`? Not when the gate would refuse it the share (per-group
   * visibility); while the visibility is not read yet, yes (the gate decides on the wire).
   */
  mayDial(hash: string, jid: string): boolean {
    return this.visibility.current() === null || this.#rules.shareAccess(hash, jid).serve;
  }

  admission(): AdmissionCounters {
    return this.gate.counters();
  }

  connections(): ConnectionCounters {
    return this.#transports.counts();
  }

  stop(): void {
    this.#peersSub?.unsubscribe();
    this.#rendezvous?.stop();
    this.book.stop();
    this.visibility.stop();
  }

  #torrent(hash: string): Torrent | undefined {
    // By hash (the patched client's map), not a walk over every torrent per WebRTC peer.
    const t = this.#client?._torrentsByHash.get(hash);
    return t && !t.destroyed ? t : undefined;
  }

  #addWebrtcPeer(hash: string, peer: RtcPeer): boolean {
    const t = this.#torrent(hash);
    if (!t || t.paused) return false;
    try {
      return t.addPeer(peer, 'rendezvous');
    } catch (err) {
      this.opts.log.warn({ hash, err }, 'could not add a WebRTC peer');
      return false;
    }
  }

  #onAdmitted({ wire, infoHash, jid }: Admission): void {
    if (wire.type === 'webrtc') {
      let peer: RtcPeer | undefined;
      for (const p of this.#torrent(infoHash)?._peers.values() ?? [])
        if ((p.wire as unknown) === wire) peer = p.conn as RtcPeer;
      void (peer ? isRelayed(peer) : Promise.resolve(false)).then((relayed) =>
        this.#transports.countWebrtc(relayed),
      );
    } else {
      this.#unadmitted?.admitted(wire.remoteAddress, wire.remotePort);
      this.#transports.countTcp(wire, this.opts.portMapped());
    }
    this.#onIdentified({ wire, infoHash, jid, by: 'proof' });
  }

  /** Rendezvous leaves a contact alone while one of its wires for the hash is open. */
  #onIdentified({ wire, infoHash, jid }: Admission): void {
    if (!jid || !this.#rendezvous) return;
    const closed = this.#rendezvous.admitted(infoHash, jid);
    wire.once('close', closed);
  }
}
