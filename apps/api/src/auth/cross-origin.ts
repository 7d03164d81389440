import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a web page on another origin can make the user's browser send without a CORS preflight
 * (the Fetch standard's "simple" requests): GET/HEAD/POST, no custom header, and a Content-Type
 * of one of these three (an HTML form can send nothing else). Such a request reaches the server
 * before the browser asks whether the origin may send it, so it must never change state.
 */
export const CORS_SAFELISTED_TYPES = [
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
] as const;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The media type without parameters, lower case (`Text/Plain; charset=x` -> `text/plain`). */
export function mediaTypeOf(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return essence === '' ? null : essence;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = Number(headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Why a state-changing request must be refused as one a cross-origin page could send (its body
 * type is one a form can send), or null when it is fine. Reads and requests without a body
 * pass. `multipart`: the route takes `multipart/form-data` (file uploads); it is still safe
 * because every such route needs the API key in a header, which no form can set and which makes
 * the browser ask first.
 *
 * This is the second line: the first is that every route but the Transmission endpoint takes the
 * key only from X-API-Key or Authorization: Bearer, which a browser never adds on its own.
 */
export function crossOriginRisk(
  method: string,
  headers: IncomingHttpHeaders,
  opts: { multipart?: boolean } = {},
): string | null {
  if (!STATE_CHANGING.has(method.toUpperCase())) return null;
  const type = mediaTypeOf(headers['content-type']);
  if (type === null) {
    return hasBody(headers) ? 'a request body needs a Content-Type (application/json)' : null;
  }
  if (opts.multipart && type === 'multipart/form-data') return null;
  if ((CORS_SAFELISTED_TYPES as readonly string[]).includes(type)) {
    return `Content-Type ${type} is not accepted for ${method.toUpperCase()} (a web form could send it): send application/json`;
  }
  return null;
}
