/**
 * Puts a torrent into the webtorrent client and follows it: its entry, trackers, payload
 * accounting and limits on every wire, metadata (file names checked, wanted pieces selected,
 * metainfo saved), completion, failures.
 */
import { firstEvent } from '@bitween/runtime';
import type { Torrent, Wire } from 'webtorrent';
import { TorrentLimits } from '../controls/limits.js';
import { RateMeter } from '../controls/rate-meter.js';
import { wantedTotals } from '../controls/selection.js';
import { FileStore } from '../file-store.js';
import { shortLivedBuffers } from '../gc-tuning.js';
import { filesOutside } from '../paths.js';
import { dropMetadataProbe } from '../share-files/metadata-probe.js';
import type { TorrentRecord } from '../state-store.js';
import { firstAndLastPiecesFirst, strategyOf } from '../streaming/download-order.js';
import { checkInfo } from '../torrent-name-policy.js';
import { TorrentTrackers } from '../trackers.js';
import type { EngineCore, Entry } from './core.js';
import { dial, dialBook } from './peer-book.js';
import { applySelection, checkComplete, reschedule } from './run-control.js';

/**
 * Requests we accept outstanding from one peer, advertised as `reqq` in the extended handshake
 * (BEP 10). webtorrent sets none and its downloader then pipelines a second's worth of blocks
 * (~12,000 requests at 200 MB/s), all of which the seeder holds and reads ahead (seeder RSS
 * ~450 MB). libtorrent's default is 500; webtorrent and libtorrent downloaders honour it.
 */
const REQUEST_QUEUE = 500;

/** Add `record`'s torrent to the client (from its metainfo, else by magnet) and follow it. */
export function attach(
  core: EngineCore,
  record: TorrentRecord,
  torrentFile: Uint8Array | null,
  skipVerify: boolean,
  bitfield?: Uint8Array,
): Entry {
  const client = core.client;
  // (A file list being fetched for this hash gives way: webtorrent holds one torrent per hash.)
  dropMetadataProbe(client, record.hash);
  const torrent = client.add(torrentFile ?? `magnet:?xt=urn:btih:${record.hash}`, {
    path: record.savePath,
    store: FileStore,
    // Files open below the share roots only, never through a symbolic link (confined-open.ts).
    storeOpts: { roots: core.realRoots },
    // FileStore has its own read cache, of reused buffers (webtorrent's would keep every piece
    // it read until the garbage collector gets to it).
    storeCacheSlots: 0,
    skipVerify,
    announce: [],
    ...(bitfield ? { bitfield } : {}),
    // The engine selects the wanted files' pieces itself once the metadata is known.
    deselect: true,
    paused: record.paused === true,
    strategy: strategyOf(record),
  });
  const entry: Entry = {
    hash: record.hash,
    record,
    torrent,
    hasMetadata: false,
    error: null,
    queued: false,
    complete: false,
    checkPending: false,
    limits: new TorrentLimits(record.downloadLimit ?? null, record.uploadLimit ?? null, core.globalLimits),
    trackers: null,
    files: [],
    acct: {
      mode: null,
      since: Date.now(),
      down: 0,
      up: 0,
      downRate: new RateMeter(),
      upRate: new RateMeter(),
      activityAt: record.activityAt ?? null,
      seedingSince: null,
      unsaved: false,
      timeUnsaved: false,
    },
  };
  core.entries.set(record.hash, entry);
  core.resume.track(record.hash, torrent, record.savePath, bitfield);
  const log = core.log;
  if (record.trackers && record.trackers.length > 0) {
    entry.trackers = new TorrentTrackers(record.trackers, {
      infoHash: record.hash,
      peerId: client.peerId,
      port: client.address()?.port ?? client.torrentPort,
      stats: () => {
        const t = entry.torrent;
        const wanted = t && entry.hasMetadata ? wantedTotals(t.files, entry.record.unwanted ?? []) : null;
        return {
          uploaded: t?.uploaded ?? 0,
          downloaded: t?.received ?? 0,
          left: wanted ? wanted.size - wanted.downloaded : 0,
        };
      },
      onPeer: (address) => dial(entry, [address], 'tracker'),
      log,
    });
    if (!record.paused) entry.trackers.start();
  }
  torrent.on('wire', (wire: Wire) => {
    // Sent after this event (webtorrent emits it before our extended handshake).
    wire.extendedHandshake.reqq = REQUEST_QUEUE;
    // Blocks received and sent are short-lived buffers (see gc-tuning.ts).
    wire.on('download', shortLivedBuffers);
    wire.on('upload', shortLivedBuffers);
    // Piece payload only (bittorrent-protocol emits these for piece messages): what Transmission
    // counts and rates; the torrent's own counters include handshakes, metadata and keep-alives.
    const a = entry.acct;
    wire.on('download', (bytes: number) => {
      a.down += bytes;
      a.downRate.add(bytes);
      a.activityAt = Date.now();
    });
    wire.on('upload', (bytes: number) => {
      a.up += bytes;
      a.upRate.add(bytes);
      a.activityAt = Date.now();
    });
    entry.limits.attach(wire);
  });
  torrent.once('infoHash', () => dialBook(core.peerBook, entry));
  torrent.once('metadata', () => onMetadata(core, entry, torrent));
  torrent.once('ready', () => {
    checkComplete(core, entry);
    core.events.emit('changed', entry.hash);
  });
  torrent.on('verified', () => {
    if (entry.complete || entry.checkPending || !torrent.ready) return;
    entry.checkPending = true;
    setTimeout(() => checkComplete(core, entry), 200).unref();
  });
  torrent.once('done', () => checkComplete(core, entry));
  // A share of our own never waits for a download slot nor changes who has one: adding or
  // restoring thousands of seeds does not re-plan the queue for each.
  if (record.source === 'hash') reschedule(core);
  torrent.on('warning', (err: Error) => {
    // A piece whose data fails its SHA-1 check is dropped and downloaded again; a peer sent bad
    // data, which a user wants to see (Transmission counts it as "corrupt").
    if (/failed verification/.test(err.message))
      log.warn({ hash: entry.hash, err: err.message }, 'piece failed verification');
    else log.debug({ hash: entry.hash, err: err.message }, 'torrent warning');
  });
  torrent.once('error', (err: Error) => {
    // webtorrent destroys a torrent that fails; keep it listed with its error.
    log.error({ hash: entry.hash, err: err.message }, 'torrent failed');
    entry.error = err.message;
    entry.torrent = null;
    entry.trackers?.stop();
    core.events.emit('changed', entry.hash);
    reschedule(core);
  });
  core.events.emit('changed', entry.hash);
  return entry;
}

function onMetadata(core: EngineCore, entry: Entry, torrent: Torrent): void {
  const names = checkInfo(torrent.info);
  const outside = filesOutside(entry.record.savePath, torrent.files);
  if (!names.ok || outside.length > 0) {
    entry.error = !names.ok
      ? `refused: ${names.reason}`
      : `refused: file names leave the save path (${outside.slice(0, 3).join(', ')})`;
    core.log.warn(
      { hash: entry.hash, reason: entry.error, files: outside.slice(0, 10) },
      'refused a torrent with unsafe file names',
    );
    entry.torrent = null;
    entry.trackers?.stop();
    torrent.destroy();
    core.events.emit('changed', entry.hash);
    reschedule(core);
    return;
  }
  entry.hasMetadata = true;
  entry.files = torrent.files.map((f) => f.path);
  applySelection(entry, torrent);
  if (entry.record.firstLastPiecesFirst) firstAndLastPiecesFirst(torrent, entry.record.unwanted ?? []);
  core.log.info({ hash: entry.hash, name: torrent.name, bytes: torrent.length }, 'metadata known');
  if (entry.record.source === 'hash') {
    core.opts.store.saveMetadata(entry.hash, torrent.torrentFile).catch((err: unknown) => {
      core.log.error({ hash: entry.hash, err }, 'could not save torrent metadata');
    });
  }
  core.events.emit('changed', entry.hash);
}

/** Wait until a just-added torrent is ready (or failed), so the reply shows its real state. */
export function settled(entry: Entry): Promise<void> {
  const t = entry.torrent;
  if (!t || t.ready || entry.error) return Promise.resolve();
  return firstEvent([t, 'ready', 'error', 'close']).then(() => undefined);
}
