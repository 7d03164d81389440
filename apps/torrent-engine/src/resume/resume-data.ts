import { InfoHash } from '@bitween/messages';
import { z } from 'zod';

const FileStamp = z.object({ size: z.number().int().nonnegative(), mtimeNs: z.string().regex(/^\d+$/) });

/**
 * Fast-resume data of one torrent (`<hash>.resume` in the state dir): the pieces verified when it
 * was saved, and the size and mtime its files had then. The bitfield is only trusted while every
 * file still has that size and mtime.
 */
export const ResumeData = z.object({
  version: z.literal(1),
  hash: InfoHash,
  pieces: z.number().int().nonnegative(),
  /** BitTorrent bitfield (piece 0 = high bit of byte 0), base64. */
  bitfield: z.string().regex(/^[A-Za-z0-9+/]*=*$/),
  /** Paths relative to the save path, in torrent order. */
  files: z.array(z.string().min(1)),
  stamps: z.array(FileStamp.nullable()),
  savedAt: z.number().int(),
});
export type ResumeData = z.infer<typeof ResumeData>;

export const encodeBitfield = (bits: Uint8Array) => Buffer.from(bits).toString('base64');

/** The bitfield, or null when it does not fit `pieces`. */
export function decodeBitfield(data: ResumeData): Uint8Array | null {
  const bits = new Uint8Array(Buffer.from(data.bitfield, 'base64'));
  return bits.length === Math.ceil(data.pieces / 8) ? bits : null;
}

/** Pieces set in a bitfield of `pieces` pieces. */
export function countPieces(bits: Uint8Array, pieces: number): number {
  let n = 0;
  for (let i = 0; i < pieces; i++) if ((bits[i >> 3]! >> (7 - (i & 7))) & 1) n++;
  return n;
}
