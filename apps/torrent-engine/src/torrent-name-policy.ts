/**
 * File names in torrents from friends are untrusted: a crafted torrent could try to write
 * outside the download folder (`..`, absolute paths) or break the file system layer (NUL).
 *
 * Policy (decided per case):
 * - rejected (the torrent is refused before anything is written): a path component that is
 *   empty, `.` or `..`, contains `/`, NUL or another C0 or C1 control character (U+0000-U+001F,
 *   U+007F-U+009F: ESC and CSI reach terminals listing the folder), a bidi embedding, override
 *   or isolate (U+202A-U+202E, U+2066-U+2069: `rlo\u202Egpj.exe` shows as "rloexe.jpg" in
 *   file managers and shells), or is longer than 255 bytes; a path with no component. A
 *   legitimate client never makes these, and "repairing" them would silently change where data
 *   lands (and make the files on disk differ from the torrent's).
 * - kept on disk, neutralised only when shown (@bitween/safe-text, in the web UI and the CLI):
 *   the bidi marks LRM, RLM, ALM (real names carry them: WhatsApp exports, names typed in
 *   right-to-left locales; they reorder no letters) and invisible characters (ZWJ in emoji,
 *   ZWNJ in Persian, soft hyphens, zero width spaces).
 * - kept as they are: characters and names Windows reserves (`<>:"\|?*`, `CON`, trailing
 *   dots…). They are valid on Linux, where the engine runs, and common in real names ("Live:
 *   2019?"); libtorrent keeps them too. (webtorrent's file store would drop the characters from
 *   file names; file-store.ts keeps names exact.) Two files with the same path are refused.
 */

import { findBidiReordering, revealHidden } from '@bitween/safe-text';

export type NameCheck = { ok: true } | { ok: false; reason: string };

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_COMPONENT_BYTES = 255;

/** Why one path component is refused, or null when it is fine. */
export function badComponent(c: string): string | null {
  if (c === '') return 'an empty name';
  if (c === '.' || c === '..') return `"${c}" as a name`;
  if (c.includes('/')) return 'a "/" inside a name';
  if (CONTROL.test(c)) return 'a NUL or control character';
  const bidi = findBidiReordering(c);
  if (bidi) return `a bidi control (${bidi}) that changes how the name reads`;
  if (Buffer.byteLength(c) > MAX_COMPONENT_BYTES) return `a name longer than ${MAX_COMPONENT_BYTES} bytes`;
  return null;
}

/** Every file's path as the torrent spells it: `[info.name, ...file.path]`. */
export function checkTorrentPaths(paths: string[][]): NameCheck {
  const seen = new Set<string>();
  for (const parts of paths) {
    if (parts.length === 0) return { ok: false, reason: 'a file without a name' };
    // (Quoted with hidden characters made visible: the reason is shown to the user. Spelled only
    // for a refusal: it costs more than the checks on a torrent of 100,000 files.)
    const spelled = () => JSON.stringify(revealHidden(parts.join('/')));
    for (const c of parts) {
      const bad = badComponent(c);
      if (bad) return { ok: false, reason: `file name ${spelled()} has ${bad}` };
    }
    const full = parts.join('/');
    if (seen.has(full)) return { ok: false, reason: `two files are both named ${spelled()}` };
    seen.add(full);
  }
  return { ok: true };
}

const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return null;
};

/**
 * The raw paths of a decoded `info` dictionary (before parse-torrent joins and normalises
 * them, which would hide a `..`). The UTF-8 variants win, as in parse-torrent. null when the
 * dictionary does not look like one.
 */
export function rawPaths(info: unknown): string[][] | null {
  if (typeof info !== 'object' || info === null) return null;
  const dict = info as Record<string, unknown>;
  const name = text(dict['name.utf-8'] ?? dict['name']);
  if (name === null) return null;
  const files = dict['files'];
  if (files === undefined) return [[name]];
  if (!Array.isArray(files)) return null;
  const out: string[][] = [];
  for (const f of files as unknown[]) {
    if (typeof f !== 'object' || f === null) return null;
    const fd = f as Record<string, unknown>;
    const raw = fd['path.utf-8'] ?? fd['path'];
    if (!Array.isArray(raw)) return null;
    const parts = (raw as unknown[]).map(text);
    if (parts.some((p) => p === null)) return null;
    // A file of a multi-file torrent needs a name of its own (else it would be the folder).
    out.push(parts.length > 0 ? [name, ...(parts as string[])] : []);
  }
  return out;
}

/** Check a torrent's decoded `info` dictionary; an unreadable one is refused too. */
export function checkInfo(info: unknown): NameCheck {
  const paths = rawPaths(info);
  if (!paths) return { ok: false, reason: 'the file list cannot be read' };
  return checkTorrentPaths(paths);
}
