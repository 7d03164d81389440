import { isIP } from 'node:net';
import type { Endpoint } from '@bitween/messages';
import xml, { type Element } from '@xmpp/xml';
import { NS_RENDEZVOUS, NS_STANZAS } from '../protocol/namespaces.js';

/**
 * The rendezvous protocol (namespace `urn:bitween:rendezvous:0`), pure XML both ways; the
 * behaviour is in rendezvous.ts. Both payloads travel in IQs of type `set` to a full JID:
 *
 *   <ticket xmlns='urn:bitween:rendezvous:0' value='(43 base64url chars)'/>
 *     result: the same element carrying the answering side's ticket for the asker.
 *   <connect xmlns='urn:bitween:rendezvous:0' hash='(40 hex)'>
 *     <endpoint address='203.0.113.5' port='6881'/>…   (at most 32)
 *     <sdp>(a WebRTC offer, at most 16 KiB)</sdp>     (optional)
 *   </connect>
 *     result: <connect xmlns='urn:bitween:rendezvous:0'><sdp>(answer)</sdp></connect>, the
 *     `<sdp/>` absent when no offer was sent.
 * Anything received is untrusted: decoding is strict and returns a reason instead of throwing.
 */

export const TICKET = /^[A-Za-z0-9_-]{43}$/;
const HASH = /^[0-9a-f]{40}$/;
const PORT = /^[0-9]{1,5}$/;
export const MAX_ENDPOINTS = 32;
export const MAX_SDP_BYTES = 16_384;

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };
const bad = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

export function ticketElement(value: string): Element {
  return xml('ticket', { xmlns: NS_RENDEZVOUS, value });
}

export function decodeTicket(el: Element | undefined | null): Decoded<string> {
  if (!el?.is('ticket', NS_RENDEZVOUS)) return bad('not a <ticket/> of the rendezvous namespace');
  const value = el.attrs.value as unknown;
  if (typeof value !== 'string' || !TICKET.test(value))
    return bad('the ticket value is not 43 base64url characters');
  return { ok: true, value };
}

export interface ConnectRequest {
  hash: string;
  endpoints: Endpoint[];
  sdp?: string;
}

export function connectElement(req: ConnectRequest): Element {
  return xml(
    'connect',
    { xmlns: NS_RENDEZVOUS, hash: req.hash },
    ...req.endpoints.map((e) => xml('endpoint', { address: e.address, port: String(e.port) })),
    ...(req.sdp === undefined ? [] : [xml('sdp', {}, req.sdp)]),
  );
}

/** The IQ result's payload: the answer SDP, or an empty `<connect/>`. */
export function connectResultElement(sdp: string | undefined): Element {
  return xml('connect', { xmlns: NS_RENDEZVOUS }, ...(sdp === undefined ? [] : [xml('sdp', {}, sdp)]));
}

function decodeSdp(el: Element): Decoded<string | undefined> {
  const sdps = el.getChildren('sdp');
  if (sdps.length === 0) return { ok: true, value: undefined };
  if (sdps.length > 1) return bad('more than one <sdp/>');
  // SDP lines end in CRLF (RFC 8866); XML parsers turn a raw CR LF into LF, so restore them.
  const text = (sdps[0]?.getText() ?? '').replace(/\r?\n/g, '\r\n');
  if (text.length === 0) return bad('empty <sdp/>');
  if (Buffer.byteLength(text, 'utf8') > MAX_SDP_BYTES)
    return bad(`<sdp/> larger than ${MAX_SDP_BYTES} bytes`);
  return { ok: true, value: text };
}

/**
 * A received `<connect/>` request. Structure and sizes only: whether the addresses are
 * acceptable is the caller's policy (address-filter.ts).
 */
export function decodeConnect(el: Element | undefined | null): Decoded<ConnectRequest> {
  if (!el?.is('connect', NS_RENDEZVOUS)) return bad('not a <connect/> of the rendezvous namespace');
  const hash = el.attrs.hash as unknown;
  if (typeof hash !== 'string' || !HASH.test(hash)) return bad('hash is not 40 lowercase hex characters');
  const endpointEls = el.getChildren('endpoint');
  if (endpointEls.length > MAX_ENDPOINTS) return bad(`more than ${MAX_ENDPOINTS} endpoints`);
  const endpoints: Endpoint[] = [];
  for (const e of endpointEls) {
    const address = e.attrs.address as unknown;
    const port = e.attrs.port as unknown;
    if (typeof address !== 'string' || isIP(address) === 0)
      return bad('an endpoint address is not an IP address');
    if (typeof port !== 'string' || !PORT.test(port) || Number(port) < 1 || Number(port) > 65_535)
      return bad('an endpoint port is not 1-65535');
    endpoints.push({ address, port: Number(port) });
  }
  const sdp = decodeSdp(el);
  if (!sdp.ok) return sdp;
  return { ok: true, value: { hash, endpoints, ...(sdp.value === undefined ? {} : { sdp: sdp.value }) } };
}

/** The `<connect/>` of an IQ result: the answer SDP (undefined when none). */
export function decodeConnectResult(el: Element | undefined | null): Decoded<string | undefined> {
  if (!el) return { ok: true, value: undefined }; // an empty result: nothing to answer with
  if (!el.is('connect', NS_RENDEZVOUS)) return bad('not a <connect/> of the rendezvous namespace');
  return decodeSdp(el);
}

export type ErrorType = 'cancel' | 'modify' | 'auth' | 'wait';

/** An IQ `<error/>` with a defined condition (RFC 6120 §8.3) and a short text. */
export function stanzaError(type: ErrorType, condition: string, text?: string): Element {
  return xml(
    'error',
    { type },
    xml(condition, { xmlns: NS_STANZAS }),
    ...(text ? [xml('text', { xmlns: NS_STANZAS }, text)] : []),
  );
}
