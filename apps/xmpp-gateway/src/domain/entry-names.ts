/**
 * Names of `<resource/>` entries. The wire format has one entry per endpoint set; we publish one
 * per torrent engine, named `<xmpp resource>/<engine id>`, so a friend dials the engine that
 * holds a hash. Our XMPP resource never contains "/" (config), so the part before the first "/"
 * is the XMPP resource whose presence says whether the entry is online. An original Bitween
 * names its entry after its XMPP resource alone, which this reads the same way.
 */
export function entryName(xmppResource: string, engineId: string): string {
  return `${xmppResource}/${engineId}`;
}

export function xmppResourceOf(entry: string): string {
  const slash = entry.indexOf('/');
  return slash < 0 ? entry : entry.slice(0, slash);
}

/** Whether `entry` belongs to the instance logged in as `xmppResource`. */
export function isEntryOf(entry: string, xmppResource: string): boolean {
  return xmppResourceOf(entry) === xmppResource;
}
