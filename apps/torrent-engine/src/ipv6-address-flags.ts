import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { canonicalIp, ipToBytes } from '@bitween/net-policy';

/** Linux's IFA_F_* address flags (linux/if_addr.h), as /proc/net/if_inet6 shows their low byte. */
export const IFA_F_TEMPORARY = 0x01;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;

/**
 * The flags of each IPv6 address from the text of `/proc/net/if_inet6` (one line per address:
 * 32 hex digits, interface index, prefix length, scope, flags, name), by canonical address.
 */
export function parseIfInet6(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const [hex, , , , flagsHex] = f;
    if (f.length < 6 || !hex || !flagsHex || !/^[0-9a-fA-F]{32}$/.test(hex)) continue;
    const address = canonicalIp(hex.match(/.{4}/g)!.join(':'));
    if (address !== null) out.set(address, parseInt(flagsHex, 16));
  }
  return out;
}

/** The flags of the host's IPv6 addresses; empty where there is no /proc (not Linux). */
export function readIpv6Flags(file = '/proc/net/if_inet6'): Map<string, number> {
  try {
    return parseIfInet6(readFileSync(file, 'utf8'));
  } catch {
    return new Map();
  }
}

const prefix64 = (address: string) => ipToBytes(address)?.subarray(0, 8).join('.') ?? address;

/**
 * The IPv6 addresses worth telling friends, from the detected ones: not one the kernel no longer
 * (deprecated) or not yet (tentative, failed duplicate detection) uses, and not a temporary
 * "privacy" address (RFC 8981) where the same /64 has a stable one: privacy addresses exist so the
 * host's outgoing traffic is not tied to it, rotate daily, and announcing them to every contact
 * would tie them to the user (and take a pinhole each). A /64 with only a temporary address keeps
 * it. Addresses the flags do not name (IPv4, another OS) pass unchanged.
 */
export function preferStableIPv6(addresses: readonly string[], flags: ReadonlyMap<string, number>): string[] {
  const flagsOf = (a: string) => (isIPv6(a) ? flags.get(canonicalIp(a) ?? a) : undefined);
  const usable = addresses.filter((a) => {
    const f = flagsOf(a);
    return f === undefined || (f & (IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED)) === 0;
  });
  const stablePrefixes = new Set(
    usable
      .filter((a) => {
        const f = flagsOf(a);
        return f !== undefined && (f & IFA_F_TEMPORARY) === 0;
      })
      .map(prefix64),
  );
  return usable.filter((a) => {
    const f = flagsOf(a);
    return f === undefined || (f & IFA_F_TEMPORARY) === 0 || !stablePrefixes.has(prefix64(a));
  });
}
