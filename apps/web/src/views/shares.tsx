import { useMemo, useState } from 'preact/hooks';
import { formatBytes, formatPercent } from '../logic/format.js';
import { inlineName, shownId, shownName } from '../logic/names.js';
import { searchShares, type SearchResult } from '../logic/share-search.js';
import { byFriend, groupShares, type ShareGroup } from '../logic/shares.js';
import { navigate } from '../router.js';
import { account, api, errorText, say, shares, torrents } from '../store.js';
import { ErrorText, Modal, Online, ViewTitle } from './common.js';
import { FolderBrowser } from './folder-browser.js';
import { fileLists, searching, useFileListSearch } from './share-file-lists.js';

/** What a search found inside a share: the matching paths, or why its files could not be searched. */
function Inside({ result, name }: { result: SearchResult; name: string }) {
  return (
    <>
      {result.files.length > 0 && (
        <ul class="inside" aria-label={`Files inside ${name} that match`}>
          {result.files.map((p) => (
            <li key={p}>
              <bdi>{shownName(p)}</bdi>
            </li>
          ))}
          {result.fileMatches > result.files.length && (
            <li class="muted">and {result.fileMatches - result.files.length} more</li>
          )}
        </ul>
      )}
      {result.insideError !== null && (
        <p class="muted inside-error">Its files could not be searched: {result.insideError}</p>
      )}
    </>
  );
}

function ShareItem({
  group,
  saveTo,
  ownJid,
  result,
}: {
  group: ShareGroup;
  saveTo: string | null;
  ownJid: string | null;
  /** What a search found inside it (while searching). */
  result?: SearchResult | undefined;
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
      {result && <Inside result={result} name={name} />}
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
  // Every share (for searching inside), then what matches: recomputed only when the list, the
  // query or the file lists fetched so far change.
  const all = useMemo(
    () => (loaded.state === 'ok' ? groupShares(loaded.value, '', Infinity).groups : []),
    [loaded],
  );
  const searchQuery = query.trim();
  useFileListSearch(all, searchQuery);
  const lists = fileLists.value;
  const { groups, matches, unsearched, found } = useMemo(() => {
    if (!searchQuery) {
      const named = loaded.state === 'ok' ? groupShares(loaded.value, '') : { groups: [], matches: 0 };
      return { ...named, unsearched: 0, found: new Map<string, SearchResult>() };
    }
    const { results, matches: n, unsearched: u } = searchShares(all, searchQuery, lists);
    return {
      groups: results,
      matches: n,
      unsearched: u,
      found: new Map(results.map((r) => [r.share.hash, r])),
    };
  }, [loaded, all, searchQuery, lists]);
  const inFlight = searchQuery ? searching(lists) : 0;
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
            placeholder="name, hash or a file inside"
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
          {matches + unsearched > groups.length ? ` (showing the first ${groups.length})` : ''}
          {unsearched > 0 ? ` · ${unsearched} more could not be searched inside` : ''}
          {inFlight > 0 ? ` · searching inside ${inFlight} share${inFlight === 1 ? '' : 's'}…` : ''}
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
                <ShareItem
                  key={g.share.hash}
                  group={g}
                  saveTo={saveTo}
                  ownJid={ownJid}
                  result={found.get(g.share.hash)}
                />
              ))}
            </ul>
          </section>
        ))
      ) : (
        <ul class="cards" aria-label="Shares">
          {groups.map((g) => (
            <ShareItem
              key={g.share.hash}
              group={g}
              saveTo={saveTo}
              ownJid={ownJid}
              result={found.get(g.share.hash)}
            />
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
