import ipaddr from 'ipaddr.js';

/**
 * An IP address as the 16 bytes wire formats carry it (PCP, RFC 6887 §5: IPv4 as the IPv4-mapped
 * IPv6 address `::ffff:a.b.c.d`); null when `address` is not an IP address. A zone (`fe80::1%eth0`)
 * is dropped: it is not part of the address.
 */
export function ipToBytes(address: string): Uint8Array | null {
  const bare = address.split('%')[0] ?? '';
  if (!ipaddr.isValid(bare)) return null;
  const ip = ipaddr.parse(bare);
  const v6 = ip.kind() === 'ipv4' ? (ip as ipaddr.IPv4).toIPv4MappedAddress() : (ip as ipaddr.IPv6);
  return Uint8Array.from(v6.toByteArray());
}

/** The 16 bytes of `ipToBytes` back as text: an IPv4-mapped address as IPv4, else IPv6 (RFC 5952). */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IP address is 16 bytes here, not ${bytes.length}`);
  const ip = ipaddr.fromByteArray([...bytes]) as ipaddr.IPv6;
  return ip.isIPv4MappedAddress() ? ip.toIPv4Address().toString() : ip.toRFC5952String();
}
