// The parts of webtorrent 3, create-torrent 6 and parse-torrent 11 that bitween uses.
// (@types/webtorrent describes webtorrent 1.x; these are checked against the 3.0.21 sources.)

declare module 'webtorrent' {
  import { EventEmitter } from 'node:events';

  export interface ClientOptions {
    dht?: boolean;
    tracker?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    utp?: boolean;
    webSeeds?: boolean;
    torrentPort?: number;
    maxConns?: number;
    blocklist?: string;
    /** 0 = off, 1 = protocol encryption with plaintext fallback (default), 2 = RC4 only. */
    secure?: number;
    /** false: no client-wide throttles; sockets connect to wires directly (patched, see patches/). */
    throttling?: boolean;
    /**
     * Consulted before every outgoing connection is created, whatever gave the address (patched,
     * see patches/): false refuses `addr` ("ip:port", "[ipv6]:port"). `source`: what gave it
     * (`addPeer`'s second argument, or webtorrent's own: tracker, dht, lsd, ut_pex, manual).
     */
    dialFilter?: (addr: string, torrent: Torrent, source: string | undefined) => boolean;
  }

  export interface AddOptions {
    path?: string;
    skipVerify?: boolean;
    announce?: string[];
    /** Verified pieces from an earlier run (fast resume). */
    bitfield?: Uint8Array;
    strategy?: 'sequential' | 'rarest';
    private?: boolean;
    destroyStoreOnDestroy?: boolean;
    /** A chunk store constructor (default fs-chunk-store). */
    store?: new (chunkLength: number, opts: never) => unknown;
    /** Pieces the store's read cache holds (default 20; 0 = no cache). */
    storeCacheSlots?: number;
    /** Passed on to the store's constructor with webtorrent's own options. */
    storeOpts?: Record<string, unknown>;
    /** Start with no piece selected (the engine selects the wanted files itself). */
    deselect?: boolean;
    /** Start paused: no connections are made or accepted. */
    paused?: boolean;
  }

  export interface TorrentFile {
    name: string;
    path: string;
    length: number;
    downloaded: number;
    progress: number;
    /** First and last piece of the file (internal to webtorrent 3.0.21, stable since 1.x). */
    readonly _startPiece: number;
    readonly _endPiece: number;
  }

  /** A bittorrent-protocol 5 wire (what per-torrent limits hook into). */
  export interface Wire {
    destroyed: boolean;
    /** Our BEP 10 extended handshake, sent after the torrent's `wire` event (minus `m`). */
    extendedHandshake: Record<string, unknown>;
    /** Bytes of each block received / sent. */
    on(event: 'download' | 'upload', listener: (bytes: number) => void): this;
    /** Emitted once the wire is destroyed (its connection closed). */
    once(event: 'close', listener: () => void): this;
    _write(data: Uint8Array, cb: (err?: Error | null) => void): void;
    piece(index: number, offset: number, buffer: Uint8Array): void;
    // What Transmission's peer list shows.
    /** 'tcpIncoming', 'tcpOutgoing', 'webrtc', 'utpIncoming'… */
    readonly type: string;
    remoteAddress?: string;
    remotePort?: number;
    /** The peer's id, hex; undefined before the handshake. */
    readonly peerId?: string;
    readonly amChoking: boolean;
    readonly amInterested: boolean;
    readonly peerChoking: boolean;
    readonly peerInterested: boolean;
    readonly peerPieces: { get(index: number): boolean };
    readonly _cryptoHandshakeDone?: boolean;
    /** Piece payload bytes/s (bittorrent-protocol's meters, fed by piece messages only). */
    downloadSpeed(): number;
    uploadSpeed(): number;
  }

  /** A connection (or queued connection attempt) of a torrent. */
  export interface Peer {
    readonly id: string;
    /** Its wire once connected, and its connection (a socket, or a simple-peer for WebRTC). */
    readonly wire?: Wire;
    readonly conn?: unknown;
    destroy(err?: Error): void;
  }

  export interface Torrent extends EventEmitter {
    readonly infoHash: string;
    readonly magnetURI: string;
    readonly torrentFile: Uint8Array;
    readonly name: string;
    readonly length: number;
    readonly files: TorrentFile[];
    readonly path: string;
    readonly ready: boolean;
    readonly done: boolean;
    readonly destroyed: boolean;
    readonly paused: boolean;
    readonly metadata: Uint8Array | null;
    /** Verified pieces (set once the metadata is known). */
    readonly bitfield: { readonly buffer: Uint8Array; get(index: number): boolean } | null | undefined;
    /** One entry per piece (null once verified). */
    readonly pieces: unknown[];
    readonly pieceLength: number;
    /** The decoded `info` dictionary (raw bencode values), once the metadata is known. */
    readonly info?: unknown;
    readonly progress: number;
    readonly downloaded: number;
    readonly uploaded: number;
    readonly received: number;
    readonly downloadSpeed: number;
    readonly uploadSpeed: number;
    readonly numPeers: number;
    readonly wires: Wire[];
    /** Connected and queued peers by id (internal). */
    readonly _peers: Map<string, Peer>;
    /** Outgoing connection attempts not yet made (internal). */
    _queue: Peer[];
    /**
     * `peer`: "ip:port", or a simple-peer WebRTC connection. `source`: a label for where it came
     * from (handed to the dial filter).
     */
    addPeer(peer: string | object, source?: string): boolean;
    removePeer(peer: string | Peer): void;
    select(from: number, to: number, priority?: number): void;
    deselect(from: number, to: number): void;
    /** Only stops new connections (webtorrent 3): the engine closes the open ones itself. */
    pause(): void;
    resume(): void;
    destroy(opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): void;
  }

  export interface AddressInfo {
    address: string;
    family: string;
    port: number;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(opts?: ClientOptions);
    static readonly VERSION: string;
    readonly torrents: Torrent[];
    readonly listening: boolean;
    readonly destroyed: boolean;
    torrentPort: number;
    readonly peerId: string;
    address(): AddressInfo | null;
    add(torrentId: string | Uint8Array, opts?: AddOptions, onTorrent?: (t: Torrent) => void): Torrent;
    get(torrentId: string | Uint8Array | Torrent): Promise<Torrent | null>;
    /** The torrent of each known info hash (our webtorrent patch, change 8): `get` without parsing. */
    readonly _torrentsByHash: ReadonlyMap<string, Torrent>;
    remove(
      torrentId: string | Torrent,
      opts?: { destroyStore?: boolean },
      cb?: (err?: Error | null) => void,
    ): Promise<void>;
    destroy(cb?: (err?: Error | null) => void): void;
  }
}

declare module 'create-torrent' {
  export interface CreateTorrentOptions {
    name?: string;
    createdBy?: string;
    creationDate?: Date;
    comment?: string;
    private?: boolean;
    pieceLength?: number;
    announceList?: string[][];
    urlList?: string[];
    filterJunkFiles?: boolean;
    onProgress?: (hashedBytes: number, totalBytes: number) => void;
  }
  export default function createTorrent(
    input: string | string[],
    opts: CreateTorrentOptions,
    cb: (err: Error | null, torrent: Uint8Array) => void,
  ): void;
}

declare module 'parse-torrent' {
  export interface ParsedTorrent {
    infoHash: string;
    name?: string;
    length?: number;
    files?: { path: string; name: string; length: number; offset: number }[];
    /** The decoded `info` dictionary (raw bencode values: names as spelled, before normalising). */
    info?: unknown;
  }
  export default function parseTorrent(torrentId: string | Uint8Array): Promise<ParsedTorrent>;
}

declare module 'bittorrent-tracker' {
  import { EventEmitter } from 'node:events';

  export interface AnnounceStats {
    uploaded?: number;
    downloaded?: number;
    left?: number;
  }

  /** bittorrent-tracker 11 client: events `update`, `warning`, `error`, `peer` ("ip:port"). */
  export default class Client extends EventEmitter {
    constructor(opts: { infoHash: string; peerId: string; announce: string[]; port: number });
    start(opts?: AnnounceStats): void;
    stop(opts?: AnnounceStats): void;
    complete(opts?: AnnounceStats): void;
    update(opts?: AnnounceStats): void;
    destroy(cb?: (err?: Error | null) => void): void;
  }
}
