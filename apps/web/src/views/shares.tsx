import { useMemo, useState } from 'preact/hooks';
import { formatBytes, formatPercent } from '../logic/format.js';
import { inlineName, shownId, shownName } from '../logic/names.js';
import { byFriend, groupShares, type ShareGroup } from '../logic/shares.js';
import { navigate } from '../router.js';
import { account, api, errorText, say, shares, torrents } from '../store.js';
import { ErrorText, Modal, Online, ViewTitle } from './common.js';
import { FolderBrowser } from './folder-browser.js';

function ShareItem({
  group,
  saveTo,
  ownJid,
}: {
  group: ShareGroup;
  saveTo: string | null;
  ownJid: string | null;
}) {
  const { share, offers } = group;
  const [busy, setBusy] = useState(false);
  const held = torrents.value.get(share.hash);
  const name = inlineName(share.name);
  const download = async () => {
    setBusy(true);
    try {
      const added = await api.value?.download(share.hash, saveTo ?? undefined);
      if (added) torrents.value = new Map(torrents.value).set(added.torrent.hash, added.torrent);
      say(`Downloading ${name}${saveTo ? ` to ${saveTo}` : ''}.`);
    } catch (err) {
      say(`${name}: ${errorText(err)}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="card share" data-hash={share.hash}>
      <div class="row between">
        <h2 class="name">
          <bdi>{shownName(share.name)}</bdi>
        </h2>
        <span class="muted">{formatBytes(share.size)}</span>
      </div>
      <ul class="offers" aria-label={`Offered by`}>
        {offers.map((o) => (
          <li key={o.jid}>
            <bdi>{shownId(o.jid)}</bdi>
            {o.jid === ownJid ? ' (your other instance)' : ''} <Online online={o.online} />
          </li>
        ))}
      </ul>
      <div class="row gap">
        {held ? (
          <button
            type="button"
            onClick={() => navigate('/torrents')}
            aria-label={`${name} is in your torrents`}
          >
            In your torrents · {formatPercent(held.progress)}
          </button>
        ) : (
          <button
            type="button"
            class="primary"
            disabled={busy}
            aria-label={`Download ${name}`}
            onClick={() => void download()}
          >
            {busy ? 'Adding…' : 'Download'}
          </button>
        )}
        {!group.available && <span class="muted">no friend offering it is online</span>}
      </div>
    </li>
  );
}

export function SharesView() {
  const [query, setQuery] = useState('');
  const [saveTo, setSaveTo] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const [grouped, setGrouped] = useState(false);
  const loaded = shares.value;
  const ownJid = account.value.state === 'ok' ? account.value.value.jid : null;
  // Filtering as you type: recomputed only when the list or the query changes.
  const { groups, matches } = useMemo(
    () => (loaded.state === 'ok' ? groupShares(loaded.value, query) : { groups: [], matches: 0 }),
    [loaded, query],
  );
  const total = loaded.state === 'ok' ? loaded.value.length : 0;
  return (
    <section>
      <ViewTitle>Friends' shares</ViewTitle>
      <div class="toolbar">
        <label class="search">
          <span>Search</span>
          <input
            type="search"
            value={query}
            placeholder="name or hash"
            autoComplete="off"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <div class="save-to">
          <span>
            Save to: <strong>{saveTo ?? 'the default download folder'}</strong>
          </span>
          <span class="row gap">
            <button type="button" onClick={() => setPicking(true)}>
              Choose folder…
            </button>
            {saveTo && (
              <button type="button" onClick={() => setSaveTo(null)}>
                Use default
              </button>
            )}
          </span>
        </div>
      </div>
      {loaded.state === 'error' && <ErrorText error={`Friends' shares cannot be loaded: ${loaded.error}`} />}
      {loaded.state === 'loading' && <p class="muted">Loading…</p>}
      {loaded.state === 'ok' && (
        <p class="muted" role="status">
          {query.trim()
            ? `${matches} of ${total} share${total === 1 ? '' : 's'} match${matches === 1 ? 'es' : ''}`
            : total === 0
              ? 'Your friends share nothing yet (or none of them is your contact yet).'
              : `${total} share${total === 1 ? '' : 's'}`}
          {matches > groups.length ? ` (showing the first ${groups.length})` : ''}
        </p>
      )}
      <label class="check">
        <input type="checkbox" checked={grouped} onChange={(e) => setGrouped(e.currentTarget.checked)} />
        Group by friend
      </label>
      {grouped ? (
        byFriend(groups).map((f) => (
          <section key={f.jid} aria-label={`Shares of ${f.jid}`}>
            <h2 class="row gap">
              <bdi>{f.jid}</bdi> <Online online={f.online} />
            </h2>
            <ul class="cards">
              {f.groups.map((g) => (
                <ShareItem key={g.share.hash} group={g} saveTo={saveTo} ownJid={ownJid} />
              ))}
            </ul>
          </section>
        ))
      ) : (
        <ul class="cards" aria-label="Shares">
          {groups.map((g) => (
            <ShareItem key={g.share.hash} group={g} saveTo={saveTo} ownJid={ownJid} />
          ))}
        </ul>
      )}
      {picking && (
        <Modal title="Save downloads to" onClose={() => setPicking(false)}>
          <FolderBrowser
            mode="dir"
            action="Choose"
            pick={(p) => {
              setSaveTo(p);
              setPicking(false);
            }}
          />
          <div class="row end">
            <button type="button" onClick={() => setPicking(false)}>
              Cancel
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
