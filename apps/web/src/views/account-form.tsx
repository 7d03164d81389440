import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { XMPP_SERVICE_PATTERN } from '../logic/patterns.js';
import { api, errorText, reloadAll, say } from '../store.js';
import { ErrorText } from './common.js';

/** The XMPP account form (`PUT /v1/account`): the gateway logs in with it before keeping it. */
export function AccountForm({ jid: initial, submitLabel }: { jid: string | null; submitLabel: string }) {
  const [jid, setJid] = useState(initial ?? '');
  const [password, setPassword] = useState('');
  const [service, setService] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.value?.setAccount({
        jid: jid.trim(),
        password,
        ...(service.trim() ? { service: service.trim() } : {}),
      });
      setPassword('');
      if (r) say(`Logged in to XMPP as ${r.jid}${r.online ? '' : ' (not online yet)'}.`);
      await reloadAll();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 503
          ? `The XMPP gateway is not running: ${err.detail}`
          : err instanceof ApiError && err.status === 404
            ? 'This daemon cannot set the account at run time: set BITWEEN_XMPP_JID and BITWEEN_XMPP_PASSWORD.'
            : errorText(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={(e) => void submit(e)}>
      <label>
        <span>XMPP address (JID)</span>
        <input
          type="text"
          inputMode="email"
          name="jid"
          spellcheck={false}
          autoComplete="username"
          required
          placeholder="you@example.org"
          value={jid}
          onInput={(e) => setJid(e.currentTarget.value)}
        />
      </label>
      <label>
        <span>Password</span>
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <details>
        <summary>Server (if not found from the address)</summary>
        <label>
          <span>Server, e.g. xmpp://chat.example.org:5222</span>
          <input
            type="text"
            name="service"
            pattern={XMPP_SERVICE_PATTERN}
            title="xmpp://host:port or xmpps://host:port"
            value={service}
            onInput={(e) => setService(e.currentTarget.value)}
          />
        </label>
      </details>
      <ErrorText error={error} />
      <div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
