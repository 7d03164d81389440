// @silentbot1/nat-api 0.4.9 (webtorrent's port mapper; no bundled types): its UPnP-IGD v1 client,
// the parts the engine's IGD v1 fallback uses (port-mapping/igd-v1.ts).
declare module '@silentbot1/nat-api/lib/upnp/index.js' {
  interface PortOptions {
    /** External port (or `{ host, port }`). */
    public: number;
    /** Internal port (or `{ host, port }`; the host defaults to the address the SSDP answer came in on). */
    private?: number;
    protocol: 'TCP' | 'UDP';
    description?: string;
    /** Lease in seconds (0: permanent). */
    ttl?: number;
  }
  export default class UpnpClient {
    constructor(opts?: { permanentFallback?: boolean });
    /** How long an SSDP search waits for the gateway, in ms. */
    timeout: number;
    portMapping(options: PortOptions): Promise<unknown>;
    portUnmapping(options: Pick<PortOptions, 'public' | 'protocol'>): Promise<unknown>;
    externalIp(): Promise<string>;
    destroy(): Promise<unknown>;
  }
}
