import { useState } from 'preact/hooks';
import { formatBytes, formatEta, formatPercent, formatRate } from '../logic/format.js';
import { isolate, revealHidden } from '@bitween/safe-text';
import { shownName } from '../logic/names.js';
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

function Files({ torrent }: { torrent: Torrent }) {
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggle = async (index: number, wanted: boolean) => {
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
                onChange={(e) => void toggle(i, e.currentTarget.checked)}
              />
              <bdi class="path">{shownName(f.path)}</bdi>
            </label>
            <span class="muted">
              {formatBytes(f.downloaded)} / {formatBytes(f.size)}
            </span>
          </li>
        ))}
      </ul>
    </fieldset>
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
