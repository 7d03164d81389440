import type { Peer, SeedLimits } from '../types.js';

/*
 * The details panel's edits of a torrent's options (pure; unit-tested): labels as the api takes
 * them, seeding limits typed by people, and a peer's flags as Transmission shows them.
 */

/** The api's limits: at most this many labels of at most this many characters. */
export const MAX_LABELS = 64;
export const MAX_LABEL_LENGTH = 128;

/** The labels after adding one typed label, or why it cannot be added (the api's rules). */
export function addLabel(
  labels: readonly string[],
  typed: string,
): { ok: true; labels: string[] } | { ok: false; error: string } {
  const label = typed.trim();
  if (label === '') return { ok: false, error: 'type a label first' };
  if (label.length > MAX_LABEL_LENGTH) return { ok: false, error: `at most ${MAX_LABEL_LENGTH} characters` };
  if (/[,\p{Cc}]/u.test(label)) return { ok: false, error: 'no commas or control characters' };
  if (labels.includes(label)) return { ok: false, error: `it already has the label ${label}` };
  if (labels.length >= MAX_LABELS) return { ok: false, error: `at most ${MAX_LABELS} labels` };
  return { ok: true, labels: [...labels, label] };
}

export type SeedMode = SeedLimits['ratioMode'];

/** What a torrent without seeding limits of its own does: follows the settings. */
export const DEFAULT_SEED_LIMITS: SeedLimits = {
  ratioMode: 'global',
  ratio: 2,
  idleMode: 'global',
  idleMinutes: 30,
};

/** The seeding limits from the form: modes and the typed ratio and minutes (used by mode single only). */
export function parseSeedLimits(form: {
  ratioMode: SeedMode;
  ratio: string;
  idleMode: SeedMode;
  idleMinutes: string;
}): { ok: true; value: SeedLimits } | { ok: false; error: string } {
  const value: SeedLimits = { ...DEFAULT_SEED_LIMITS, ratioMode: form.ratioMode, idleMode: form.idleMode };
  if (form.ratioMode === 'single') {
    const t = form.ratio.trim();
    const ratio = Number(t);
    if (!/^\d+(\.\d+)?$/.test(t) || ratio > 1_000_000)
      return { ok: false, error: 'Ratio: a number such as 1.5 (uploaded ÷ size), at most 1000000' };
    value.ratio = ratio;
  }
  if (form.idleMode === 'single') {
    const t = form.idleMinutes.trim();
    const minutes = Number(t);
    if (!/^\d+$/.test(t) || minutes < 1 || minutes > 1_000_000)
      return { ok: false, error: 'Idle: whole minutes, 1 to 1000000' };
    value.idleMinutes = minutes;
  }
  return { ok: true, value };
}

/** One flag of a peer: its letter (Transmission's) and what it means. */
export interface PeerFlag {
  letter: string;
  meaning: string;
}

/** A peer's flags, Transmission's letters: D/d downloading or interested, U/u uploading or asked, I incoming, E encrypted. */
export function peerFlags(p: Peer): PeerFlag[] {
  const flags: PeerFlag[] = [];
  if (p.amInterested && !p.peerChoking) flags.push({ letter: 'D', meaning: 'downloading from it' });
  else if (p.amInterested) flags.push({ letter: 'd', meaning: 'we want data, it is choking us' });
  if (p.peerInterested && !p.amChoking) flags.push({ letter: 'U', meaning: 'uploading to it' });
  else if (p.peerInterested) flags.push({ letter: 'u', meaning: 'it wants data, we are choking it' });
  if (p.incoming) flags.push({ letter: 'I', meaning: 'it connected to us' });
  if (p.encrypted) flags.push({ letter: 'E', meaning: 'encrypted' });
  return flags;
}

/** A peer's address and port for people: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) as IPv4, IPv6 in brackets. */
export function peerEndpoint(p: Pick<Peer, 'address' | 'port'>): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(p.address);
  const address = mapped ? mapped[1]! : p.address;
  return address.includes(':') ? `[${address}]:${p.port}` : `${address}:${p.port}`;
}

export const TRANSPORT_LABELS: Record<Peer['transport'], string> = {
  tcp: 'TCP',
  webrtc: 'WebRTC',
  other: 'other',
};
