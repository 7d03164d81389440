import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../logic/format.js';
import { inlineId, shownId } from '../logic/names.js';
import { crumbs, joinPath } from '../logic/paths.js';
import { api, errorText } from '../store.js';
import type { Folder } from '../types.js';
import { ErrorText } from './common.js';

/**
 * Browses the folders below the share roots through `GET /v1/browse` (the daemon refuses
 * anything outside them). `pick` is called with the path chosen: a file or folder to share
 * (`mode="any"`), or a folder to save into (`mode="dir"`: files are not listed).
 */
export function FolderBrowser({
  mode,
  action,
  pick,
  busy,
}: {
  mode: 'any' | 'dir';
  /** The verb on the buttons: "Share", "Choose". */
  action: string;
  pick: (path: string) => void;
  busy?: boolean;
}) {
  const [path, setPath] = useState<string | undefined>(undefined);
  const [folder, setFolder] = useState<Folder | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    api.value
      ?.browse(path)
      .then((f) => live && setFolder(f))
      .catch((err: unknown) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [path]);

  const entries = (folder?.entries ?? []).filter((e) => mode === 'any' || e.type === 'dir');
  const trail = folder?.path ? crumbs(folder.roots, folder.path) : [];
  return (
    <div class="browser">
      <nav aria-label="Folder" class="crumbs">
        <button type="button" class="link" onClick={() => setPath(undefined)} disabled={!folder?.path}>
          Share roots
        </button>
        {trail.map((c, i) => (
          <span key={c.path} class="crumb">
            <span aria-hidden="true"> / </span>
            <button
              type="button"
              class="link"
              onClick={() => setPath(c.path)}
              aria-current={i === trail.length - 1 ? 'location' : undefined}
            >
              {c.label}
            </button>
          </span>
        ))}
      </nav>
      <ErrorText error={error} />
      {folder?.path && (
        <div class="row gap">
          <button type="button" onClick={() => setPath(folder.parent ?? undefined)}>
            ↑ Up
          </button>
          <button type="button" class="primary" disabled={busy} onClick={() => pick(folder.path!)}>
            {action} this folder
          </button>
        </div>
      )}
      {folder && entries.length === 0 && !error && (
        <p class="muted">{folder.path ? 'Empty folder.' : 'No share roots exist on the daemon.'}</p>
      )}
      <ul class="entries" aria-label={folder?.path ? `Contents of ${folder.path}` : 'Share roots'}>
        {entries.map((e) => {
          const full = folder?.path ? joinPath(folder.path, e.name) : e.name;
          return (
            <li key={full}>
              {e.type === 'dir' ? (
                <button type="button" class="link entry" onClick={() => setPath(full)}>
                  <bdi>{shownId(e.name)}</bdi>
                  <span aria-hidden="true">/</span>
                </button>
              ) : (
                <span class="entry">
                  <bdi>{shownId(e.name)}</bdi> <span class="muted">{formatBytes(e.size)}</span>
                </span>
              )}
              <button
                type="button"
                disabled={busy}
                aria-label={`${action} ${inlineId(e.name)}`}
                onClick={() => pick(full)}
              >
                {action}
              </button>
            </li>
          );
        })}
      </ul>
      {folder?.truncated && <p class="muted">Only the first {entries.length} entries are shown.</p>}
    </div>
  );
}
