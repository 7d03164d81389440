/** The original Bitween's namespace: element namespace, PEP node name, and disco feature. */
export const NS_SHARES = 'https://xmpp.kwoh.de/protocol/shares';
export const NS_SHARES_NOTIFY = `${NS_SHARES}+notify`;
/** Every publish replaces this single item. */
export const ITEM_ID = 'current';

/** bitween's own share-list namespace (large lists in buckets, protocol/buckets.ts). */
export const NS_FULL = 'urn:bitween:shares:0';
/** PEP node of the bucket index; friends subscribe to it (+notify) besides the original node. */
export const INDEX_NODE = `${NS_FULL}/index`;
export const INDEX_NOTIFY = `${INDEX_NODE}+notify`;

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_ROSTER = 'jabber:iq:roster';
/** bitween's own rendezvous namespace (issue 19): ticket exchange and `<connect/>`; a disco feature too. */
export const NS_RENDEZVOUS = 'urn:bitween:rendezvous:0';
/** XEP-0215 External Service Discovery (STUN/TURN servers of our own XMPP server). */
export const NS_EXTDISCO = 'urn:xmpp:extdisco:2';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
