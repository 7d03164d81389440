/** "Can my friends reach me?" in plain words, from an engine of `GET /v1/status` (pure; unit-tested). */
import type { ConnectionCounters, EngineSummary, PortMapping } from '../types.js';

const PROTOCOL: Record<string, string> = { 'upnp-igd': 'UPnP', 'nat-pmp': 'NAT-PMP' };
const protocolName = (p: string | null) => PROTOCOL[p ?? ''] ?? 'port mapping';

/** Whether friends can connect: `good` (directly), `partly` (hole punching, relay), `bad`, `unknown`. */
export type Tone = 'good' | 'partly' | 'bad' | 'unknown';

/** The verdict in one sentence, and its tone (for the colour of the badge). */
export function verdictOf(e: EngineSummary): { text: string; tone: Tone } {
  const r = e.reachability;
  const pm = e.portMapping;
  switch (r?.verdict) {
    case 'direct': {
      const address = r.publicAddresses[0] ?? '';
      const port = e.endpoints.find((p) => p.address === address)?.port;
      return {
        text: `Friends can connect directly (public address ${address}${port ? `, port ${port}` : ''})`,
        tone: 'good',
      };
    }
    case 'mapped':
      return {
        text: pm?.external
          ? `Friends can connect directly (port ${pm.internalPort ?? pm.external.port} forwarded by your router via ${protocolName(pm.protocol)})`
          : 'Friends can connect directly (port forwarded by your router)',
        tone: 'good',
      };
    case 'hole-punching':
      return { text: 'Reachable only through hole punching', tone: 'partly' };
    case 'relay':
      return { text: 'Only through a relay', tone: 'partly' };
    case 'unreachable':
      return {
        text: 'Not reachable: no STUN/TURN server known — ask your XMPP server admin or set BITWEEN_ICE_SERVERS',
        tone: 'bad',
      };
    case 'unknown':
      return { text: 'Not worked out yet: asking your XMPP server for STUN/TURN servers…', tone: 'unknown' };
    default:
      return { text: 'Unknown: this engine is older than the reachability report', tone: 'unknown' };
  }
}

/** What the verdict means for the user, when it is not "directly". */
export function verdictHint(e: EngineSummary): string | null {
  switch (e.reachability?.verdict) {
    case 'hole-punching':
      return 'Your router forwards no port to bitween, so friends reach you through WebRTC with the STUN server of your XMPP server. Most home routers allow this; a port forward (UPnP or by hand) is faster to set up a connection.';
    case 'relay':
      return 'No STUN server is known, only a TURN relay: your data goes through the relay (slower, and it counts against the relay’s limits).';
    default:
      return null;
  }
}

const clock = (ms: number) => new Date(ms).toLocaleString();

/** The port mapping in a few words. */
export function mappingText(pm: PortMapping | null): string {
  if (!pm) return 'not reported';
  switch (pm.state) {
    case 'off':
      return 'off (BITWEEN_PORT_MAPPING=off)';
    case 'searching':
      return 'looking for a router that speaks UPnP or NAT-PMP…';
    case 'unavailable':
      return `no router mapped the port${pm.lastError ? ` (${pm.lastError})` : ''}; trying again later`;
    case 'mapped':
      return `${protocolName(pm.protocol)}: ${pm.external ? `${pm.external.address}:${pm.external.port}` : '?'} → port ${pm.internalPort ?? '?'}${pm.expiresAt ? `, lease until ${clock(pm.expiresAt)} (renewed before)` : ''}`;
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
      return `asking your router (PCP) to let friends in on IPv6${at}…`;
    case 'unavailable':
      return `no router opened it${at}${pm.lastError ? ` (${pm.lastError})` : ''}: friends on IPv6 get in only if your router lets them; trying again later`;
    case 'mapped':
      return `open by PCP: [${pm.external?.address ?? '?'}]:${pm.external?.port ?? '?'}${pm.expiresAt ? ` until ${clock(pm.expiresAt)} (renewed before)` : ''}`;
  }
}

/** Every pinhole of the engine (one per global IPv6 address; an older api or engine reports one). */
export function pinholesOf(e: EngineSummary): PortMapping[] {
  return e.pinholes.length > 0 ? e.pinholes : e.pinhole ? [e.pinhole] : [];
}

/**
 * The global IPv6 addresses, each with what is known of its way in: a pinhole open, or nothing
 * shown (a home router's stateful firewall likely drops friends' connections there).
 */
export function ipv6Text(e: EngineSummary): string {
  const addresses = e.reachability?.ipv6 ?? [];
  if (addresses.length === 0) return 'none';
  const open = new Set(
    pinholesOf(e).flatMap((p) => (p.state === 'mapped' && p.external ? [p.external.address] : [])),
  );
  return addresses
    .map((a) => `${a} (${open.has(a) ? 'pinhole open' : 'inbound unknown: likely firewalled, no pinhole'})`)
    .join(', ');
}

/** Connections since the engine started, by transport. */
export function connectionRows(c: ConnectionCounters): [string, number][] {
  return [
    ['TCP, direct', c.tcpDirect],
    ['TCP, through the router’s port', c.tcpMapped],
    ['WebRTC, direct', c.webrtcDirect],
    ['WebRTC, relayed', c.webrtcRelayed],
  ];
}

/** "6 admitted; refused: stranger 3, no-proof 1". */
export function admissionText(a: EngineSummary['admission']): string {
  if (!a) return 'not reported';
  const refused = Object.entries(a.refused).map(([reason, n]) => `${reason} ${n}`);
  return `${a.admitted} admitted; refused: ${refused.length > 0 ? refused.join(', ') : 'none'}`;
}
