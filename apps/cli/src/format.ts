/** Pure text formatting for the CLI's tables. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

export function percent(progress: number): string {
  return `${(Math.floor(progress * 1000) / 10).toFixed(1)}%`;
}

export function rate(bytesPerSecond: number): string {
  return `${bytes(Math.round(bytesPerSecond))}/s`;
}

/** Marks, format characters (isolates, ZWJ) and the like take no column. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
/** East Asian wide and fullwidth characters and emoji take two (roughly what terminals do). */
const WIDE =
  /^[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]$/u;

/** Terminal columns `text` takes (an approximation of wcwidth). */
export function columns(text: string): number {
  let n = 0;
  for (const c of text) n += ZERO_WIDTH.test(c) ? 0 : WIDE.test(c) ? 2 : 1;
  return n;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => columns(r[i] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, i) =>
          i === r.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - columns(cell))),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
