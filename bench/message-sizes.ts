/**
 * Sizes of the NATS messages that grow with the number of torrents, shares or files, against
 * NATS's default max_payload (1 MiB). Plain arithmetic on contract-valid values, no services.
 *
 *   npm run bench:sizes      (node bench/message-sizes.ts after a build)
 */
import { randomBytes } from 'node:crypto';
import { EngineEntry, EngineTorrent, FILES_IN_REPLY, engine, xmpp } from '@bitween/messages';

const MAX = 1024 * 1024;
const hex = () => randomBytes(20).toString('hex');
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const row = (what: string, n: number) =>
  process.stdout.write(
    `| ${what} | ${(n / 1024).toFixed(0)} KiB | ${n < MAX ? 'fits' : `${(n / MAX).toFixed(2)}× the max`} |\n`,
  );

const status = (i: number, files: number) => ({
  hash: hex(),
  engineId: 'engine-1',
  name: `Artist ${i} - Album Title (2019) [FLAC]`,
  size: 400_000_000,
  savePath: '/data/downloads',
  state: 'seeding' as const,
  progress: 1,
  done: true,
  downloaded: 400_000_000,
  uploaded: 12_345_678,
  downloadSpeed: 0,
  uploadSpeed: 0,
  peers: 0,
  error: null,
  addedAt: Date.now(),
  eta: null,
  downloadLimit: null,
  uploadLimit: null,
  trackers: [],
  files: Array.from({ length: files }, (_, f) => ({
    path: `Artist ${i} - Album Title (2019) [FLAC]/${String(f + 1).padStart(2, '0')} - Some Track Title.flac`,
    size: 33_000_000,
    wanted: true,
    priority: 'normal',
    downloaded: 33_000_000,
  })),
});

process.stdout.write('| message | JSON | vs 1 MiB |\n| --- | --- | --- |\n');
// The registry: an engine's entry counts its torrents; each torrent is a key of its own.
const entry = EngineEntry.parse({
  engineId: 'engine-1',
  version: '0.1.0',
  heartbeatMs: 3000,
  endpoints: [
    { address: '192.168.1.10', port: 8000 },
    { address: '2001:db8::10', port: 8000 },
  ],
  torrentCount: 50_000,
});
row(
  `registry entry (\`EngineEntry\`, KV \`bitween_engines\`), any number of torrents: ${bytes(entry)} bytes`,
  bytes(entry),
);
const torrentKey = EngineTorrent.parse({ name: 'n'.padEnd(80, 'x'), size: 123_456_789 });
row(
  `one torrent key (\`EngineTorrent\`, KV \`bitween_engine_torrents\`), an 80-character name: ${bytes(torrentKey)} bytes`,
  bytes(torrentKey),
);
for (const files of [1, 12, 100]) {
  const reply = engine.list.response.parse({
    torrents: Array.from({ length: 1000 }, (_, i) => status(i, files)),
  });
  row(`\`engine.list\` unpaged, 1,000 torrents × ${files} files`, bytes(reply));
}
row('one `TorrentStatus` with 10,000 files, whole (as `engine.list` pages it)', bytes(status(0, 10_000)));
{
  const all = status(0, 100_000);
  row(
    'one `TorrentStatus` of 100,000 files in a reply or `torrent.added` (first `FILES_IN_REPLY` + `fileCount`)',
    bytes({ ...all, files: all.files.slice(0, FILES_IN_REPLY), fileCount: all.files.length }),
  );
}
const peers = xmpp.PeersPayload.parse({
  peers: Array.from({ length: 10_000 }, () => ({
    hash: hex(),
    endpoints: [
      { address: '203.0.113.7', port: 8000 },
      { address: '2001:db8::7', port: 8000 },
    ],
  })),
});
row('`xmpp.peers`, 10,000 hashes friends also offer, 2 endpoints each', bytes(peers));
const shares = xmpp.ContactShares.parse({
  jid: 'friend@example.org',
  receivedAt: Date.now(),
  resources: [
    {
      resource: 'bitween/engine-1',
      online: true,
      endpoints: [{ address: '203.0.113.7', port: 8000 }],
      shares: Array.from({ length: 10_000 }, (_, i) => ({
        hash: hex(),
        name: `holiday-video-${i}.mkv`,
        size: 1_000_000 + i,
      })),
    },
  ],
});
row('`xmpp.contact-shares` event, one friend with 10,000 shares', bytes(shares));
