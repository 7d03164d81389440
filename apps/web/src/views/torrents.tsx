import { useRef, useState } from 'preact/hooks';
import { formatBytes, formatEta, formatPercent, formatRate } from '../logic/format.js';
import { isolate, revealHidden } from '@bitween/safe-text';
import { shownName } from '../logic/names.js';
import { absoluteLink, mediaKind, type MediaKind } from '../logic/media.js';
import { canPause, displayName, sortedTorrents, STATE_LABELS, without } from '../logic/torrents.js';
import { api, errorText, refreshTorrent, say, torrents, torrentsError } from '../store.js';
import type { Torrent } from '../types.js';
import { ErrorText, Link, Modal, ViewTitle } from './common.js';

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
  const toggleFile = async (index: number, wanted: boolean) => {
    setBusy(index);
    setError(null);
    try {
      const updated = await api.value?.setFiles(torrent.hash, [{ index, wanted }]);
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
                onChange={(e) => void toggleFile(i, e.currentTarget.checked)}
              />
              <bdi class="path">{shownName(f.path)}</bdi>
            </label>
            <span class="muted">
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

function TorrentItem({ t, onRemove }: { t: Torrent; onRemove: (t: Torrent) => void }) {
  const [busy, setBusy] = useState(false);
  const [showFiles, setShowFiles] = useState(false);
  const shown = displayName(t);
  const name = isolate(shown);
  const pauseOrResume = async () => {
    setBusy(true);
    try {
      const a = api.value;
      if (!a) return;
      const updated = canPause(t) ? await a.pause(t.hash) : await a.resume(t.hash);
      torrents.value = new Map(torrents.value).set(updated.hash, updated);
    } catch (err) {
      say(`${name}: ${errorText(err)}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  const filesId = `files-${t.hash}`;
  return (
    <li class="card torrent" data-hash={t.hash}>
      <div class="row between">
        <h2 class="name">
          <bdi>{shown}</bdi>
        </h2>
        <span class={`badge state-${t.state}`}>{STATE_LABELS[t.state]}</span>
      </div>
      <div class="progress-row">
        <progress max={1} value={t.progress} aria-label={`Progress of ${name}`} />
        <span class="pct">{formatPercent(t.progress)}</span>
      </div>
      {t.error && <p class="error">{revealHidden(t.error)}</p>}
      <dl class="stats">
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(t.size)}</dd>
        </div>
        <div>
          <dt>Down</dt>
          <dd>{formatRate(t.downloadSpeed)}</dd>
        </div>
        <div>
          <dt>Up</dt>
          <dd>{formatRate(t.uploadSpeed)}</dd>
        </div>
        <div>
          <dt>Peers</dt>
          <dd>{t.peers}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>{t.done ? 'done' : formatEta(t.eta)}</dd>
        </div>
      </dl>
      <div class="row gap">
        <button
          type="button"
          disabled={busy}
          onClick={() => void pauseOrResume()}
          aria-label={`${canPause(t) ? 'Pause' : 'Resume'} ${name}`}
        >
          {canPause(t) ? 'Pause' : 'Resume'}
        </button>
        <button
          type="button"
          aria-expanded={showFiles}
          aria-controls={filesId}
          aria-label={`Files of ${name}`}
          onClick={() => {
            if (!showFiles) void refreshTorrent(t.hash);
            setShowFiles(!showFiles);
          }}
        >
          Files ({t.files.length})
        </button>
        <button type="button" class="danger" aria-label={`Remove ${name}`} onClick={() => onRemove(t)}>
          Remove
        </button>
      </div>
      <div id={filesId} hidden={!showFiles}>
        {showFiles && <Files torrent={t} />}
      </div>
    </li>
  );
}

export function TorrentsView() {
  const [removing, setRemoving] = useState<Torrent | null>(null);
  const list = sortedTorrents(torrents.value);
  return (
    <section>
      <ViewTitle>Your torrents</ViewTitle>
      <ErrorText error={torrentsError.value} />
      {list.length === 0 ? (
        <p class="empty">
          Nothing yet. <Link to="/share">Share something</Link> or download from{' '}
          <Link to="/shares">your friends' shares</Link>.
        </p>
      ) : (
        <ul class="cards" aria-label="Torrents">
          {list.map((t) => (
            <TorrentItem key={t.hash} t={t} onRemove={setRemoving} />
          ))}
        </ul>
      )}
      {removing && <RemoveDialog torrent={removing} onClose={() => setRemoving(null)} />}
    </section>
  );
}
