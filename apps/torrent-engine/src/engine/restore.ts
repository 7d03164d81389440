/**
 * The torrents saved in the state dir, running again at start: those taken over by another
 * engine meanwhile are dropped, those whose files are unchanged since their bitfield was saved
 * skip verification (fast resume), the others are verified.
 */
import { inTurns } from '@bitween/runtime';
import type { EngineCore, Entry } from './core.js';
import { attach, settled } from './attach.js';
import { reschedule } from './run-control.js';
import { finishMoves } from './set-location.js';

/** Torrents started (or announced) per turn of the event loop at a restart. */
export const TORRENTS_PER_TURN = 256;

export async function restore(core: EngineCore): Promise<void> {
  const started = Date.now();
  // Moves of data a stop or crash interrupted are finished first (engine/set-location.ts).
  const stored = await finishMoves(core, await core.opts.store.load());
  // Torrents whose files are unchanged since their bitfield was saved skip verification.
  const decisions = await Promise.all(
    stored.map(({ record, torrentFile }) =>
      torrentFile ? core.resume.startup(record.hash, record.savePath) : Promise.resolve(null),
    ),
  );
  // Claimed all at once (one read of who is alive, several claims in flight), not one by one.
  const claims = await core.opts.placement?.claimAll(stored.map(({ record }) => record.hash));
  const checking: Entry[] = [];
  let restored = 0;
  let resumed = 0;
  // webtorrent starts each torrent in a chain of nextTicks: in turns, so that NATS replies and
  // heartbeats are served while tens of thousands start (in one go, 50,000 held the event loop
  // for seconds and the engine's next KV request timed out: start-up failed).
  await inTurns(stored, TORRENTS_PER_TURN, async ({ record, torrentFile }, i) => {
    const claim = claims?.[i];
    if (claim && !claim.won) {
      // Taken over by another engine while we were away: it has its own copy of the record.
      core.log.info({ hash: record.hash, owner: claim.owner }, 'torrent now runs elsewhere');
      await core.opts.store.remove(record.hash);
      return;
    }
    const decision = decisions[i];
    const bitfield = decision?.kind === 'resume' ? decision.bitfield : undefined;
    if (bitfield) resumed++;
    // A torrent whose saved bitfield has every piece starts as verified: webtorrent would otherwise
    // read and hash one piece of each file (opening every file of every seed on a restart) although
    // the files' sizes and mtimes already match the ones saved with that bitfield.
    const complete = decision?.kind === 'resume' && decision.have === decision.pieces;
    // (The bitfield still goes along: it is what fast resume compares before saving again.)
    const entry = attach(core, record, torrentFile, complete, bitfield);
    restored++;
    if (torrentFile) checking.push(entry);
  });
  reschedule(core);
  if (restored === 0) return;
  core.log.info({ torrents: restored, resumed }, 'restored torrents');
  void Promise.all(checking.map((e) => settled(e))).then(() =>
    core.log.info(
      { torrents: checking.length, resumed, verified: checking.length - resumed, ms: Date.now() - started },
      'restored torrents ready',
    ),
  );
}
