/**
 * Trim and lowercase an info-hash, or pull it out of a magnet link's `xt=urn:btih:` field.
 * Returns the input (trimmed) when it is neither; the schema then rejects it.
 */
export function normaliseHash(input: string): string {
  const s = input.trim();
  if (/^magnet:\?/i.test(s)) {
    const query = new URLSearchParams(s.slice(s.indexOf('?') + 1));
    for (const xt of query.getAll('xt')) {
      const m = /^urn:btih:([0-9a-f]{40})$/i.exec(xt.trim());
      if (m?.[1]) return m[1].toLowerCase();
    }
    return s;
  }
  return s.toLowerCase();
}
