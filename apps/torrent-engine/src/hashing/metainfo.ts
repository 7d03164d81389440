import { createHash } from 'node:crypto';
import bencode from 'bencode';

export interface MetainfoInput {
  name: string;
  pieceLength: number;
  /** 20 bytes of SHA-1 per piece. */
  pieces: Uint8Array;
  /** A single-file torrent has `length`; a folder has `files`. */
  layout: { length: number } | { files: { path: string[]; length: number }[] };
  createdBy?: string;
  /** Tiers of tracker URLs; none for friends-only torrents. */
  announceList?: string[][];
  creationDate?: Date;
}

export interface Metainfo {
  /** The bencoded .torrent. */
  torrentFile: Uint8Array;
  /** SHA-1 of the bencoded info dictionary, hex. */
  infoHash: string;
}

/**
 * A BitTorrent v1 metainfo file, with the same info dictionary (hence info-hash) create-torrent
 * writes for the same files, name and piece length.
 */
export function encodeMetainfo(input: MetainfoInput): Metainfo {
  if (input.pieces.length % 20 !== 0) throw new Error('pieces must be 20 bytes per piece');
  const info: Record<string, unknown> = {
    name: input.name,
    'piece length': input.pieceLength,
    pieces: input.pieces,
  };
  if ('length' in input.layout) info['length'] = input.layout.length;
  else info['files'] = input.layout.files.map((f) => ({ length: f.length, path: f.path }));
  const torrent: Record<string, unknown> = {
    info,
    'creation date': Math.ceil((input.creationDate ?? new Date()).getTime() / 1000),
    encoding: 'UTF-8',
  };
  const tiers = (input.announceList ?? []).filter((t) => t.length > 0);
  if (tiers.length > 0) {
    torrent['announce'] = tiers[0]![0];
    torrent['announce-list'] = tiers;
  }
  if (input.createdBy !== undefined) torrent['created by'] = input.createdBy;
  const infoHash = createHash('sha1').update(bencode.encode(info)).digest('hex');
  return { torrentFile: bencode.encode(torrent), infoHash };
}
