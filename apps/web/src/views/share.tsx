import { useState } from 'preact/hooks';
import { inlineName } from '../logic/names.js';
import { navigate } from '../router.js';
import { api, errorText, say, torrents } from '../store.js';
import { ErrorText, ViewTitle } from './common.js';
import { FolderBrowser } from './folder-browser.js';

export function ShareView() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const share = async (path: string) => {
    setBusy(path);
    setError(null);
    try {
      const added = await api.value?.sharePath(path);
      if (added) {
        torrents.value = new Map(torrents.value).set(added.torrent.hash, added.torrent);
        say(
          added.created
            ? `Sharing ${inlineName(added.torrent.name ?? path)}.`
            : `${path} was already shared.`,
        );
        navigate('/torrents');
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section>
      <ViewTitle>Share something</ViewTitle>
      <p class="muted">
        Pick a file or folder below the daemon's share roots. It is shared in place (not copied) with all your
        contacts.
      </p>
      {busy && (
        <p role="status" class="notice">
          Hashing {busy}… large folders take a while.
        </p>
      )}
      <ErrorText error={error} />
      <FolderBrowser mode="any" action="Share" pick={(p) => void share(p)} busy={busy !== null} />
      <details>
        <summary>Type a path instead</summary>
        <form
          class="row gap"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) void share(typed.trim());
          }}
        >
          <label class="grow">
            <span>Absolute path on the daemon's host</span>
            <input
              type="text"
              value={typed}
              onInput={(e) => setTyped(e.currentTarget.value)}
              spellcheck={false}
            />
          </label>
          <button type="submit" disabled={busy !== null}>
            Share
          </button>
        </form>
      </details>
    </section>
  );
}
