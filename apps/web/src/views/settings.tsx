import { useEffect, useState } from 'preact/hooks';
import { formatLimit, parseLimitKiB } from '../logic/format.js';
import { account, api, errorText, logout, say } from '../store.js';
import {
  admissionText,
  connectionRows,
  ipv6Text,
  mappingText,
  pinholeText,
  pinholesOf,
  verdictHint,
  verdictOf,
} from '../logic/reachability.js';
import type { EngineSettings, EngineSummary, Status } from '../types.js';
import { AccountForm } from './account-form.js';
import { ErrorText, Online, ViewTitle } from './common.js';

function AccountSection() {
  const a = account.value;
  return (
    <section aria-labelledby="account-h">
      <h2 id="account-h">XMPP account</h2>
      {a.state === 'loading' && <p class="muted">Loading…</p>}
      {a.state === 'error' && <ErrorText error={`The account state is unknown: ${a.error}`} />}
      {a.state === 'ok' && (
        <>
          <p>
            {a.value.configured ? (
              <>
                <strong>{a.value.jid ?? 'configured'}</strong> <Online online={a.value.online} />
              </>
            ) : (
              'No account configured.'
            )}
          </p>
          {a.value.source === 'environment' ? (
            <p class="muted">
              Set by environment variables (BITWEEN_XMPP_JID, BITWEEN_XMPP_PASSWORD): change them there and
              restart the gateway.
            </p>
          ) : (
            <details open={!a.value.configured}>
              <summary>{a.value.configured ? 'Change account' : 'Set account'}</summary>
              <AccountForm jid={a.value.jid} submitLabel="Save and log in" />
            </details>
          )}
        </>
      )}
    </section>
  );
}

function LimitsSection() {
  const [settings, setSettings] = useState<EngineSettings | null>(null);
  const [form, setForm] = useState({ down: '', up: '', active: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const show = (s: EngineSettings) => {
    setSettings(s);
    const kib = (v: number | null) => (v === null ? '' : String(Math.round(v / 1024)));
    setForm({
      down: kib(s.downloadLimit),
      up: kib(s.uploadLimit),
      active: s.maxActiveDownloads?.toString() ?? '',
    });
  };
  useEffect(() => {
    api.value
      ?.settings()
      .then(show)
      .catch((err: unknown) => setError(errorText(err)));
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    const down = parseLimitKiB(form.down);
    const up = parseLimitKiB(form.up);
    const active = form.active.trim() === '' ? null : Number(form.active);
    if (!down.ok) return setError(`Download limit: ${down.error}`);
    if (!up.ok) return setError(`Upload limit: ${up.error}`);
    if (active !== null && (!Number.isInteger(active) || active < 1))
      return setError('Downloads at once: a whole number of 1 or more, or empty for no limit');
    setBusy(true);
    setError(null);
    try {
      const s = await api.value?.updateSettings({
        downloadLimit: down.value,
        uploadLimit: up.value,
        maxActiveDownloads: active,
      });
      if (s) show(s);
      say('Limits saved.');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="limits-h">
      <h2 id="limits-h">Limits</h2>
      {settings && (
        <p class="muted">
          Now: down {formatLimit(settings.downloadLimit)}, up {formatLimit(settings.uploadLimit)},{' '}
          {settings.maxActiveDownloads ?? 'any number of'} downloads at once (per engine).
        </p>
      )}
      <form class="stack" onSubmit={(e) => void save(e)}>
        <label>
          <span>Download limit (KiB/s, empty = unlimited)</span>
          <input
            inputMode="decimal"
            value={form.down}
            onInput={(e) => setForm({ ...form, down: e.currentTarget.value })}
          />
        </label>
        <label>
          <span>Upload limit (KiB/s, empty = unlimited)</span>
          <input
            inputMode="decimal"
            value={form.up}
            onInput={(e) => setForm({ ...form, up: e.currentTarget.value })}
          />
        </label>
        <label>
          <span>Downloads at once (empty = no limit)</span>
          <input
            inputMode="numeric"
            value={form.active}
            onInput={(e) => setForm({ ...form, active: e.currentTarget.value })}
          />
        </label>
        <ErrorText error={error} />
        <div>
          <button type="submit" class="primary" disabled={busy || !settings}>
            Save limits
          </button>
        </div>
      </form>
    </section>
  );
}

function KeySection() {
  const [shown, setShown] = useState(false);
  const key = api.value?.key ?? '';
  return (
    <section aria-labelledby="key-h">
      <h2 id="key-h">API key</h2>
      <p class="muted">
        Every program that talks to this daemon needs it. On the daemon's host: <code>bitween api-key</code>.
      </p>
      <p>
        <code class="key" aria-label="API key">
          {shown ? key : `${'•'.repeat(12)}${key.slice(-4)}`}
        </code>
      </p>
      <div class="row gap">
        <button type="button" aria-pressed={shown} onClick={() => setShown(!shown)}>
          {shown ? 'Hide key' : 'Show key'}
        </button>
        <button type="button" onClick={() => logout('Logged out.')}>
          Log out
        </button>
      </div>
    </section>
  );
}

function EngineReachability({ engine: e }: { engine: EngineSummary }) {
  const verdict = verdictOf(e);
  const hint = verdictHint(e);
  const r = e.reachability;
  const pinholes = pinholesOf(e);
  return (
    <article class="reach" aria-label={`Engine ${e.engineId}`}>
      <h3>{e.engineId}</h3>
      <p class={`verdict ${verdict.tone}`} data-verdict={r?.verdict ?? 'none'}>
        {verdict.text}
      </p>
      {hint && <p class="muted">{hint}</p>}
      <dl class="facts">
        <dt>Public addresses</dt>
        <dd>{r && r.publicAddresses.length > 0 ? r.publicAddresses.join(', ') : 'none'}</dd>
        <dt>IPv6</dt>
        <dd>{ipv6Text(e)}</dd>
        <dt>Port mapping</dt>
        <dd>{mappingText(e.portMapping)}</dd>
        <dt>{pinholes.length > 1 ? 'IPv6 pinholes' : 'IPv6 pinhole'}</dt>
        {(pinholes.length > 0 ? pinholes : [null]).map((p, i) => (
          <dd key={p?.internalAddress ?? i}>{pinholeText(p)}</dd>
        ))}
        <dt>STUN / TURN server</dt>
        <dd>{r ? `${r.stun ? 'known' : 'none'} / ${r.turn ? 'known' : 'none'}` : 'not reported'}</dd>
        <dt>Connections since start</dt>
        <dd>
          {e.connections
            ? connectionRows(e.connections)
                .map(([what, n]) => `${what} ${n}`)
                .join(' · ')
            : 'not reported'}
        </dd>
        <dt>Peers</dt>
        <dd>{admissionText(e.admission)}</dd>
      </dl>
    </article>
  );
}

function ReachabilitySection({
  status,
  error,
  refresh,
}: {
  status: Status | null;
  error: string | null;
  refresh: () => void;
}) {
  return (
    <section aria-labelledby="reach-h">
      <h2 id="reach-h">Can my friends reach me?</h2>
      {error && <ErrorText error={`The daemon status is unknown: ${error}`} />}
      {!status && !error && <p class="muted">Loading…</p>}
      {status && !Array.isArray(status.engines) && (
        <ErrorText error={`The engines do not answer: ${status.engines.error}`} />
      )}
      {status && Array.isArray(status.engines) && status.engines.length === 0 && (
        <p class="muted">No engine is running.</p>
      )}
      {status &&
        Array.isArray(status.engines) &&
        status.engines.map((e) => <EngineReachability key={e.engineId} engine={e} />)}
      <div>
        <button type="button" onClick={refresh}>
          Check again
        </button>
      </div>
    </section>
  );
}

function AboutSection({ status }: { status: Status | null }) {
  if (!status) return null;
  return (
    <section aria-labelledby="about-h">
      <h2 id="about-h">Daemon</h2>
      <p class="muted">
        bitween {status.version} · NATS {status.nats} ·{' '}
        {Array.isArray(status.engines)
          ? `${status.engines.length} engine${status.engines.length === 1 ? '' : 's'} (${status.engines
              .map((e) => e.engineId)
              .join(', ')})`
          : `engines: ${status.engines.error}`}
      </p>
    </section>
  );
}

export function SettingsView() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    api.value
      ?.status()
      .then((s) => {
        setStatus(s);
        setError(null);
      })
      .catch((err: unknown) => setError(errorText(err)));
  };
  useEffect(load, []);
  return (
    <section>
      <ViewTitle>Settings</ViewTitle>
      <AccountSection />
      <LimitsSection />
      <ReachabilitySection status={status} error={error} refresh={load} />
      <KeySection />
      <AboutSection status={status} />
    </section>
  );
}
