import { useEffect, useState } from 'preact/hooks';
import { formatPercent, formatRate } from '../logic/format.js';
import { peerEndpoint as endpoint, peerFlags, TRANSPORT_LABELS } from '../logic/torrent-options.js';
import { api, errorText } from '../store.js';
import type { Peer, Torrent } from '../types.js';
import { ErrorText } from './common.js';

/** How often the peers list is fetched while the details panel is open (no event carries peers). */
export const PEERS_POLL_MS = 2000;

/** The torrent's connected peers, fetched again every PEERS_POLL_MS while shown (paused: once). */
export function PeersList({ t }: { t: Torrent }) {
  const [peers, setPeers] = useState<Peer[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const active = t.state !== 'paused';
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const fetchPeers = async () => {
      try {
        const list = await api.value?.peers(t.hash);
        if (stopped) return;
        setPeers(list ?? []);
        setError(null);
      } catch (err) {
        if (!stopped) setError(errorText(err));
      }
      if (!stopped && active) timer = setTimeout(() => void fetchPeers(), PEERS_POLL_MS);
    };
    void fetchPeers();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [t.hash, active]);
  return (
    <section class="peers" aria-labelledby="peers-title">
      <h3 id="peers-title">Peers</h3>
      <ErrorText error={error} />
      {peers === null ? (
        <p class="muted">Loading…</p>
      ) : peers.length === 0 ? (
        <p class="muted">Not connected to anyone.</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">Connected peers of this torrent</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Client</th>
                <th scope="col">Down</th>
                <th scope="col">Up</th>
                <th scope="col">Has</th>
                <th scope="col">Flags</th>
                <th scope="col">Transport</th>
              </tr>
            </thead>
            <tbody>
              {peers.map((p) => {
                const flags = peerFlags(p);
                return (
                  <tr key={endpoint(p)} data-peer={endpoint(p)}>
                    <td>
                      <code>{endpoint(p)}</code>
                    </td>
                    <td>
                      <bdi>{p.client || 'unknown'}</bdi>
                    </td>
                    <td>{formatRate(p.downloadSpeed)}</td>
                    <td>{formatRate(p.uploadSpeed)}</td>
                    <td>{formatPercent(p.progress)}</td>
                    <td>
                      <abbr title={flags.map((f) => `${f.letter}: ${f.meaning}`).join('; ') || 'none'}>
                        {flags.map((f) => f.letter).join('') || '–'}
                      </abbr>
                    </td>
                    <td>{TRANSPORT_LABELS[p.transport]}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
