import { promises as dns, type SrvRecord } from 'node:dns';

/**
 * Finding the XMPP server of a domain by DNS SRV (RFC 6120 §3.2.1, XEP-0368), done here because
 * xmpp.js 0.14 (@xmpp/resolve) first looks up the domain's own A/AAAA record and gives up with
 * ENOTFOUND when there is none, without asking SRV: a domain served only through
 * `_xmpp-client._tcp` records (a common self-hosting setup, e.g. `example.org` whose server is
 * `xmpp.example.org`) could not be logged into.
 */

export type ResolveSrv = (name: string) => Promise<SrvRecord[]>;

/** "No such record" answers: the domain simply has none. */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

async function records(resolveSrv: ResolveSrv, name: string): Promise<SrvRecord[]> {
  try {
    return await resolveSrv(name);
  } catch (err) {
    if (NO_RECORD.has((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
}

/**
 * The service URIs for `domain` from its `_xmpps-client._tcp` (direct TLS) and `_xmpp-client._tcp`
 * (STARTTLS) records, best first: lower priority, then higher weight, direct TLS first on a tie
 * (xmpp.js's own order). A target of "." (RFC 2782: no service) is left out. Empty when the
 * domain has no such records (then the domain's own address is the fallback).
 */
export async function srvServiceUris(
  domain: string,
  resolveSrv: ResolveSrv = dns.resolveSrv,
): Promise<string[]> {
  const [direct, starttls] = await Promise.all([
    records(resolveSrv, `_xmpps-client._tcp.${domain}`),
    records(resolveSrv, `_xmpp-client._tcp.${domain}`),
  ]);
  const all = [
    ...direct.map((r, i) => ({ ...r, scheme: 'xmpps', order: i })),
    ...starttls.map((r, i) => ({ ...r, scheme: 'xmpp', order: direct.length + i })),
  ].filter((r) => r.name !== '' && r.name !== '.');
  all.sort((a, b) => a.priority - b.priority || b.weight - a.weight || a.order - b.order);
  const host = (name: string) => {
    const bare = name.replace(/\.$/, '');
    return bare.includes(':') ? `[${bare}]` : bare;
  };
  return [...new Set(all.map((r) => `${r.scheme}://${host(r.name)}:${r.port}`))];
}

interface Connectable {
  connect(service: string): Promise<unknown>;
}

/**
 * Makes `entity.connect(domain)` (what xmpp.js's start() calls with a service that is a bare
 * domain) use the SRV records first, each in turn until one connects; without records it falls
 * back to xmpp.js's own resolution (the domain's address). A service URI is left alone.
 */
export function connectBySrv(
  entity: Connectable,
  resolve: (domain: string) => Promise<string[]> = srvServiceUris,
): void {
  const connect = entity.connect.bind(entity);
  entity.connect = async (service: string) => {
    if (service.includes('://')) return connect(service);
    const uris = await resolve(service);
    if (uris.length === 0) return connect(service);
    let lastError: unknown;
    for (const uri of uris) {
      try {
        return await connect(uri);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  };
}
