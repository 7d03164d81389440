import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import {
  INDEX_NOTIFY,
  NS_CAPS,
  NS_DISCO_INFO,
  NS_RENDEZVOUS,
  NS_SHARES,
  NS_SHARES_NOTIFY,
} from './namespaces.js';
import { GROUPS_SIGNAL_NOTIFY } from './group-nodes.js';

/**
 * Service discovery (XEP-0030) and entity capabilities (XEP-0115). A contact's server sends
 * PEP notifications only to clients whose caps include `<node>+notify`, so the presence we
 * send must carry a `<c/>` whose `ver` is the hash of exactly what disco#info answers.
 */

export interface Identity {
  category: string;
  type: string;
  name: string;
  lang?: string;
}

export interface DiscoInfo {
  identities: Identity[];
  features: string[];
}

export const CAPS_NODE = 'https://github.com/bitween/bitween';

export const BITWEEN_DISCO: DiscoInfo = {
  identities: [{ category: 'client', type: 'bot', name: 'bitween' }],
  // NS_RENDEZVOUS: we answer `<ticket/>` and `<connect/>` (friends behind routers).
  // INDEX_NOTIFY: friends' bucket indexes are pushed to us (large lists, protocol/buckets.ts).
  // GROUPS_SIGNAL_NOTIFY: friends' group nodes changed (per-group visibility, protocol/group-nodes.ts).
  features: [
    NS_CAPS,
    NS_DISCO_INFO,
    NS_SHARES,
    NS_SHARES_NOTIFY,
    INDEX_NOTIFY,
    GROUPS_SIGNAL_NOTIFY,
    NS_RENDEZVOUS,
    'urn:xmpp:ping',
  ],
};

/** XEP-0115 §5.1 verification string (no extended forms), hashed with SHA-1, base64. */
export function capsVer(info: DiscoInfo): string {
  const identities = info.identities
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name}`)
    .sort()
    .map((s) => `${s}<`)
    .join('');
  const features = [...new Set(info.features)]
    .sort()
    .map((f) => `${f}<`)
    .join('');
  return createHash('sha1')
    .update(identities + features, 'utf8')
    .digest('base64');
}

/** The XEP-0115 `node` a presence announces (the software of the resource: ours is `CAPS_NODE`), or null. */
export function capsNodeOf(presence: Element): string | null {
  const node: unknown = presence.getChild('c', NS_CAPS)?.attrs.node;
  return typeof node === 'string' && node !== '' ? node : null;
}

export function capsElement(info: DiscoInfo, node = CAPS_NODE): Element {
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node, ver: capsVer(info) });
}

/** The `<query/>` answering disco#info, for the bare request or for `node#ver`. */
export function discoInfoQuery(info: DiscoInfo, node?: string): Element {
  return xml(
    'query',
    node ? { xmlns: NS_DISCO_INFO, node } : { xmlns: NS_DISCO_INFO },
    ...info.identities.map((i) =>
      xml('identity', {
        category: i.category,
        type: i.type,
        name: i.name,
        ...(i.lang ? { 'xml:lang': i.lang } : {}),
      }),
    ),
    ...[...new Set(info.features)].sort().map((f) => xml('feature', { var: f })),
  );
}
