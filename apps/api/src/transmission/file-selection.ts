import type { FilePriority, TorrentStatus } from '@bitween/messages';
import { TrError, type TorrentSetArgs } from './protocol.js';

export type FileArgs = Pick<
  ReturnType<typeof TorrentSetArgs.parse>,
  'files-wanted' | 'files-unwanted' | 'priority-high' | 'priority-normal' | 'priority-low'
>;

/**
 * `files-wanted` / `files-unwanted` and `priority-high` / `-normal` / `-low` as engine file
 * changes, one per file named. An empty `files-wanted` or priority list means every file (as
 * Transmission reads it).
 */
export function fileSelection(
  t: TorrentStatus,
  args: FileArgs,
): { index: number; wanted?: boolean; priority?: FilePriority }[] {
  const out = new Map<number, { index: number; wanted?: boolean; priority?: FilePriority }>();
  const every = (list: number[]) => (list.length === 0 ? t.files.map((_, i) => i) : list);
  const change = (i: number) => {
    if (i >= t.files.length)
      throw new TrError(`file index ${i} out of range (the torrent has ${t.files.length} files)`);
    const c = out.get(i) ?? { index: i };
    out.set(i, c);
    return c;
  };
  const wanted = args['files-wanted'];
  if (wanted !== undefined) for (const i of every(wanted)) change(i).wanted = true;
  for (const i of args['files-unwanted'] ?? []) change(i).wanted = false;
  // Transmission's order: high, then low, then normal (a file in two lists ends with the last).
  for (const priority of ['high', 'low', 'normal'] as const) {
    const list = args[`priority-${priority}`];
    if (list !== undefined) for (const i of every(list)) change(i).priority = priority;
  }
  return [...out.values()];
}

const FILE_ARGS = [
  'files-wanted',
  'files-unwanted',
  'priority-high',
  'priority-normal',
  'priority-low',
] as const;
export const namesFiles = (args: FileArgs) => FILE_ARGS.some((k) => args[k] !== undefined);
