import type { Endpoint } from '@bitween/messages';
import { canonicalIp, classifyAddress } from '@bitween/net-policy';

/**
 * What a contact's `<connect/>` may make our engine dial: public and LAN addresses only (the
 * engine's dial policy then decides about LAN ones), never this host or its link (loopback,
 * unspecified, link-local, multicast, broadcast, reserved), never our own addresses (an engine
 * must not be made to dial itself or a sibling).
 */
export class AddressFilter {
  readonly #own: Set<string>;

  constructor(ownAddresses: Iterable<string>) {
    this.#own = new Set([...ownAddresses].map((a) => canonicalIp(a) ?? a));
  }

  /** Null when acceptable, else why not (a class such as `loopback`, `own`, `not-ip`). */
  refusal(address: string): string | null {
    const canonical = canonicalIp(address);
    if (canonical === null) return 'not-ip';
    const cls = classifyAddress(canonical);
    if (cls !== 'public' && cls !== 'lan') return cls ?? 'not-ip';
    if (this.#own.has(canonical)) return 'own';
    return null;
  }

  endpoints(endpoints: readonly Endpoint[]): { kept: Endpoint[]; dropped: number } {
    const kept = endpoints.filter((e) => this.refusal(e.address) === null);
    return { kept, dropped: endpoints.length - kept.length };
  }

  /**
   * The SDP without the `a=candidate` lines (RFC 8839 §5.1: `foundation component transport
   * priority address port typ …`) whose connection address is refused; a candidate whose address
   * is a name (mDNS `….local`) is dropped too. The rest of the SDP is kept byte for byte.
   */
  sdp(sdp: string): { sdp: string; dropped: number; kept: number } {
    let dropped = 0;
    let kept = 0;
    const lines = sdp.split(/(?<=\n)/); // keep each line's own ending (\r\n or \n)
    const out = lines.filter((line) => {
      const m = /^a=candidate:(\S+) (\S+) (\S+) (\S+) (\S+) /.exec(line);
      if (!m) return true;
      if (this.refusal(m[5] ?? '') === null) {
        kept += 1;
        return true;
      }
      dropped += 1;
      return false;
    });
    return { sdp: out.join(''), dropped, kept };
  }
}
