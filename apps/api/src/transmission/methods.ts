import type { TrMethod } from './method-context.js';
import { TrError } from './protocol.js';
import { freeSpace, portTest, sessionGet, sessionSet, sessionStatsMethod } from './session-methods.js';
import { pauseOrResume, perTorrent, queueMoves, setLocation, torrentRemove } from './torrent-actions.js';
import { torrentAdd } from './torrent-add.js';
import { torrentGet } from './torrent-get.js';
import { torrentSet } from './torrent-set.js';

/** A method bitween does not have: Transmission's answer to an unknown method, with the reason. */
const unsupported =
  (why: string): TrMethod =>
  () =>
    Promise.reject(new TrError(`method name not recognized (${why})`));

/**
 * Every method bitween answers; any other name is "method name not recognized". Each lives with
 * what it does: `torrent-get.ts`, `torrent-add.ts`, `torrent-set.ts`, `torrent-actions.ts` (start,
 * stop, remove, verify, reannounce, set-location, queue moves), `session-methods.ts` (session-*,
 * port-test, free-space); they select torrents through `selection.ts`.
 */
export const trMethods: Record<string, TrMethod> = {
  'session-get': sessionGet,
  'session-set': sessionSet,
  'session-stats': sessionStatsMethod,
  'torrent-get': torrentGet,
  'torrent-add': torrentAdd,
  'torrent-start': pauseOrResume('resume'),
  'torrent-start-now': pauseOrResume('resume'),
  'torrent-stop': pauseOrResume('pause'),
  'torrent-remove': torrentRemove,
  'torrent-set': torrentSet,
  'torrent-verify': perTorrent((deps, t) => deps.torrents.verify(t)),
  'torrent-reannounce': perTorrent((deps, t) => deps.torrents.reannounce(t)),
  'torrent-set-location': setLocation,
  'torrent-rename-path': unsupported('torrent-rename-path is not supported by bitween'),
  'session-close': unsupported('session-close is not supported: stop bitween with its service manager'),
  'blocklist-update': unsupported('bitween has no blocklist'),
  'port-test': portTest,
  'free-space': freeSpace,
  'queue-move-top': queueMoves('top'),
  'queue-move-up': queueMoves('up'),
  'queue-move-down': queueMoves('down'),
  'queue-move-bottom': queueMoves('bottom'),
};
