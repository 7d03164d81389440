import { useEffect, useState } from 'preact/hooks';
import { isolate } from '@bitween/safe-text';
import { inlineName } from '../logic/names.js';
import { navigate } from '../router.js';
import { api, errorText, say, torrents } from '../store.js';
import { ErrorText, Modal, ViewTitle } from './common.js';
import { FolderBrowser } from './folder-browser.js';

export function ShareView() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [roots, setRoots] = useState<string[]>([]);
  const [confirmRoot, setConfirmRoot] = useState<string | null>(null);
  useEffect(() => {
    api.value
      ?.browse()
      .then((f) => setRoots(f.roots))
      .catch(() => undefined);
  }, []);
  /** A whole share root is shared only after a confirmation (it may hold far more than meant). */
  const pick = (path: string) => {
    if (roots.includes(path.replace(/(?<=.)\/+$/, ''))) setConfirmRoot(path);
    else void share(path);
  };
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
      <FolderBrowser mode="any" action="Share" pick={pick} busy={busy !== null} />
      <details>
        <summary>Type a path instead</summary>
        <form
          class="row gap"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) pick(typed.trim());
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
      {confirmRoot && (
        <Modal title="Share a whole share root?" onClose={() => setConfirmRoot(null)}>
          <p>
            <bdi>{isolate(confirmRoot)}</bdi> is a share root: everything in it, now and as one torrent, goes
            to all your contacts. Share a folder or file inside it instead if that is what you meant.
          </p>
          <div class="row gap end">
            <button type="button" onClick={() => setConfirmRoot(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="primary"
              onClick={() => {
                const path = confirmRoot;
                setConfirmRoot(null);
                void share(path);
              }}
            >
              Share all of it
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
