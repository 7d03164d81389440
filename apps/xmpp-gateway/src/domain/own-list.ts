import type { ResourceEntry } from '../protocol/shares-codec.js';

/**
 * What this instance publishes (the original's per-resource merge): start from the last item
 * our account published (it holds our sibling instances), replace our own resource's entry,
 * drop the entry named "", drop siblings we saw go offline (the original kept a crashed
 * instance's entry for ever), omit resources with no shares. `own` null = we are leaving.
 */
export function mergeOwnList(opts: {
  base: ResourceEntry[];
  own: ResourceEntry | null;
  ownResource: string;
  departed: ReadonlySet<string>;
}): ResourceEntry[] {
  const siblings = opts.base.filter(
    (r) => r.resource !== opts.ownResource && r.resource !== '' && !opts.departed.has(r.resource),
  );
  const all = opts.own ? [opts.own, ...siblings] : siblings;
  return all.filter((r) => r.shares.length > 0);
}
