/** Human formats for sizes, rates, durations and progress (pure; unit-tested). */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; three significant digits, binary units. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  // 1023.99 KiB would print as "1024 KiB": carry into the next unit.
  const shown = Number(value.toFixed(digits));
  if (shown >= 1024 && unit < UNITS.length - 1) return `1.00 ${UNITS[unit + 1]}`;
  return `${shown.toFixed(digits)} ${UNITS[unit]}`;
}

/** Bytes per second → "1.5 MiB/s"; 0 → "0 B/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined) return '–';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds left → "45 s", "3 min", "2 h 05 min", "3 d 4 h"; null (unknown) → "–"; 0 → "done". */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s === 0) return 'done';
  if (s < 60) return `${s} s`;
  // Rounded up: "1 min" while 61 s are left would promise too much.
  if (s < 3600) return `${Math.ceil(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h < 24) return `${h} h ${String(m).padStart(2, '0')} min`;
  const d = Math.floor(h / 24);
  if (d > 365) return '> 1 year';
  return `${d} d ${h % 24} h`;
}

/** 0..1 → "42 %"; never shows 100 % before it is complete (0.9996 → "99.9 %"). */
export function formatPercent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  if (clamped === 1) return '100 %';
  const pct = clamped * 100;
  if (pct >= 99.95) return '99.9 %';
  return pct < 10 && pct > 0 ? `${pct.toFixed(1)} %` : `${Math.floor(pct)} %`;
}

/** A rate limit for people: null → "unlimited", else KiB/s. */
export function formatLimit(bytesPerSecond: number | null): string {
  return bytesPerSecond === null ? 'unlimited' : formatRate(bytesPerSecond);
}

/**
 * A limit typed in KiB/s ("", "0" or "unlimited" → null = no limit) → bytes/s, or an error text.
 */
export function parseLimitKiB(
  input: string,
): { ok: true; value: number | null } | { ok: false; error: string } {
  const t = input.trim().toLowerCase();
  if (t === '' || t === '0' || t === 'unlimited') return { ok: true, value: null };
  if (!/^\d+(\.\d+)?$/.test(t)) return { ok: false, error: 'a number of KiB/s, or empty for unlimited' };
  const bytes = Math.round(Number(t) * 1024);
  if (!Number.isSafeInteger(bytes) || bytes < 1) return { ok: false, error: 'too small or too large' };
  return { ok: true, value: bytes };
}

/** ms since epoch → "5 min ago" style, relative to `now`. */
export function formatAgo(ms: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
