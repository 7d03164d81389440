import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import {
  decodeFileSharing,
  encodeFileSharing,
  NS_SFS,
  type FileShareItem,
  type SharedFile,
} from './file-sharing.js';

/**
 * A share sent to a friend (issue 20 item 4): an XMPP `<message type='chat'/>` carrying the
 * XEP-0447 (Stateless file sharing, 0.3.1) `<file-sharing disposition='attachment'/>` the XEP-0498
 * items carry (protocol/file-sharing.ts, the same codec) and a plain-text `<body/>` for clients that
 * do not read it (Conversations, Dino, Gajim show the sentence and the magnet). XEP-0447 §3.1: the
 * body says nothing `<file-sharing/>` does not; XEP-0428 (Fallback Indication, 0.2)
 * `<fallback for='urn:xmpp:sfs:0'/>` without children marks the whole body as that fallback.
 * `disposition='attachment'`: the receiver fetches nothing before its user accepts.
 * No `<hash/>` (the engine has no whole-file hash to give): Dino (0.4/0.5) takes a `<file-sharing/>`
 * as a file only when it carries a hash it supports and would then hide the body; without one it
 * shows the body, the only thing a magnet source is useful as there. Clients without XEP-0447
 * (Conversations, Gajim) show the body.
 */
export const NS_FALLBACK = 'urn:xmpp:fallback:0';

/** A received message larger than this (serialised) is refused before it is read. */
export const MAX_SHARE_MESSAGE_BYTES = 16 * 1024;

/** The body's text: a sentence with the name and size, then the magnet on its own line. */
export function fallbackBody(name: string, size: number, magnet: string): string {
  return `I am sharing "${name}" (${formatBytes(size)}) with you over BitTorrent: open this magnet link in bitween or any BitTorrent client:\n${magnet}`;
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The message that sends `item` to `to` (a bare JID), and the magnet it carries. */
export function shareMessage(
  to: string,
  item: FileShareItem,
  id: string = randomUUID(),
): { stanza: Element; magnet: string } {
  const sharing = encodeFileSharing(item);
  sharing.attrs.disposition = 'attachment';
  const file = sharing.getChild('file');
  const magnet = String(sharing.getChild('sources')?.getChild('url-data')?.attrs.target ?? '');
  const name = file?.getChildText('name') ?? item.share.name;
  const stanza = xml(
    'message',
    { to, type: 'chat', id },
    xml('body', {}, fallbackBody(name, item.share.size, magnet)),
    sharing,
    xml('fallback', { xmlns: NS_FALLBACK, for: NS_SFS }),
  );
  return { stanza, magnet };
}

export type ReceivedShare =
  { kind: 'none' } | { kind: 'refused'; reason: string } | { kind: 'share'; file: SharedFile };

/**
 * What a received message says: no `<file-sharing/>` (`none`: any other chat message), or the
 * share it sends, or why it is refused (type not chat/normal, too large, several `<file-sharing/>`,
 * a payload decodeFileSharing refuses). Who sent it is for the caller to judge.
 */
export function readShareMessage(stanza: Element): ReceivedShare {
  const sharings = stanza.getChildren('file-sharing', NS_SFS);
  if (sharings.length === 0) return { kind: 'none' };
  const type = (stanza.attrs.type as string | undefined) ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return { kind: 'refused', reason: `message of type ${type}` };
  const bytes = Buffer.byteLength(stanza.toString());
  if (bytes > MAX_SHARE_MESSAGE_BYTES)
    return { kind: 'refused', reason: `message of ${bytes} bytes (at most ${MAX_SHARE_MESSAGE_BYTES})` };
  if (sharings.length > 1) return { kind: 'refused', reason: `${sharings.length} <file-sharing/> elements` };
  const file = decodeFileSharing(sharings[0]!);
  return typeof file === 'string' ? { kind: 'refused', reason: file } : { kind: 'share', file };
}
