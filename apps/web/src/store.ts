import { batch, signal } from '@preact/signals';
import { Api, ApiError } from './api.js';
import { followEvents } from './events.js';
import { newShares } from './logic/new-shares.js';
import { pushSample, totalSpeeds, type Totals } from './logic/speeds.js';
import { applyProgressBatch, fromList, upsert, without, type TorrentMap } from './logic/torrents.js';
import type {
  Account,
  BitweenEvent,
  Contact,
  FriendShare,
  Offer,
  PendingSubscription,
  Torrent,
  TorrentProgress,
} from './types.js';

/*
 * The UI's state: signals filled from the REST api once, then kept current by the event stream
 * (no polling). Views read the signals; actions call the api and let events (or the answer)
 * update the state.
 */

const KEY_ITEM = 'bitween.apiKey';

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_ITEM) ?? localStorage.getItem(KEY_ITEM);
  } catch {
    return null;
  }
}

export type Loadable<T> =
  { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; error: string };

export const api = signal<Api | null>(null);
export const torrents = signal<TorrentMap>(new Map());
export const torrentsError = signal<string | null>(null);
export const shares = signal<Loadable<FriendShare[]>>({ state: 'loading' });
export const contacts = signal<Loadable<Contact[]>>({ state: 'loading' });
export const pending = signal<Loadable<PendingSubscription[]>>({ state: 'loading' });
/** Shares friends sent us (accepted ones included until dismissed). */
export const offers = signal<Loadable<Offer[]>>({ state: 'loading' });
export const account = signal<Loadable<Account>>({ state: 'loading' });
export const stream = signal<'connecting' | 'live' | 'reconnecting'>('connecting');
/** Total rates sampled every SAMPLE_MS from the torrents (which the events keep current), oldest first. */
export const speedHistory = signal<Totals[]>([]);
export const SAMPLE_MS = 2000;
/** Samples kept: five minutes. */
export const SAMPLES = 150;
/** When the stream went down (ms since epoch), for the offline banner; null while live. */
export const offlineSince = signal<number | null>(null);
/** Why the user was sent back to the login (e.g. the key was changed on the daemon). */
export const loginMessage = signal<string | null>(null);
/** The last thing done or failed, announced to screen readers (role=status). */
export const notice = signal<{ text: string; kind: 'info' | 'error' } | null>(null);

export function say(text: string, kind: 'info' | 'error' = 'info'): void {
  notice.value = { text, kind };
}

export const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err);

let stopEvents: (() => void) | null = null;
let sampler: ReturnType<typeof setInterval> | null = null;
const timers = new Map<string, ReturnType<typeof setTimeout>>();

/**
 * Progress events are merged in bursts (every 250 ms at most): with thousands of torrents one
 * Map copy and one render per event would not keep up. Any other event flushes them first, so
 * the order of events is kept.
 */
let queued: TorrentProgress[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function flushProgress(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  const list = queued;
  queued = [];
  const r = applyProgressBatch(torrents.value, list);
  torrents.value = r.map;
  if (r.unknown.length > 0) reloadSoon('torrents');
  // Progress events carry no file list: fetch the torrent when its metadata arrives or it completes.
  for (const { before, after } of r.changed) {
    const completed = !before.done && after.done;
    if ((before.name === null && after.name !== null) || completed) void refreshTorrent(after.hash);
    if (completed) onCompleted?.(after);
  }
}

/** Called with shares friends newly offer (for notifications). */
let onNewShares: ((s: FriendShare[]) => void) | null = null;
export function onSharesAdded(handler: ((s: FriendShare[]) => void) | null): void {
  onNewShares = handler;
}

/** Called when a torrent being downloaded completes (for notifications). */
let onCompleted: ((t: Torrent) => void) | null = null;
export function onTorrentCompleted(handler: ((t: Torrent) => void) | null): void {
  onCompleted = handler;
}

async function load<T>(target: { value: Loadable<T> }, read: () => Promise<T>): Promise<void> {
  try {
    target.value = { state: 'ok', value: await read() };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return logout('The API key was refused: log in again.');
    target.value = { state: 'error', error: errorText(err) };
  }
}

export async function reloadTorrents(): Promise<void> {
  const a = api.value;
  if (!a) return;
  try {
    const list = await a.torrents();
    batch(() => {
      torrents.value = fromList(list);
      torrentsError.value = null;
    });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return logout('The API key was refused: log in again.');
    torrentsError.value = errorText(err);
  }
}

/** Fetch one torrent again (its files and their progress). */
export async function refreshTorrent(hash: string): Promise<void> {
  try {
    const t = await api.value?.torrent(hash);
    if (t && torrents.value.has(hash)) torrents.value = upsert(torrents.value, t);
  } catch {
    // gone meanwhile (a removed event follows) or unreachable (the next reload fixes it)
  }
}

export const reloaders = {
  torrents: reloadTorrents,
  shares: async () => {
    if (!api.value) return;
    const before = shares.value.state === 'ok' ? shares.value.value : null;
    await load(shares, api.value.shares);
    const after = shares.value;
    if (after.state === 'ok' && onNewShares) {
      const fresh = newShares(before, after.value);
      if (fresh.length > 0) onNewShares(fresh);
    }
  },
  contacts: () => (api.value ? load(contacts, api.value.contacts) : Promise.resolve()),
  pending: () => (api.value ? load(pending, api.value.pending) : Promise.resolve()),
  offers: () => (api.value ? load(offers, api.value.offers) : Promise.resolve()),
  account: () => (api.value ? load(account, api.value.account) : Promise.resolve()),
};
type Area = keyof typeof reloaders;

/** Reload an area once events stop arriving for `ms` (a burst of events is one request). */
function reloadSoon(area: Area, ms = 300): void {
  clearTimeout(timers.get(area));
  timers.set(
    area,
    setTimeout(() => void reloaders[area](), ms),
  );
}

export function reloadAll(): Promise<unknown> {
  return Promise.all(Object.values(reloaders).map((r) => r()));
}

function onEvent(e: BitweenEvent): void {
  if (e.type !== 'torrent.progress' && queued.length > 0) flushProgress();
  switch (e.type) {
    case 'torrent.progress':
      queued.push(e.data as TorrentProgress);
      flushTimer ??= setTimeout(flushProgress, 250);
      return;
    case 'torrent.added':
      torrents.value = upsert(torrents.value, (e.data as { torrent: Torrent }).torrent);
      break;
    case 'torrent.removed':
      torrents.value = without(torrents.value, (e.data as { hash: string }).hash);
      break;
    case 'xmpp.contact-shares':
      reloadSoon('shares', 500);
      reloadSoon('contacts', 500);
      break;
    case 'xmpp.contact':
      // Presence changes: contacts, who is online in the shares, and (after a reconnect of our
      // own gateway contacts come online again) our own connection state.
      reloadSoon('contacts');
      reloadSoon('shares', 500);
      reloadSoon('account', 1000);
      break;
    case 'offer.received':
      reloadSoon('offers');
      break;
    case 'xmpp.subscription-request':
      reloadSoon('pending');
      reloadSoon('contacts');
      break;
    default:
      break;
  }
}

/** Start a session with a key that the api accepted: follow events, load everything. */
function start(a: Api): void {
  api.value = a;
  sampler = setInterval(() => {
    speedHistory.value = pushSample(speedHistory.value, totalSpeeds(torrents.value.values()), SAMPLES);
  }, SAMPLE_MS);
  let first = true;
  stopEvents = followEvents(a.key, {
    onPosition: (p) => {
      // The lists are loaded once the stream is open (so no event falls between), and again
      // whenever events were lost while disconnected.
      if (first || p.missed > 0 || p.reset) void reloadAll();
      else void reloaders.account();
      first = false;
    },
    onEvent,
    onState: (s) => {
      batch(() => {
        stream.value = s;
        if (s === 'live') offlineSince.value = null;
        else offlineSince.value ??= Date.now();
      });
    },
    onUnauthorized: () => logout('The API key was refused: log in again.'),
  });
}

/**
 * Check a key against the api and start a session with it. Resolves to an error text when the
 * key is refused (or the api cannot be reached), else null.
 */
export async function login(key: string, remember: boolean): Promise<string | null> {
  const a = new Api(key.trim());
  try {
    await a.status();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return 'Wrong API key.';
    return errorText(err);
  }
  try {
    (remember ? localStorage : sessionStorage).setItem(KEY_ITEM, a.key);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
  loginMessage.value = null;
  start(a);
  return null;
}

export function logout(message: string | null = null): void {
  stopEvents?.();
  stopEvents = null;
  if (sampler) clearInterval(sampler);
  sampler = null;
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  queued = [];
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
  try {
    sessionStorage.removeItem(KEY_ITEM);
    localStorage.removeItem(KEY_ITEM);
  } catch {
    // nothing stored
  }
  batch(() => {
    api.value = null;
    torrents.value = new Map();
    shares.value = { state: 'loading' };
    contacts.value = { state: 'loading' };
    pending.value = { state: 'loading' };
    offers.value = { state: 'loading' };
    account.value = { state: 'loading' };
    stream.value = 'connecting';
    offlineSince.value = null;
    speedHistory.value = [];
    loginMessage.value = message;
  });
}

// Coming back to the page re-checks the XMPP connection (nothing else polls it).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && api.value) void reloaders.account();
});

/** At page load: resume with a stored key (checked by the first requests). */
export function resume(): void {
  const key = storedKey();
  if (key) start(new Api(key));
}
