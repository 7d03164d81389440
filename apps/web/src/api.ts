import type {
  Account,
  Contact,
  EngineSettings,
  FilePriority,
  Folder,
  FriendShare,
  Offer,
  Peer,
  PendingSubscription,
  RosterGroup,
  SeedLimits,
  ShareFiles,
  ShareVisibility,
  Status,
  Torrent,
} from './types.js';

/** An error answer of the api (RFC 9457 problem+json): `detail` is meant for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

async function problemOf(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let detail = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { code?: unknown; detail?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, detail);
}

/**
 * The REST api (`/v1`) of the daemon that serves this page, sending the API key in `X-API-Key`
 * (never in a URL: URLs end up in logs and history).
 */
export class Api {
  constructor(
    readonly key: string,
    private readonly base = '',
  ) {}

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          'x-api-key': this.key,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, 'network', `the daemon cannot be reached (${(err as Error).message})`);
    }
    if (!res.ok) throw await problemOf(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  torrent = (hash: string) => this.#call<Torrent>('GET', `/v1/torrents/${hash}`);
  torrents = async () => (await this.#call<{ torrents: Torrent[] }>('GET', '/v1/torrents')).torrents;
  sharePath = (path: string) =>
    this.#call<{ torrent: Torrent; created: boolean }>('POST', '/v1/torrents', { path });
  download = (hash: string, savePath?: string) =>
    this.#call<{ torrent: Torrent; created: boolean }>('POST', '/v1/torrents', {
      hash,
      ...(savePath ? { savePath } : {}),
    });
  addMagnet = (magnet: string) =>
    this.#call<{ torrent: Torrent; created: boolean }>('POST', '/v1/torrents', { magnet });
  /** A .torrent file, sent as it is (`application/x-bittorrent`). */
  addTorrentFile = async (file: Blob): Promise<{ torrent: Torrent; created: boolean }> => {
    let res: Response;
    try {
      res = await fetch(`${this.base}/v1/torrents/upload`, {
        method: 'POST',
        headers: {
          'x-api-key': this.key,
          accept: 'application/json',
          'content-type': 'application/x-bittorrent',
        },
        body: file,
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, 'network', `the daemon cannot be reached (${(err as Error).message})`);
    }
    if (!res.ok) throw await problemOf(res);
    return (await res.json()) as { torrent: Torrent; created: boolean };
  };
  pause = async (hash: string) =>
    (await this.#call<{ torrent: Torrent }>('POST', `/v1/torrents/${hash}/pause`)).torrent;
  resume = async (hash: string) =>
    (await this.#call<{ torrent: Torrent }>('POST', `/v1/torrents/${hash}/resume`)).torrent;
  remove = (hash: string, deleteData: boolean) =>
    this.#call<undefined>('DELETE', `/v1/torrents/${hash}${deleteData ? '?deleteData=true' : ''}`);
  /** Which files to fetch and their priority (by index; what is not named stays). */
  setFiles = async (hash: string, files: { index: number; wanted?: boolean; priority?: FilePriority }[]) =>
    (await this.#call<{ torrent: Torrent }>('PATCH', `/v1/torrents/${hash}/files`, { files })).torrent;
  setLimits = async (hash: string, limits: { downloadLimit?: number | null; uploadLimit?: number | null }) =>
    (await this.#call<{ torrent: Torrent }>('PATCH', `/v1/torrents/${hash}/limits`, limits)).torrent;
  /** Labels (replacing them) and/or seeding limits of one torrent. */
  setOptions = async (hash: string, options: { labels?: string[]; seedLimits?: Partial<SeedLimits> }) =>
    (await this.#call<{ torrent: Torrent }>('PATCH', `/v1/torrents/${hash}/options`, options)).torrent;
  /** Which roster groups see a share (empty: every contact). */
  visibility = async (hash: string) => this.#call<ShareVisibility>('GET', `/v1/torrents/${hash}/visibility`);
  /** Choose which roster groups see a share; [] = every contact. */
  setVisibility = async (hash: string, groups: string[]) =>
    this.#call<ShareVisibility>('PUT', `/v1/torrents/${hash}/visibility`, { groups });
  /** The roster's groups with their number of contacts. */
  groups = async () => (await this.#call<{ groups: RosterGroup[] }>('GET', '/v1/groups')).groups;
  /** The torrent's connected peers now. */
  peers = async (hash: string) =>
    (await this.#call<{ peers: Peer[] }>('GET', `/v1/torrents/${hash}/peers`)).peers;
  /** A signed, expiring URL (path and query) of one file's content: for `<video>` and VLC, which cannot send the key. */
  streamLink = (hash: string, index: number) =>
    this.#call<{ url: string; token: string; expiresAt: string }>(
      'POST',
      `/v1/torrents/${hash}/files/${index}/link`,
      {},
    );

  shares = async () => (await this.#call<{ shares: FriendShare[] }>('GET', '/v1/shares')).shares;
  /** The files inside a friend's share, fetched from the friend (metadata only; first 5,000). */
  shareFiles = (jid: string, hash: string) =>
    this.#call<ShareFiles>('GET', `/v1/friends/${encodeURIComponent(jid)}/shares/${hash}/files?limit=5000`);
  browse = (path?: string) =>
    this.#call<Folder>('GET', `/v1/browse${path ? `?path=${encodeURIComponent(path)}` : ''}`);

  contacts = async () => (await this.#call<{ contacts: Contact[] }>('GET', '/v1/contacts')).contacts;
  pending = async () =>
    (await this.#call<{ pending: PendingSubscription[] }>('GET', '/v1/subscriptions')).pending;
  approve = (jid: string) =>
    this.#call<unknown>('POST', `/v1/subscriptions/${encodeURIComponent(jid)}/approve`);
  deny = (jid: string) => this.#call<unknown>('POST', `/v1/subscriptions/${encodeURIComponent(jid)}/deny`);

  /** Shares friends sent us, newest first. */
  offers = async () => (await this.#call<{ offers: Offer[] }>('GET', '/v1/offers')).offers;
  /** Download an offered share (from the friend who sent it). */
  acceptOffer = (id: string) =>
    this.#call<{ offer: Offer; added: { torrent: Torrent; created: boolean } }>(
      'POST',
      `/v1/offers/${id}/accept`,
    );
  dismissOffer = (id: string) => this.#call<undefined>('DELETE', `/v1/offers/${id}`);
  /** Send one of our shares to a contact (an XMPP message with the magnet). */
  sendShare = (jid: string, hash: string) =>
    this.#call<{ jid: string; hash: string; magnet: string }>(
      'POST',
      `/v1/contacts/${encodeURIComponent(jid)}/send`,
      { hash },
    );

  settings = () => this.#call<EngineSettings>('GET', '/v1/settings');
  updateSettings = (patch: Partial<EngineSettings>) =>
    this.#call<EngineSettings>('PATCH', '/v1/settings', patch);
  status = () => this.#call<Status>('GET', '/v1/status');

  /**
   * The XMPP account. Falls back to `/v1/status` on an api without `/v1/account` (older
   * daemons): configured unless the gateway says it has no JID.
   */
  account = async (): Promise<Account> => {
    try {
      return await this.#call<Account>('GET', '/v1/account');
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      const s = await this.status();
      if ('error' in s.xmpp) return { configured: true, source: null, jid: null, online: false };
      return { configured: s.xmpp.jid !== '', source: null, jid: s.xmpp.jid || null, online: s.xmpp.online };
    }
  };
  setAccount = (account: { jid: string; password: string; service?: string }) =>
    this.#call<{ jid: string; online: boolean }>('PUT', '/v1/account', account);
}
