import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { DialPolicy } from '@bitween/net-policy';

/**
 * GET a small document (a .torrent) from a URL someone else gave us, under the dial policy
 * (`@bitween/net-policy`): never this host, the link (169.254.169.254…), multicast, reserved
 * space or a LAN, unless the operator allow-listed it.
 *
 * - `http:` and `https:` only.
 * - The host is resolved here, once; if ANY address it resolves to is refused, the fetch is
 *   refused. The connection then goes to exactly the addresses checked (the request's `lookup`
 *   answers with them instead of asking DNS again), so a DNS answer that changes between check and
 *   connect (rebinding) cannot lead elsewhere. TLS still verifies the certificate against the name.
 * - Redirects are followed by hand, at most `maxRedirects`, and each hop is checked the same way.
 * - The whole fetch, redirects included, has one deadline; the body is cut off at `maxBytes`.
 *
 * Errors say as little as possible about what is on the other side: a refusal names the policy
 * (it depends only on the address, so it is no port scanner), every other failure — no answer,
 * connection refused, a non-2xx status, too large, too slow — is one `FetchError('failed')` whose
 * message never carries the remote status or body. `detail` holds the real reason, for the log.
 */
export class FetchError extends Error {
  constructor(
    readonly kind: 'refused' | 'failed',
    message: string,
    /** What really happened, for the daemon's log; never sent to the caller. */
    readonly detail: string,
  ) {
    super(message);
  }
}

export interface FetchOptions {
  policy: DialPolicy;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects?: number;
}

interface Resolved {
  address: string;
  family: 4 | 6;
}

const DEFAULT_MAX_REDIRECTS = 3;

/** The URL for messages: without credentials, query or fragment. */
export function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Every address `url`'s host stands for, each allowed by the policy; else a FetchError. */
export async function checkedAddresses(url: URL, policy: DialPolicy): Promise<Resolved[]> {
  const shown = shownUrl(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError('refused', `refused to fetch ${shown}: only http and https URLs`, 'scheme');
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let found: Resolved[];
  if (isIP(host) !== 0) {
    found = [{ address: host, family: isIP(host) as 4 | 6 }];
  } else {
    try {
      found = (await dnsLookup(host, { all: true, order: 'verbatim' })).map((a) => ({
        address: a.address,
        family: a.family as 4 | 6,
      }));
    } catch (err) {
      throw new FetchError('failed', `could not fetch ${shown}`, `DNS: ${(err as Error).message}`);
    }
    if (found.length === 0) throw new FetchError('failed', `could not fetch ${shown}`, 'DNS: no address');
  }
  for (const a of found) {
    const verdict = policy.check(a.address, port);
    if (!verdict.allowed) {
      const via = isIP(host) !== 0 ? '' : `${host} resolves to an address that is not allowed: `;
      throw new FetchError(
        'refused',
        `refused to fetch ${shown}: ${via}${verdict.reason} (bitween fetches only from addresses anyone on the internet could reach; BITWEEN_FETCH_ALLOW adds others)`,
        verdict.reason,
      );
    }
  }
  return found;
}

/** A `lookup` for http(s).request that answers only with `addresses` (checked beforehand). */
function pinnedLookup(addresses: Resolved[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean; family?: number }, callback: unknown) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    const cb = callback as (err: Error | null, address?: unknown, family?: number) => void;
    if (usable.length === 0) {
      cb(Object.assign(new Error('no checked address of that family'), { code: 'ENOTFOUND' }));
    } else if (options.all) {
      cb(null, usable);
    } else {
      cb(null, usable[0]!.address, usable[0]!.family);
    }
  }) as LookupFunction;
}

function get(url: URL, addresses: Resolved[], signal: AbortSignal): Promise<IncomingMessage> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, {
      method: 'GET',
      agent: false,
      lookup: pinnedLookup(addresses),
      signal,
      headers: { accept: 'application/x-bittorrent, */*;q=0.5', 'user-agent': 'bitween' },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

async function body(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    res.destroy();
    throw new Error(`declares ${declared} bytes, more than ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      res.destroy();
      throw new Error(`more than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The body of `url` (2xx), fetched under `opts.policy`; a FetchError otherwise. */
export async function fetchUnderPolicy(url: URL, opts: FetchOptions): Promise<Buffer> {
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const first = shownUrl(url);
  const failed = (detail: string) => new FetchError('failed', `could not fetch ${first}`, detail);
  let current = url;
  for (let hop = 0; ; hop++) {
    let addresses: Resolved[];
    try {
      addresses = await checkedAddresses(current, opts.policy);
    } catch (err) {
      if (hop === 0 || !(err instanceof FetchError) || err.kind !== 'refused') throw err;
      throw new FetchError(
        'refused',
        `refused to fetch ${first}: it redirects to ${shownUrl(current)}, and ${err.detail} (bitween fetches only from addresses anyone on the internet could reach; BITWEEN_FETCH_ALLOW adds others)`,
        `redirect to ${shownUrl(current)}: ${err.detail}`,
      );
    }
    let res: IncomingMessage;
    try {
      res = await get(current, addresses, signal);
    } catch (err) {
      throw failed(signal.aborted ? `no answer within ${opts.timeoutMs} ms` : (err as Error).message);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.destroy();
      if (hop >= maxRedirects) throw failed(`more than ${maxRedirects} redirects`);
      try {
        current = new URL(res.headers.location, current);
      } catch {
        throw failed(`a redirect to an invalid URL`);
      }
      continue;
    }
    if (status < 200 || status >= 300) {
      res.destroy();
      throw failed(`HTTP ${status} from ${shownUrl(current)}`);
    }
    try {
      return await body(res, opts.maxBytes);
    } catch (err) {
      throw failed(signal.aborted ? `no answer within ${opts.timeoutMs} ms` : (err as Error).message);
    }
  }
}
