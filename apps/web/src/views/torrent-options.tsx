import { isolate } from '@bitween/safe-text';
import { useEffect, useState } from 'preact/hooks';
import { displayName, upsert } from '../logic/torrents.js';
import { addLabel, DEFAULT_SEED_LIMITS, parseSeedLimits, type SeedMode } from '../logic/torrent-options.js';
import { api, errorText, say, torrents } from '../store.js';
import type { Torrent } from '../types.js';
import { ErrorText } from './common.js';

async function saveOptions(t: Torrent, options: Parameters<NonNullable<typeof api.value>['setOptions']>[1]) {
  const updated = await api.value?.setOptions(t.hash, options);
  if (updated) torrents.value = upsert(torrents.value, updated);
}

/** The torrent's labels: each with its Remove button, and a field to add one. */
export function LabelsEditor({ t }: { t: Torrent }) {
  const labels = t.labels ?? [];
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (next: string[], done: string) => {
    setBusy(true);
    setError(null);
    try {
      await saveOptions(t, { labels: next });
      say(done);
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const r = addLabel(labels, typed);
    if (!r.ok) return setError(`Label: ${r.error}`);
    if (await save(r.labels, `Label ${isolate(typed.trim())} added to ${isolate(displayName(t))}.`))
      setTyped('');
  };
  return (
    <section class="labels" aria-labelledby="labels-title">
      <h3 id="labels-title">Labels</h3>
      {labels.length === 0 ? (
        <p class="muted">No labels.</p>
      ) : (
        <ul class="chips">
          {labels.map((l) => (
            <li key={l}>
              <bdi>{l}</bdi>
              <button
                type="button"
                disabled={busy}
                aria-label={`Remove label ${isolate(l)}`}
                onClick={() =>
                  void save(
                    labels.filter((x) => x !== l),
                    `Label ${isolate(l)} removed from ${isolate(displayName(t))}.`,
                  )
                }
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="row gap" onSubmit={(e) => void add(e)}>
        <label>
          <span>New label</span>
          <input type="text" value={typed} maxLength={128} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Add label
        </button>
      </form>
      <ErrorText error={error} />
    </section>
  );
}

const MODES: [SeedMode, string][] = [
  ['global', 'As in Settings'],
  ['unlimited', 'Never stop'],
  ['single', 'Stop at…'],
];

/** When this torrent stops seeding: by ratio and by idle time, each global, unlimited or a value. */
export function SeedLimitsForm({ t }: { t: Torrent }) {
  const current = t.seedLimits ?? DEFAULT_SEED_LIMITS;
  const [ratioMode, setRatioMode] = useState<SeedMode>(current.ratioMode);
  const [ratio, setRatio] = useState(String(current.ratio));
  const [idleMode, setIdleMode] = useState<SeedMode>(current.idleMode);
  const [idle, setIdle] = useState(String(current.idleMinutes));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setRatioMode(current.ratioMode);
    setRatio(String(current.ratio));
    setIdleMode(current.idleMode);
    setIdle(String(current.idleMinutes));
  }, [t.hash, current.ratioMode, current.ratio, current.idleMode, current.idleMinutes]);
  const save = async (e: Event) => {
    e.preventDefault();
    const r = parseSeedLimits({ ratioMode, ratio, idleMode, idleMinutes: idle });
    if (!r.ok) return setError(r.error);
    setBusy(true);
    setError(null);
    try {
      await saveOptions(t, { seedLimits: r.value });
      say(`Seeding limits of ${isolate(displayName(t))} saved.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="seed-limits" aria-labelledby="seed-limits-title" onSubmit={(e) => void save(e)}>
      <h3 id="seed-limits-title">Stop seeding</h3>
      <SeedLimitField
        modeLabel="By ratio"
        mode={ratioMode}
        onMode={setRatioMode}
        valueLabel="Ratio (uploaded ÷ size)"
        inputMode="decimal"
        value={ratio}
        onValue={setRatio}
      />
      <SeedLimitField
        modeLabel="When idle"
        mode={idleMode}
        onMode={setIdleMode}
        valueLabel="Idle minutes"
        inputMode="numeric"
        value={idle}
        onValue={setIdle}
      />
      <button type="submit" disabled={busy}>
        Save seeding limits
      </button>
      <ErrorText error={error} />
    </form>
  );
}

/** One seeding limit: its mode (global, unlimited, a value) and the value, editable in mode single. */
function SeedLimitField(p: {
  modeLabel: string;
  mode: SeedMode;
  onMode: (mode: SeedMode) => void;
  valueLabel: string;
  inputMode: 'decimal' | 'numeric';
  value: string;
  onValue: (value: string) => void;
}) {
  return (
    <div class="row gap">
      <label>
        <span>{p.modeLabel}</span>
        <select value={p.mode} onChange={(e) => p.onMode(e.currentTarget.value as SeedMode)}>
          {MODES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>{p.valueLabel}</span>
        <input
          type="text"
          inputMode={p.inputMode}
          value={p.value}
          disabled={p.mode !== 'single'}
          onInput={(e) => p.onValue(e.currentTarget.value)}
        />
      </label>
    </div>
  );
}
