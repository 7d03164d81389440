import { displayName, isolate, revealHidden } from '@bitween/safe-text';

/**
 * Names on a terminal line (@bitween/safe-text): names from friends (share names, torrent and
 * file names, roster names) cleaned — no bidi controls, invisible characters or terminal
 * controls — with a placeholder when nothing is left, and right-to-left ones isolated
 * (FSI…PDI) so they cannot pull the columns around them. Identifiers (JIDs, resources) are not
 * shortened: their hidden characters show as <U+XXXX>. `--json` prints the api's data as it is.
 */
export function shownName(raw: string | null | undefined, placeholder?: string): string {
  return isolate(displayName(raw, placeholder));
}

export function shownId(id: string): string {
  return isolate(revealHidden(id));
}

/** At most `max` characters (code points) of a shown name, without splitting a pair or an isolate. */
export function shortName(raw: string | null | undefined, max: number, placeholder?: string): string {
  const chars = Array.from(displayName(raw, placeholder));
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
  return isolate(cut);
}
