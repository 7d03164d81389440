/** "Can my friends reach me?" in plain words, from an engine of `GET /v1/status`. */
import type { EngineStatus, PortMapping } from './types.js';

const PROTOCOL: Record<string, string> = { 'upnp-igd': 'UPnP', 'nat-pmp': 'NAT-PMP' };

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** The one sentence of the verdict. */
export function verdictText(e: EngineStatus): string {
  const r = e.reachability;
  const pm = e.portMapping;
  switch (r?.verdict) {
    case 'direct': {
      const own = r.publicAddresses.find((a) => e.endpoints.some((p) => p.address === a));
      const port = e.endpoints.find((p) => p.address === own)?.port;
      return `Friends can connect directly (public address ${own ?? r.publicAddresses.join(', ')}${port ? `, port ${port}` : ''})`;
    }
    case 'mapped':
      return pm?.external
        ? `Friends can connect directly (port ${pm.internalPort ?? pm.external.port} forwarded by your router via ${PROTOCOL[pm.protocol ?? ''] ?? 'port mapping'}, as ${pm.external.address}:${pm.external.port})`
        : 'Friends can connect directly (port forwarded by your router)';
    case 'hole-punching':
      return 'Reachable only through hole punching (WebRTC with STUN): nothing forwards a port to you';
    case 'relay':
      return 'Only through a relay (TURN): no STUN server known, and nothing forwards a port to you';
    case 'unreachable':
      return 'Not reachable: no STUN/TURN server known — ask your XMPP server admin or set BITWEEN_ICE_SERVERS';
    case 'unknown':
      return 'Not worked out yet (asking the XMPP server for STUN/TURN servers)';
    default:
      return 'Unknown: this engine does not report it (older than bitween’s reachability report)';
  }
}

/** The router's port mapping in a few words. */
export function mappingText(pm: PortMapping | null): string {
  if (!pm) return 'not reported';
  switch (pm.state) {
    case 'off':
      return 'off (BITWEEN_PORT_MAPPING=off)';
    case 'searching':
      return 'looking for a router that speaks UPnP-IGD or NAT-PMP';
    case 'unavailable':
      return `no router mapped the port${pm.lastError ? ` (${pm.lastError})` : ''}; tried again later`;
    case 'mapped':
      return `${PROTOCOL[pm.protocol ?? ''] ?? 'mapped'}: ${pm.external ? `${pm.external.address}:${pm.external.port}` : '?'} → port ${pm.internalPort ?? '?'}${pm.expiresAt ? `, lease until ${time(pm.expiresAt)} (renewed before)` : ''}`;
  }
}

/** The IPv6 pinhole in the router's firewall (PCP) in a few words. */
export function pinholeText(pm: PortMapping | null): string {
  if (!pm) return 'none (no global IPv6 address, or port mapping off)';
  const at = pm.internalAddress ? ` for ${pm.internalAddress}` : '';
  switch (pm.state) {
    case 'off':
      return 'off (BITWEEN_PORT_MAPPING=off)';
    case 'searching':
      return `asking the router (PCP) to let friends in on IPv6${at}`;
    case 'unavailable':
      return `no router opened it${at}${pm.lastError ? ` (${pm.lastError})` : ''}: friends on IPv6 get in only if your router lets them; tried again later`;
    case 'mapped':
      return `open by PCP: [${pm.external?.address ?? '?'}]:${pm.external?.port ?? '?'}${pm.expiresAt ? ` until ${time(pm.expiresAt)} (renewed before)` : ''}`;
  }
}

/** Every pinhole of the engine (one per global IPv6 address; an older api or engine reports one). */
export function pinholesOf(e: EngineStatus): PortMapping[] {
  return e.pinholes.length > 0 ? e.pinholes : e.pinhole ? [e.pinhole] : [];
}

/**
 * The global IPv6 addresses, each with what is known of its way in: a pinhole open, or nothing
 * shown (a home router's stateful firewall likely drops friends' connections there).
 */
export function ipv6Text(e: EngineStatus): string {
  const addresses = e.reachability?.ipv6 ?? [];
  if (addresses.length === 0) return 'none';
  const open = new Set(
    pinholesOf(e).flatMap((p) => (p.state === 'mapped' && p.external ? [p.external.address] : [])),
  );
  return addresses
    .map((a) => `${a} (${open.has(a) ? 'pinhole open' : 'inbound unknown: likely firewalled, no pinhole'})`)
    .join(', ');
}

/** Every line `bitween reachability` prints for one engine. */
export function reachabilityLines(e: EngineStatus): string[] {
  const r = e.reachability;
  const c = e.connections;
  const a = e.admission;
  const refused = a ? Object.entries(a.refused).map(([reason, n]) => `${reason} ${n}`) : [];
  return [
    `${e.engineId}: ${verdictText(e)}`,
    `  public addresses: ${r && r.publicAddresses.length > 0 ? r.publicAddresses.join(', ') : 'none'}`,
    `  IPv6:             ${ipv6Text(e)}`,
    ...(pinholesOf(e).length > 0 ? pinholesOf(e) : [null]).map(
      (p) => `  IPv6 pinhole:     ${pinholeText(p)}`,
    ),
    `  port mapping:     ${mappingText(e.portMapping)}`,
    `  STUN / TURN:      ${r ? `${r.stun ? 'yes' : 'no'} / ${r.turn ? 'yes' : 'no'}` : '?'}`,
    `  connections:      ${c ? `TCP direct ${c.tcpDirect}, TCP mapped ${c.tcpMapped}, WebRTC direct ${c.webrtcDirect}, WebRTC relayed ${c.webrtcRelayed}` : 'not reported'}`,
    `  peers admitted:   ${a ? `${a.admitted}; refused: ${refused.length > 0 ? refused.join(', ') : 'none'}` : 'not reported'}`,
    ...(r ? [`  since:            ${time(r.since)}`] : []),
  ];
}
