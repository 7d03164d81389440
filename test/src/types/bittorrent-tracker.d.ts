// The part of bittorrent-tracker 11 the tests use: its tracker server, on loopback, and its client
// (to announce a peer of the test's choosing).
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { Server as HttpServer } from 'node:http';

  export class Server extends EventEmitter {
    constructor(opts?: { http?: boolean; udp?: boolean; ws?: boolean; stats?: boolean });
    readonly http: HttpServer | null;
    listen(port: number, hostname: string, onListening?: () => void): void;
    close(cb?: () => void): void;
  }

  /** Events `update` (an announce was answered), `warning`, `error`, `peer` ("ip:port"). */
  export default class Client extends EventEmitter {
    constructor(opts: { infoHash: string; peerId: string; announce: string[]; port: number });
    start(): void;
    destroy(cb?: (err?: Error | null) => void): void;
  }
}
