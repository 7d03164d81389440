import { useEffect } from 'preact/hooks';
import { formatRate } from '../logic/format.js';
import { pageTitle, sparkline, totalSpeeds } from '../logic/speeds.js';
import { NotificationsButton } from './notifications.js';
import { offlineSince, SAMPLE_MS, SAMPLES, speedHistory, stream, torrents } from '../store.js';

const W = 160;
const H = 26;

/**
 * Total down/up rates of every torrent, a graph of the last five minutes (sampled from the
 * torrents, which the event stream keeps current) and the rates in the page title.
 */
export function StatusBar() {
  const all = torrents.value;
  const totals = totalSpeeds(all.values());
  const history = speedHistory.value;
  const offline = offlineSince.value !== null;
  useEffect(() => {
    document.title = pageTitle(totals, offline);
  }, [totals.down, totals.up, offline]);
  useEffect(() => () => void (document.title = 'bitween'), []);
  const max = history.reduce((m, s) => Math.max(m, s.down, s.up), 0);
  const minutes = Math.round((SAMPLES * SAMPLE_MS) / 60_000);
  return (
    <footer class="statusbar" aria-label="Status">
      <span>
        <span aria-hidden="true">↓ </span>
        <span class="sr">Download </span>
        <span data-total="down">{formatRate(totals.down)}</span>
      </span>
      <span>
        <span aria-hidden="true">↑ </span>
        <span class="sr">Upload </span>
        <span data-total="up">{formatRate(totals.up)}</span>
      </span>
      <svg
        class="graph"
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Speeds over the last ${minutes} minutes, peak ${formatRate(max)}`}
      >
        <polyline
          class="down"
          points={sparkline(
            history.map((s) => s.down),
            SAMPLES,
            W,
            H - 1,
            max,
          )}
        />
        <polyline
          class="up"
          points={sparkline(
            history.map((s) => s.up),
            SAMPLES,
            W,
            H - 1,
            max,
          )}
        />
      </svg>
      <span class="muted">
        {all.size} torrent{all.size === 1 ? '' : 's'}
        {stream.value === 'live' ? '' : ' · offline'}
      </span>
      <NotificationsButton />
    </footer>
  );
}

/** The daemon cannot be reached (the event stream dropped): said at once, gone when it is back. */
export function OfflineBanner() {
  const since = offlineSince.value;
  if (since === null) return null;
  return (
    <p class="banner offline" role="alert">
      Offline: the daemon cannot be reached since {new Date(since).toLocaleTimeString()}. What you see may be
      out of date; trying again…
    </p>
  );
}
