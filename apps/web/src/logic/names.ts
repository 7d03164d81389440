import { displayName, isolate, revealHidden } from '@bitween/safe-text';

/**
 * How the UI shows text it did not choose (@bitween/safe-text, the policy the gateway stores
 * names with): names from friends — share names, torrent and file names, roster names —
 * cleaned of bidi controls and invisible characters, with a placeholder when nothing is left;
 * identifiers — JIDs, file names on the daemon's disk — whole, hidden characters written as
 * <U+XXXX> (two JIDs must never look alike).
 *
 * In markup, every such text sits in a `<bdi>` (its own direction, isolated from what is around
 * it: an Arabic or Hebrew name shows right to left without reordering the line). In a plain
 * string — a status message, a dialog title, an aria-label — the `inline…` forms isolate it
 * with FSI…PDI when it holds right-to-left text.
 */
export function shownName(raw: string | null | undefined, placeholder?: string): string {
  return displayName(raw, placeholder);
}

export function inlineName(raw: string | null | undefined, placeholder?: string): string {
  return isolate(displayName(raw, placeholder));
}

export function shownId(id: string): string {
  return revealHidden(id);
}

export function inlineId(id: string): string {
  return isolate(revealHidden(id));
}
