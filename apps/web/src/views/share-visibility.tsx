import { isolate } from '@bitween/safe-text';
import { useEffect, useState } from 'preact/hooks';
import { displayName } from '../logic/torrents.js';
import { groupChoices, visibilityText, type GroupChoice } from '../logic/visibility.js';
import { api, errorText, say } from '../store.js';
import type { Torrent } from '../types.js';
import { ErrorText } from './common.js';

/**
 * Who sees the share: every contact (the default), or only the contacts of some roster groups
 * (`PUT /v1/torrents/{hash}/visibility`). The groups are those of the XMPP roster; a group is
 * made (and contacts put in it) in any XMPP client.
 */
export function VisibilityEditor({ t }: { t: Torrent }) {
  const [saved, setSaved] = useState<string[] | null>(null);
  const [choices, setChoices] = useState<GroupChoice[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    const client = api.value;
    if (!client) return;
    void (async () => {
      try {
        const [current, roster] = await Promise.all([client.visibility(t.hash), client.groups()]);
        if (!live) return;
        setSaved(current.groups);
        setChoices(groupChoices(roster, current.groups));
      } catch (err) {
        if (live) setError(errorText(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [t.hash]);

  const save = async (groups: string[]) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await api.value?.setVisibility(t.hash, groups);
      if (!updated) return;
      setSaved(updated.groups);
      setChoices((now) => groupChoices(now, updated.groups));
      say(`${isolate(displayName(t))}: ${visibilityText(updated.groups)}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    void save(choices.filter((c) => c.checked).map((c) => c.name));
  };
  const toggle = (name: string, checked: boolean) =>
    setChoices((now) => now.map((c) => (c.name === name ? { ...c, checked } : c)));

  return (
    <section class="labels visibility" aria-labelledby="visibility-title">
      <h3 id="visibility-title">Who sees it</h3>
      {saved === null ? (
        <p class="muted">{error ? 'Unknown.' : 'Loading…'}</p>
      ) : (
        <form onSubmit={submit}>
          <p>{visibilityText(saved)}</p>
          {choices.length === 0 ? (
            <p class="muted">
              Your roster has no groups: put contacts in groups (in any XMPP client) to share with some of
              them only.
            </p>
          ) : (
            <fieldset>
              <legend>Only these groups (none checked: every contact)</legend>
              {choices.map((c) => (
                <label key={c.name} class="row gap">
                  <input
                    type="checkbox"
                    checked={c.checked}
                    disabled={busy}
                    onChange={(e) => toggle(c.name, e.currentTarget.checked)}
                  />
                  <span>
                    <bdi>{c.name}</bdi> ({c.contacts} {c.contacts === 1 ? 'contact' : 'contacts'})
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {choices.length > 0 && (
            <div class="row gap">
              <button type="submit" disabled={busy}>
                Save who sees it
              </button>
              {saved.length > 0 && (
                <button type="button" disabled={busy} onClick={() => void save([])}>
                  Every contact
                </button>
              )}
            </div>
          )}
        </form>
      )}
      <ErrorText error={error} />
    </section>
  );
}
