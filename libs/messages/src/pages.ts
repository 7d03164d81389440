import { fail, ok, type Result } from './errors.js';

/** NATS's default `max_payload`, for a connection that has not told us its own. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Bytes of items per page of a paged command (`xmpp.shares`, `engine.list`) on a connection
 * whose messages may hold `maxPayload` bytes (`nc.info.max_payload`): an eighth, at least
 * 64 KiB, is left for the page's envelope, its cursor and a margin.
 */
export function pageBudget(maxPayload: number | undefined): number {
  const max = maxPayload ?? DEFAULT_MAX_PAYLOAD;
  return Math.max(16 * 1024, max - Math.max(64 * 1024, Math.floor(max / 8)));
}

/** More pages than this is a responder bug (each page holds up to ~1 MiB). */
const MAX_PAGES = 100_000;

/**
 * Ask for page after page (`cursor` null first) until `next` is null (or absent: a responder
 * from before paging), and return every item in order.
 */
export async function collectPages<T>(
  name: string,
  fetchPage: (cursor: string | null) => Promise<Result<{ items: T[]; next: string | null }>>,
): Promise<Result<T[]>> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await fetchPage(cursor);
    if (!r.ok) return r;
    for (const item of r.value.items) items.push(item);
    const next = r.value.next;
    if (next === null) return ok(items);
    if (next === cursor)
      return fail('invalid_reply', `${name}: the responder answered the same cursor again`);
    cursor = next;
  }
  return fail('invalid_reply', `${name}: more than ${MAX_PAGES} pages`);
}

/** A byte-size opaque cursor: base64url of JSON. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The JSON inside a cursor from `encodeCursor`, or undefined if it is not one. */
export function decodeCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Bytes a value adds to a JSON array (its JSON and a comma). */
export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v)) + 1;

/** `items` cut into consecutive runs of at most `budget` bytes of JSON each (an item larger than that alone). */
export function chunkByBytes<T>(items: readonly T[], budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const bytes = jsonBytes(item);
    if (current.length > 0 && used + bytes > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
