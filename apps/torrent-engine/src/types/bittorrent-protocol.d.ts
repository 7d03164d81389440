// bittorrent-protocol 5 (webtorrent's wire; ESM, no bundled types): what the admission tests drive.
declare module 'bittorrent-protocol' {
  import { Duplex } from 'node:stream';

  export default class Wire extends Duplex {
    constructor(type?: string | null, retries?: number, peEnabled?: boolean);
    type: string;
    remoteAddress?: string;
    amChoking: boolean;
    handshake(infoHash: string, peerId: string, extensions?: { fast?: boolean; dht?: boolean }): void;
    unchoke(): void;
    _onRequest(index: number, offset: number, length: number): void;
  }
}
