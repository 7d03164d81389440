import { torrentObject } from './fields.js';
import { fileSelection, namesFiles } from './file-selection.js';
import type { TrMethod } from './method-context.js';
import { TorrentSetArgs, parseArgs } from './protocol.js';
import { each, listing, select } from './selection.js';
import { limitOf } from './speed-limit.js';
import { refuseTorrentChanges } from './unsupported-args.js';

const SEED_MODES = ['global', 'single', 'unlimited'] as const;

export const torrentSet: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentSetArgs, raw);
  const all = await listing(deps);
  const list = select(args.ids, all);
  // Every argument bitween cannot honour is refused before anything changes.
  const now = Math.floor(Date.now() / 1000);
  for (const t of list) {
    const ctx = { id: all.ids.get(t.hash)!, now, position: all.torrents.indexOf(t) };
    refuseTorrentChanges(raw as Record<string, unknown>, (f) => torrentObject(t, [f], ctx)[f]);
  }
  await each(list, async (t) => {
    if (namesFiles(args)) {
      const files = fileSelection(t, args);
      if (files.length > 0) await deps.torrents.setFiles(t, files);
    }
    if (args.sequential_download !== undefined) {
      await deps.torrents.setSequential(t, args.sequential_download);
    }
    const seedLimits = {
      ...(args.seedRatioLimit === undefined ? {} : { ratio: args.seedRatioLimit }),
      ...(args.seedRatioMode === undefined ? {} : { ratioMode: SEED_MODES[args.seedRatioMode] }),
      ...(args.seedIdleLimit === undefined ? {} : { idleMinutes: args.seedIdleLimit }),
      ...(args.seedIdleMode === undefined ? {} : { idleMode: SEED_MODES[args.seedIdleMode] }),
    };
    if (args.labels !== undefined || Object.keys(seedLimits).length > 0) {
      await deps.torrents.setOptions(t, {
        labels: args.labels,
        ...(Object.keys(seedLimits).length > 0 ? { seedLimits } : {}),
      });
    }
    const downloadLimit = limitOf(t.downloadLimit, args.downloadLimit, args.downloadLimited);
    const uploadLimit = limitOf(t.uploadLimit, args.uploadLimit, args.uploadLimited);
    if (downloadLimit !== undefined || uploadLimit !== undefined) {
      await deps.torrents.setLimits(t, { downloadLimit, uploadLimit });
    }
  });
  return {};
};
