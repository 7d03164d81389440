import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { inlineId } from '../logic/names.js';
import { noTargetsText, sendErrorText, sendTargets } from '../logic/send-share.js';
import { displayName } from '../logic/torrents.js';
import { isolate } from '@bitween/safe-text';
import { api, contacts, errorText, say } from '../store.js';
import type { Contact, Torrent } from '../types.js';
import { ErrorText } from './common.js';

/**
 * Send one of our shares to a friend (`POST /v1/contacts/{jid}/send`): an XMPP message with
 * the magnet, which the friend's bitween shows under "Sent to you" (and any XMPP client as a
 * link). Only mutual contacts are offered (logic/send-share.ts); the api's refusal is shown as
 * it answers it.
 */
export function SendToFriend({ t }: { t: Torrent }) {
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  useEffect(() => {
    setTo('');
    setError(null);
    setSent(null);
  }, [t.hash]);

  // The last list loaded: a reload that fails (the gateway restarting) keeps the form, with a note.
  const known = useRef<Contact[] | null>(null);
  const loaded = contacts.value;
  if (loaded.state === 'ok') known.current = loaded.value;
  const list = known.current;
  const targets = list ? sendTargets(list) : [];
  const name = isolate(displayName(t));

  const send = async (e: Event) => {
    e.preventDefault();
    setSent(null);
    if (!targets.some((c) => c.jid === to)) return setError('Choose the friend to send it to.');
    setBusy(true);
    setError(null);
    try {
      const done = await api.value?.sendShare(to, t.hash);
      if (!done) return;
      const text = `Sent ${name} to ${inlineId(done.jid)}: it shows under “Sent to you” in their bitween.`;
      setSent(text);
      say(text);
    } catch (err) {
      setError(err instanceof ApiError ? sendErrorText(err.status, err.detail) : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  let body;
  if (t.name === null || t.size === null)
    body = <p class="muted">It can be sent once its metadata has arrived.</p>;
  else if (list === null)
    body =
      loaded.state === 'error' ? (
        <ErrorText error={`Contacts: ${loaded.error}`} />
      ) : (
        <p class="muted">Loading your contacts…</p>
      );
  else if (targets.length === 0) body = <p class="muted">{noTargetsText(list)}</p>;
  else
    body = (
      <form class="row gap" onSubmit={(e) => void send(e)}>
        <label class="grow">
          <span>Friend</span>
          <select
            value={to}
            required
            disabled={busy}
            onChange={(e) => {
              setTo(e.currentTarget.value);
              setError(null);
              setSent(null);
            }}
          >
            <option value="">Choose a friend…</option>
            {targets.map((c) => (
              <option key={c.jid} value={c.jid}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
    );

  return (
    <section class="labels send-share" aria-labelledby="send-share-title">
      <h3 id="send-share-title">Send to a friend</h3>
      <p class="muted">
        They get a message with its magnet link: their bitween offers it under “Sent to you”, other XMPP
        clients show the link.
      </p>
      {body}
      {list !== null && loaded.state === 'error' && (
        <p class="muted">
          Your contacts could not be loaded again ({loaded.error}): this is the list from before.
        </p>
      )}
      {sent && <p class="sent">{sent}</p>}
      <ErrorText error={error} />
    </section>
  );
}
