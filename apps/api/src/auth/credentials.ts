import type { IncomingHttpHeaders } from 'node:http';

/** How a request presented the API key. */
export type Scheme = 'x-api-key' | 'bearer' | 'basic';

export interface Credential {
  key: string;
  scheme: Scheme;
}

/**
 * The API key a request carries, from (first match wins) `X-API-Key: <key>`,
 * `Authorization: Bearer <key>` or `Authorization: Basic base64(<any user>:<key>)` (the
 * password: what Transmission frontends send), with the scheme it came in. Null when none of
 * them is present or well formed. Which schemes a route accepts is the auth hook's decision.
 */
export function presentedCredential(headers: IncomingHttpHeaders): Credential | null {
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey !== undefined && apiKey.trim() !== '') return { key: apiKey.trim(), scheme: 'x-api-key' };
  const authorization = headers.authorization;
  if (!authorization) return null;
  const bearer = bearerOf(authorization);
  if (bearer !== null) return { key: bearer, scheme: 'bearer' };
  const basic = basicPasswordOf(authorization);
  return basic === null ? null : { key: basic, scheme: 'basic' };
}

export function bearerOf(header: string): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1] ?? null;
}

/** The password of `Basic base64(user:password)`; null when the header is not that. */
export function basicPasswordOf(header: string): string | null {
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const password = decoded.slice(colon + 1);
  return password === '' ? null : password;
}
