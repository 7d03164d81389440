import { useState } from 'preact/hooks';
import { login, loginMessage } from '../store.js';
import { ErrorText } from './common.js';

export function LoginView() {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const failed = await login(key, remember);
    if (failed) {
      setError(failed);
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>bitween</h1>
      <p>Friend-to-friend file sharing. Log in with the daemon's API key.</p>
      {loginMessage.value && <p class="notice">{loginMessage.value}</p>}
      <form class="stack" onSubmit={(e) => void submit(e)}>
        {/* For password managers: the key belongs to this daemon. */}
        <input type="text" name="username" autoComplete="username" value="bitween" hidden readOnly />
        <label>
          <span>API key</span>
          <input
            type="password"
            name="api-key"
            autoComplete="current-password"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          Remember on this device
        </label>
        <ErrorText error={error} />
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Checking…' : 'Log in'}
          </button>
        </div>
      </form>
      <details>
        <summary>Where is the key?</summary>
        <p>
          The daemon made it on its first start. On its host run <code>bitween api-key</code> (with Docker:{' '}
          <code>docker compose exec api bitween api-key</code>), or read <code>data/api-key</code>.
        </p>
      </details>
    </main>
  );
}
