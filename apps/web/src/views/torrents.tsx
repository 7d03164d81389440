import { signal } from '@preact/signals';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  formatBytes,
  formatEta,
  formatLimit,
  formatPercent,
  formatRate,
  parseLimitKiB,
} from '../logic/format.js';
import { isolate, revealHidden } from '@bitween/safe-text';
import { shownName } from '../logic/names.js';
import { absoluteLink, mediaKind, type MediaKind } from '../logic/media.js';
import { canPause, displayName, STATE_LABELS, upsert, without } from '../logic/torrents.js';
import {
  allLabels,
  DEFAULT_QUERY,
  queryTorrents,
  SORT_KEYS,
  STATE_FILTERS,
  type ListQuery,
  type SortKey,
  type StateFilter,
} from '../logic/torrent-list.js';
import { api, errorText, refreshTorrent, say, torrents, torrentsError } from '../store.js';
import type { FilePriority, Torrent } from '../types.js';
import { ErrorText, Link, Modal, ViewTitle } from './common.js';
import { AddTorrentForm } from './add-torrent.js';
import { TorrentGrid } from './torrent-grid.js';
import { LabelsEditor, SeedLimitsForm } from './torrent-options.js';
import { PeersList } from './torrent-peers.js';
import { VisibilityEditor } from './share-visibility.js';
import { SendToFriend } from './send-share.js';

function RemoveDialog({ torrent, onClose }: { torrent: Torrent; onClose: () => void }) {
  const [deleteData, setDeleteData] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = isolate(displayName(torrent));
  const remove = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.value?.remove(torrent.hash, deleteData);
      torrents.value = without(torrents.value, torrent.hash);
      say(`Removed ${name}${deleteData ? ' and its files' : ''}.`);
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={`Remove ${name}?`} onClose={onClose}>
      <form onSubmit={(e) => void remove(e)}>
        <p>It stops being shared with your friends{torrent.done ? '' : ' and stops downloading'}.</p>
        <label class="check">
          <input
            type="checkbox"
            checked={deleteData}
            onChange={(e) => setDeleteData(e.currentTarget.checked)}
          />
          Also delete its files from {torrent.savePath}
        </label>
        <ErrorText error={error} />
        <div class="row gap end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={busy}>
            Remove
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** An in-page player of one file, streamed from the daemon (a signed link: a media element sends no key). */
function PlayerDialog({
  name,
  kind,
  url,
  onClose,
}: {
  name: string;
  kind: Exclude<MediaKind, null>;
  url: string;
  onClose: () => void;
}) {
  // Play as soon as there is something to play (autoplay would wait until the browser expects to
  // play through, i.e. until a slow friend's file is nearly downloaded); once only: a pause or a
  // seek by the user is theirs.
  const started = useRef(false);
  const start = (e: Event) => {
    if (started.current) return;
    started.current = true;
    void (e.currentTarget as HTMLMediaElement).play().catch(() => undefined);
  };
  return (
    <Modal title={`Playing ${isolate(name)}`} onClose={onClose}>
      {kind === 'video' ? (
        <video class="player" src={url} controls onCanPlay={start} aria-label={`Video ${name}`} />
      ) : (
        <audio class="player" src={url} controls onCanPlay={start} aria-label={`Audio ${name}`} />
      )}
      <p class="muted">It streams while it downloads: the parts you watch come first.</p>
      <div class="row gap end">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

/** A copyable stream link of one file (VLC: Media → Open Network Stream; mpv: `mpv URL`). */
function LinkDialog({
  name,
  url,
  expiresAt,
  onClose,
}: {
  name: string;
  url: string;
  expiresAt: string;
  onClose: () => void;
}) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Modal title={`Stream ${isolate(name)} in VLC`} onClose={onClose}>
      <p>
        Open this link in VLC (Media → Open Network Stream) or mpv. It opens only this file and works until{' '}
        {new Date(expiresAt).toLocaleString()}; anyone who has it can watch the file until then.
      </p>
      <input
        class="link"
        type="text"
        readOnly
        value={url}
        aria-label="Stream link"
        onFocus={(e) => e.currentTarget.select()}
      />
      <div class="row gap end">
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy link'}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function Files({ torrent }: { torrent: Torrent }) {
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [playing, setPlaying] = useState<{
    name: string;
    kind: Exclude<MediaKind, null>;
    url: string;
  } | null>(null);
  const [link, setLink] = useState<{ name: string; url: string; expiresAt: string } | null>(null);
  const signed = async (index: number) => {
    const a = api.value;
    if (!a) return null;
    const l = await a.streamLink(torrent.hash, index);
    return { url: absoluteLink(l.url, location.origin), expiresAt: l.expiresAt };
  };
  const play = async (index: number, name: string, kind: Exclude<MediaKind, null>) => {
    setError(null);
    try {
      const l = await signed(index);
      if (l) setPlaying({ name, kind, url: l.url });
    } catch (err) {
      setError(errorText(err));
    }
  };
  const share = async (index: number, name: string) => {
    setError(null);
    try {
      const l = await signed(index);
      if (l) setLink({ name, ...l });
    } catch (err) {
      setError(errorText(err));
    }
  };
  const changeFile = async (index: number, change: { wanted?: boolean; priority?: FilePriority }) => {
    setBusy(index);
    setError(null);
    try {
      const updated = await api.value?.setFiles(torrent.hash, [{ index, ...change }]);
      if (updated) torrents.value = new Map(torrents.value).set(updated.hash, updated);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };
  if (torrent.files.length === 0) return <p class="muted">The file list arrives with the metadata.</p>;
  return (
    <fieldset class="files">
      <legend>Files to download</legend>
      <ErrorText error={error} />
      <ul>
        {torrent.files.map((f, i) => (
          <li key={f.path}>
            <label class="check">
              <input
                type="checkbox"
                checked={f.wanted}
                disabled={busy !== null}
                onChange={(e) => void changeFile(i, { wanted: e.currentTarget.checked })}
              />
              <bdi class="path">{shownName(f.path)}</bdi>
            </label>
            <select
              class="priority"
              value={f.priority}
              disabled={busy !== null}
              aria-label={`Priority of file ${isolate(shownName(f.path))}`}
              title="Download priority: high files' pieces are fetched first, low ones last"
              onChange={(e) => void changeFile(i, { priority: e.currentTarget.value as FilePriority })}
            >
              <option value="high">High</option>
              <option value="normal">Normal</option>
              <option value="low">Low</option>
            </select>
            <progress
              max={f.size > 0 ? f.size : 1}
              value={f.size > 0 ? f.downloaded : 1}
              aria-label={`Progress of file ${isolate(shownName(f.path))}`}
            />
            <span class="muted size">
              {formatBytes(f.downloaded)} / {formatBytes(f.size)}
            </span>
            <FileActions
              name={shownName(f.path)}
              kind={mediaKind(f.path)}
              onPlay={(name, kind) => void play(i, name, kind)}
              onLink={(name) => void share(i, name)}
            />
          </li>
        ))}
      </ul>
      {playing && <PlayerDialog {...playing} onClose={() => setPlaying(null)} />}
      {link && <LinkDialog {...link} onClose={() => setLink(null)} />}
    </fieldset>
  );
}

function FileActions({
  name,
  kind,
  onPlay,
  onLink,
}: {
  name: string;
  kind: MediaKind;
  onPlay: (name: string, kind: Exclude<MediaKind, null>) => void;
  onLink: (name: string) => void;
}) {
  return (
    <span class="row gap">
      {kind && (
        <button type="button" aria-label={`Play ${isolate(name)}`} onClick={() => onPlay(name, kind)}>
          Play
        </button>
      )}
      <button type="button" aria-label={`Stream link of ${isolate(name)}`} onClick={() => onLink(name)}>
        Link
      </button>
    </span>
  );
}

/** Details of the selected torrent: state, numbers, limits, files with live progress. */
function TorrentDetails({
  t,
  focusFiles,
  onRemove,
  onClose,
}: {
  t: Torrent;
  focusFiles: boolean;
  onRemove: (t: Torrent) => void;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const filesRef = useRef<HTMLDivElement>(null);
  const shown = displayName(t);
  const name = isolate(shown);
  useEffect(() => {
    void refreshTorrent(t.hash);
    if (focusFiles) filesRef.current?.scrollIntoView({ block: 'nearest' });
    else heading.current?.focus({ preventScroll: false });
  }, [t.hash, focusFiles]);
  // Files' progress is not in progress events: while it moves, fetch the torrent again (at most every 2 s).
  const lastFetch = useRef(0);
  useEffect(() => {
    if (t.done || t.downloadSpeed <= 0) return;
    const wait = Math.max(0, 2000 - (Date.now() - lastFetch.current));
    const timer = setTimeout(() => {
      lastFetch.current = Date.now();
      void refreshTorrent(t.hash);
    }, wait);
    return () => clearTimeout(timer);
  }, [t.hash, t.downloaded, t.done, t.downloadSpeed]);
  const pauseOrResume = async () => {
    setBusy(true);
    try {
      const a = api.value;
      if (!a) return;
      const updated = canPause(t) ? await a.pause(t.hash) : await a.resume(t.hash);
      torrents.value = upsert(torrents.value, updated);
    } catch (err) {
      say(`${name}: ${errorText(err)}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  const ratio = t.size && t.size > 0 ? t.uploaded / t.size : null;
  return (
    <section class="card details" aria-labelledby="details-title" data-hash={t.hash}>
      <div class="row between">
        <h2 id="details-title" ref={heading} tabIndex={-1} class="name">
          <bdi>{shown}</bdi>
        </h2>
        <span class={`badge state-${t.state}`}>{STATE_LABELS[t.state]}</span>
      </div>
      {t.error && <p class="error">{revealHidden(t.error)}</p>}
      <dl class="stats">
        <div>
          <dt>Progress</dt>
          <dd>{formatPercent(t.progress)}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(t.size)}</dd>
        </div>
        <div>
          <dt>Downloaded</dt>
          <dd>{formatBytes(t.downloaded)}</dd>
        </div>
        <div>
          <dt>Uploaded</dt>
          <dd>
            {formatBytes(t.uploaded)}
            {ratio !== null && ` (ratio ${ratio.toFixed(2)})`}
          </dd>
        </div>
        <div>
          <dt>Down / up</dt>
          <dd>
            {formatRate(t.downloadSpeed)} / {formatRate(t.uploadSpeed)}
          </dd>
        </div>
        <div>
          <dt>Peers</dt>
          <dd>{t.peers} connected</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>{t.done ? 'done' : formatEta(t.eta)}</dd>
        </div>
        <div>
          <dt>Added</dt>
          <dd>{new Date(t.addedAt).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Limits</dt>
          <dd>
            down {formatLimit(t.downloadLimit)}, up {formatLimit(t.uploadLimit)}
          </dd>
        </div>
        <div class="wide">
          <dt>Saved in</dt>
          <dd>
            <bdi>{t.savePath}</bdi>
          </dd>
        </div>
        <div class="wide">
          <dt>Info-hash</dt>
          <dd>
            <code>{t.hash}</code>
          </dd>
        </div>
        {t.sha256 && (
          <div class="wide">
            <dt>SHA-256 of the file</dt>
            <dd>
              <code>{t.sha256}</code>
            </dd>
          </div>
        )}
      </dl>
      <div class="row gap">
        <button type="button" disabled={busy} onClick={() => void pauseOrResume()}>
          {canPause(t) ? 'Pause' : 'Resume'}
        </button>
        <button type="button" class="danger" aria-label={`Remove ${name}`} onClick={() => onRemove(t)}>
          Remove
        </button>
        <button type="button" onClick={onClose}>
          Close details
        </button>
      </div>
      <LimitsForm t={t} />
      <SeedLimitsForm t={t} />
      <LabelsEditor t={t} />
      <VisibilityEditor t={t} />
      <SendToFriend t={t} />
      <div ref={filesRef}>
        <Files torrent={t} />
      </div>
      <PeersList t={t} />
    </section>
  );
}

/** This torrent's speed limits (KiB/s; empty = unlimited). */
function LimitsForm({ t }: { t: Torrent }) {
  const kib = (v: number | null) => (v === null ? '' : String(Math.round(v / 1024)));
  const [down, setDown] = useState(kib(t.downloadLimit));
  const [up, setUp] = useState(kib(t.uploadLimit));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setDown(kib(t.downloadLimit));
    setUp(kib(t.uploadLimit));
  }, [t.hash, t.downloadLimit, t.uploadLimit]);
  const save = async (e: Event) => {
    e.preventDefault();
    const d = parseLimitKiB(down);
    const u = parseLimitKiB(up);
    if (!d.ok || !u.ok) {
      setError(`Limits: ${!d.ok ? d.error : !u.ok ? u.error : ''}`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const updated = await api.value?.setLimits(t.hash, { downloadLimit: d.value, uploadLimit: u.value });
      if (updated) torrents.value = upsert(torrents.value, updated);
      say(`Limits of ${isolate(displayName(t))} saved.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="limits row gap" onSubmit={(e) => void save(e)}>
      <label>
        <span>Download limit (KiB/s)</span>
        <input
          type="text"
          inputMode="numeric"
          value={down}
          placeholder="unlimited"
          onInput={(e) => setDown(e.currentTarget.value)}
        />
      </label>
      <label>
        <span>Upload limit (KiB/s)</span>
        <input
          type="text"
          inputMode="numeric"
          value={up}
          placeholder="unlimited"
          onInput={(e) => setUp(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Save limits
      </button>
      <ErrorText error={error} />
    </form>
  );
}

const plural = (n: number) => `${n} torrent${n === 1 ? '' : 's'}`;

/** The list's filters and order survive switching views (not reloads). */
const listQuery = signal<ListQuery>(DEFAULT_QUERY);
const selection = signal<{ hash: string | null; open: boolean; files: boolean }>({
  hash: null,
  open: false,
  files: false,
});

function Toolbar({ shown, total, labels }: { shown: number; total: number; labels: string[] }) {
  const q = listQuery.value;
  const set = (patch: Partial<ListQuery>) => (listQuery.value = { ...listQuery.value, ...patch });
  return (
    <div class="toolbar" role="search" aria-label="Filter torrents">
      <label>
        <span>Filter by name</span>
        <input
          type="search"
          value={q.name}
          spellcheck={false}
          onInput={(e) => set({ name: e.currentTarget.value })}
        />
      </label>
      <label>
        <span>State</span>
        <select value={q.state} onChange={(e) => set({ state: e.currentTarget.value as StateFilter })}>
          {STATE_FILTERS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      {labels.length > 0 && (
        <label>
          <span>Label</span>
          <select value={q.label} onChange={(e) => set({ label: e.currentTarget.value })}>
            <option value="">Any</option>
            {labels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        <span>Sort by</span>
        <select value={q.sort} onChange={(e) => set({ sort: e.currentTarget.value as SortKey })}>
          {SORT_KEYS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <button type="button" aria-pressed={q.descending} onClick={() => set({ descending: !q.descending })}>
        {q.descending ? 'Descending' : 'Ascending'}
      </button>
      <p class="count muted" aria-live="polite">
        {shown === total ? plural(total) : `${shown} of ${plural(total)}`}
      </p>
    </div>
  );
}

export function TorrentsView() {
  const [removing, setRemoving] = useState<Torrent | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const all = torrents.value;
  const q = listQuery.value;
  const list = useMemo(() => queryTorrents(all.values(), q), [all, q]);
  const labels = useMemo(() => allLabels(all.values()), [all]);
  const sel = selection.value;
  const selected = sel.hash ? all.get(sel.hash) : undefined;
  const pauseOrResume = async (t: Torrent) => {
    const name = isolate(displayName(t));
    setBusy((b) => new Set(b).add(t.hash));
    try {
      const a = api.value;
      if (!a) return;
      const updated = canPause(t) ? await a.pause(t.hash) : await a.resume(t.hash);
      torrents.value = upsert(torrents.value, updated);
    } catch (err) {
      say(`${name}: ${errorText(err)}`, 'error');
    } finally {
      setBusy((b) => {
        const n = new Set(b);
        n.delete(t.hash);
        return n;
      });
    }
  };
  return (
    <section class="torrents-view">
      <ViewTitle>Your torrents</ViewTitle>
      <AddTorrentForm />
      <ErrorText error={torrentsError.value} />
      {all.size === 0 ? (
        <p class="empty">
          Nothing yet. <Link to="/share">Share something</Link> or download from{' '}
          <Link to="/shares">your friends' shares</Link>.
        </p>
      ) : (
        <>
          <Toolbar shown={list.length} total={all.size} labels={labels} />
          <TorrentGrid
            list={list}
            selected={sel.hash}
            sort={q.sort}
            descending={q.descending}
            busy={busy}
            onSort={(key) =>
              (listQuery.value = {
                ...q,
                sort: key,
                descending: key === q.sort ? !q.descending : key !== 'name',
              })
            }
            onSelect={(hash) => (selection.value = { ...selection.value, hash })}
            onOpen={(hash, part) => (selection.value = { hash, open: true, files: part === 'files' })}
            onPauseResume={(t) => void pauseOrResume(t)}
          />
        </>
      )}
      {sel.open && selected && (
        <TorrentDetails
          key={selected.hash}
          t={selected}
          focusFiles={sel.files}
          onRemove={setRemoving}
          onClose={() => {
            selection.value = { ...selection.value, open: false };
            document.querySelector<HTMLElement>('.tbody')?.focus();
          }}
        />
      )}
      {removing && <RemoveDialog torrent={removing} onClose={() => setRemoving(null)} />}
    </section>
  );
}
