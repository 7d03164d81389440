/** What an in-page player can do with a file, by its extension (the api's Content-Type follows the same names). */
export type MediaKind = 'video' | 'audio' | null;

const VIDEO = new Set(['mp4', 'm4v', 'webm', 'mkv', 'mov', 'ogv']);
const AUDIO = new Set(['mp3', 'm4a', 'aac', 'flac', 'ogg', 'oga', 'opus', 'wav']);

export function mediaKind(path: string): MediaKind {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(path)?.[1]?.toLowerCase();
  if (!ext) return null;
  if (VIDEO.has(ext)) return 'video';
  if (AUDIO.has(ext)) return 'audio';
  return null;
}

/** The absolute URL of a signed link path (`/v1/…?token=…`) on this page's origin. */
export function absoluteLink(path: string, origin: string): string {
  return new URL(path, origin).href;
}
