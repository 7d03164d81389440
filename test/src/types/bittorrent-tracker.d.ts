// The part of bittorrent-tracker 11 the tests use: its tracker server, on loopback.
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { Server as HttpServer } from 'node:http';

  export class Server extends EventEmitter {
    constructor(opts?: { http?: boolean; udp?: boolean; ws?: boolean; stats?: boolean });
    readonly http: HttpServer | null;
    listen(port: number, hostname: string, onListening?: () => void): void;
    close(cb?: () => void): void;
  }
}
