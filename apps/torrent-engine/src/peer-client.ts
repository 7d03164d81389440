/**
 * A peer's client name from its BitTorrent peer id (Azureus style `-XX1234-…`, as webtorrent,
 * libtorrent, Transmission, qBittorrent and Deluge send), as Transmission's `clientName` shows it.
 * Unknown styles give ''.
 */
const CLIENTS: Readonly<Record<string, string>> = {
  WW: 'WebTorrent',
  LT: 'libtorrent',
  lt: 'libTorrent',
  TR: 'Transmission',
  qB: 'qBittorrent',
  DE: 'Deluge',
  UT: 'µTorrent',
  BT: 'BitTorrent',
  AZ: 'Vuze',
  BI: 'BiglyBT',
  KT: 'KTorrent',
};

export function clientName(peerIdHex: string | undefined): string {
  if (!peerIdHex || !/^[0-9a-f]{16,40}$/i.test(peerIdHex)) return '';
  const head = Buffer.from(peerIdHex.slice(0, 16), 'hex').toString('latin1');
  const m = /^-([A-Za-z]{2})([0-9A-Za-z]{4})-$/.exec(head);
  if (!m) return '';
  const [, code, version] = m;
  const name = CLIENTS[code!] ?? code!;
  // Digits are version parts ('0102' → 0.1.0.2); trailing zeros are left out past the second.
  const parts = [...version!].map((c) => (/\d/.test(c) ? c : String(c.charCodeAt(0) - 55)));
  while (parts.length > 2 && parts.at(-1) === '0') parts.pop();
  return `${name} ${parts.join('.')}`;
}
